import type { Db, Sql } from '../db/client.ts'
import type { PaperForDigest } from '../digests/digest-content.ts'
import { Prisma, type Paper } from '../generated/prisma/client.ts'
import { dedupeById, type PaperInput } from './paper.schemas.ts'
import type { ArxivEntry } from '../arxiv/arxiv-feed.ts'

/** A well-formed id the arXiv API did not know is asked about again this many times, hours apart (1, 2, 4, 8 h). */
export const ARXIV_MISSING_ATTEMPTS = 5

/** What the arXiv lookup learned of a batch of papers. */
export interface ArxivResults {
  found: ReadonlyMap<string, Pick<ArxivEntry, 'categories' | 'primaryCategory' | 'comment' | 'journalRef'>>
  missing: readonly string[]
  invalid: readonly string[]
}

export interface UpsertResult {
  inserted: number
  /** Existing rows whose stored values changed. */
  updated: number
  /** Existing rows the source reported exactly as stored (not rewritten). */
  unchanged: number
}

/**
 * What an existing row becomes when a paper is ingested again. Counts always follow the source (they grow, and can
 * shrink). Optional fields the source did not report this time keep their stored value: HF omits ai_summary,
 * githubStars, organization… on some responses, and a re-run must not erase what an earlier one learned.
 * `day` is deliberately absent: a paper stays in the edition where it first appeared.
 */
const MERGED: readonly (readonly [column: string, value: string])[] = [
  ['title', 'excluded.title'],
  ['summary', 'excluded.summary'],
  ['authors', 'excluded.authors'],
  ['ai_summary', 'COALESCE(excluded.ai_summary, papers.ai_summary)'],
  ['ai_keywords', 'CASE WHEN cardinality(excluded.ai_keywords) > 0 THEN excluded.ai_keywords ELSE papers.ai_keywords END'],
  ['upvotes', 'excluded.upvotes'],
  ['num_comments', 'excluded.num_comments'],
  ['github_repo', 'COALESCE(excluded.github_repo, papers.github_repo)'],
  ['github_stars', 'COALESCE(excluded.github_stars, papers.github_stars)'],
  ['project_page', 'COALESCE(excluded.project_page, papers.project_page)'],
  ['organization', 'COALESCE(excluded.organization, papers.organization)'],
  ['thumbnail', 'COALESCE(excluded.thumbnail, papers.thumbnail)'],
  ['published_at', 'COALESCE(excluded.published_at, papers.published_at)'],
]
const SET_MERGED = Prisma.raw(MERGED.map(([column, value]) => `${column} = ${value}`).join(',\n      '))
// Rewriting an identical row would only churn the tsvector, the GIN index and the WAL.
const CHANGED = Prisma.raw(
  `(${MERGED.map(([column]) => `papers.${column}`).join(', ')}) IS DISTINCT FROM (${MERGED.map(([, value]) => value).join(', ')})`,
)

// What a digest, a browser view or a feed shows of a paper, by id: a named (prepared) statement through pg, run once per
// send batch (Prisma's findMany cost more client CPU than PostgreSQL spent on the query, and read every column).
const FOR_DIGEST = `
  SELECT id, title, summary, ai_summary AS "aiSummary", authors, organization, upvotes, github_repo AS "githubRepo", github_stars AS "githubStars",
         arxiv_primary_category AS "primaryCategory"
  FROM papers WHERE id = ANY ($1::text[])`

/** The only database access for papers. */
export function createPaperRepository(db: Db, sql: Sql) {
  return {
    /**
     * Inserts new papers and refreshes known ones in ONE statement, so a day is stored whole or not at all and
     * concurrent ingests of the same day cannot duplicate a paper. The rows travel as one jsonb parameter: per-row
     * arrays (authors, keywords) cannot go through unnest(), and one parameter never hits the bind-parameter limit.
     */
    async upsertMany(papers: readonly PaperInput[]): Promise<UpsertResult> {
      // ON CONFLICT DO UPDATE cannot touch the same row twice in one statement.
      const rows = dedupeById(papers)
      if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 }
      const json = JSON.stringify(
        rows.map((p) => ({
          id: p.id,
          title: p.title,
          summary: p.summary,
          authors: p.authors,
          ai_summary: p.aiSummary,
          ai_keywords: p.aiKeywords,
          upvotes: p.upvotes,
          num_comments: p.numComments,
          github_repo: p.githubRepo,
          github_stars: p.githubStars,
          project_page: p.projectPage,
          organization: p.organization,
          thumbnail: p.thumbnail,
          day: p.day,
          published_at: p.publishedAt?.toISOString() ?? null,
        })),
      )
      const [counts] = await db.$queryRaw<{ inserted: number; updated: number }[]>`
        WITH upserted AS (
          INSERT INTO papers (id, title, summary, authors, ai_summary, ai_keywords, upvotes, num_comments, github_repo,
                              github_stars, project_page, organization, thumbnail, day, published_at)
          SELECT id, title, summary, authors, ai_summary, ai_keywords, upvotes, num_comments, github_repo,
                 github_stars, project_page, organization, thumbnail, day, published_at
          FROM jsonb_to_recordset(${json}::jsonb) AS r(
            id text, title text, summary text, authors text[], ai_summary text, ai_keywords text[], upvotes int,
            num_comments int, github_repo text, github_stars int, project_page text, organization text, thumbnail text,
            day date, published_at timestamptz)
          -- One lock order for every batch: concurrent ingests of overlapping papers wait, never deadlock.
          ORDER BY id
          ON CONFLICT (id) DO UPDATE SET
            ${SET_MERGED},
            updated_at = CURRENT_TIMESTAMP
          WHERE ${CHANGED}
          -- xmax = 0 only on a freshly inserted row version.
          RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
        FROM upserted`
      const inserted = counts?.inserted ?? 0
      const updated = counts?.updated ?? 0
      return { inserted, updated, unchanged: rows.length - inserted - updated }
    },

    async countByDay(day: string): Promise<number> {
      const [row] = await db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM papers WHERE day = ${day}::date`
      return row?.count ?? 0
    },

    /** Papers by id, in the order of `ids` (a digest's ranking); ids no longer stored are left out. */
    async findByIds(ids: readonly string[]): Promise<PaperForDigest[]> {
      if (ids.length === 0) return []
      const { rows } = await sql.query<PaperForDigest>({ name: 'papers-for-digest', text: FOR_DIGEST, values: [ids] })
      const byId = new Map(rows.map((p) => [p.id, p]))
      return ids.flatMap((id) => byId.get(id) ?? [])
    },

    /** The most recent papers-day stored, or null when there are no papers yet. */
    async latestDay(): Promise<string | null> {
      const [row] = await db.$queryRaw<{ day: string | null }[]>`SELECT max(day)::text AS day FROM papers`
      return row?.day ?? null
    },

    /**
     * Papers the arXiv lookup should ask about now, newest first: never asked (or the API failed), or unknown to the
     * API and due for another try (hours apart, doubling, ARXIV_MISSING_ATTEMPTS in all).
     */
    async openArxivLookups(limit: number, now: Date): Promise<string[]> {
      const rows = await db.$queryRaw<{ id: string }[]>`
        SELECT id FROM papers
        WHERE arxiv_status IN ('pending', 'missing')
          AND (arxiv_status = 'pending'
               OR (arxiv_attempts < ${ARXIV_MISSING_ATTEMPTS}
                   AND arxiv_checked_at <= ${now}::timestamptz - make_interval(hours => 1 << (arxiv_attempts - 1))))
        ORDER BY day DESC, id
        LIMIT ${limit}`
      return rows.map((r) => r.id)
    },

    /** Stores what the arXiv API said, in one statement: the metadata of found papers, the status of the others. */
    async recordArxiv(results: ArxivResults, now: Date): Promise<number> {
      const rows = [
        ...[...results.found].map(([id, e]) => ({ id, status: 'found', categories: e.categories, primary: e.primaryCategory, comment: e.comment, journal_ref: e.journalRef })),
        ...results.missing.map((id) => ({ id, status: 'missing', categories: null, primary: null, comment: null, journal_ref: null })),
        ...results.invalid.map((id) => ({ id, status: 'invalid', categories: null, primary: null, comment: null, journal_ref: null })),
      ]
      if (rows.length === 0) return 0
      return db.$executeRaw`
        UPDATE papers p SET
          arxiv_status = r.status::arxiv_status,
          arxiv_attempts = p.arxiv_attempts + 1,
          arxiv_checked_at = ${now}::timestamptz,
          arxiv_categories = coalesce(r.categories, p.arxiv_categories),
          arxiv_primary_category = coalesce(r."primary", p.arxiv_primary_category),
          arxiv_comment = coalesce(r.comment, p.arxiv_comment),
          arxiv_journal_ref = coalesce(r.journal_ref, p.arxiv_journal_ref)
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS r(id text, status text, categories text[], "primary" text, comment text, journal_ref text)
        WHERE p.id = r.id`
    },

    /** The day's papers, most upvoted first (ties by id, so the order is stable). */
    listByDay: (day: string): Promise<Paper[]> =>
      db.paper.findMany({ where: { day: new Date(`${day}T00:00:00.000Z`) }, orderBy: [{ upvotes: 'desc' }, { id: 'asc' }] }),
  }
}
export type PaperRepository = ReturnType<typeof createPaperRepository>

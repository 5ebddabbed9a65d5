import type { Sql } from '../db/client.ts'
import { Prisma } from '../generated/prisma/client.ts'
import { TOPICS, type Topic } from '../topics/catalogue.ts'
import { rankPapers, type Hit, type MatchedPaper, type Preferences } from './rank.ts'

export type { MatchedPaper } from './rank.ts'

/** Inclusive range of papers-days, 'YYYY-MM-DD': one day for daily digests, seven for weekly ones. */
export interface DayWindow {
  fromDay: string
  toDay: string
}

export interface MatchInput extends DayWindow {
  subscriberId: string
  /** Catalogue slugs; unknown slugs match nothing. */
  topics: string[]
  /** Web-search syntax, each one its own websearch_to_tsquery('english', …). */
  keywords: string[]
  minUpvotes: number
  limit: number
}

/**
 * What matching needs from a catalogue topic. `weights` (e.g. 'AB' = title and AI keywords) narrows the topic to
 * those parts of the search vector, for topics whose words are everywhere in abstracts ("benchmark", "code").
 */
export type MatchTopic = Pick<Topic, 'slug' | 'name' | 'query' | 'weights'>

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** What one round trip reads for a selection: the window's papers, the subscribers' preferences and history. */
interface ContextRow {
  fingerprint: string
  /** [paper id, upvotes] of every paper of the window. */
  papers: [string, number][]
  subs: { id: string; topics: string[]; keywords: string[]; min_upvotes: number; lim: number }[]
  /** [subscriber id, paper ids] of each digest sent (or left `sending`) to them that may carry a paper of the window. */
  sent: [string, string[]][]
}

/**
 * Chooses subscribers' papers (never one already sent to them). PostgreSQL does the text search: which papers of a
 * window each topic and keyword matches and how well (ts_rank_cd over the weighted search vector), once per window
 * and process; rankPapers does the rest per subscriber. Running that per batch in SQL cost 27 ms per 100 subscribers,
 * most of a digest's database time; now a batch is one round trip that reads the window's papers with their current
 * upvotes, the subscribers' preferences and their history.
 */
export function createMatchRepository(sql: Sql, catalogue: readonly MatchTopic[] = TOPICS) {
  // The catalogue travels as array parameters, never as SQL text: neither topics nor keywords can inject.
  const slugs = catalogue.map((t) => t.slug)
  const queries = catalogue.map((t) => t.query)
  const weights = catalogue.map((t) => t.weights ?? '')

  /** The papers of the window each query matches and their rank: every catalogue topic, or only the given keywords. */
  const hitsStatement = (window: DayWindow, keywords: string[] | null) => Prisma.sql`
    WITH window_papers AS MATERIALIZED (
      SELECT p.id, p.search FROM papers p WHERE p.day BETWEEN ${window.fromDay}::date AND ${window.toDay}::date
    ),
    queries AS MATERIALIZED (
      SELECT c.slug AS label, nullif(c.weights, '') AS weights, websearch_to_tsquery('english', c.query) AS tsq
      FROM unnest(${slugs}::text[], ${queries}::text[], ${weights}::text[]) AS c(slug, query, weights)
      WHERE ${keywords === null}
      UNION ALL
      SELECT k.keyword, NULL, websearch_to_tsquery('english', k.keyword)
      FROM unnest(${keywords ?? []}::text[]) AS k(keyword)
    )
    SELECT q.label, w.id AS paper_id, ts_rank_cd(w.search, q.tsq) AS rank
    FROM queries q
    JOIN window_papers w
      ON CASE WHEN q.weights IS NULL THEN w.search
              ELSE ts_filter(w.search, string_to_array(lower(q.weights), NULL)::"char"[]) END @@ q.tsq
    -- a stop-word-only keyword is an empty query: skip it rather than have Postgres log a notice per paper
    WHERE numnode(q.tsq) > 0`

  // One statement, so the fingerprint, the upvotes and the history are of one snapshot. Every insert, update or
  // delete of a paper changes the count or the sum of the row versions' transaction ids (a timestamp would not: two
  // ingests can share one, and concurrent ones commit out of order).
  // "Already sent": a paper keeps the day it first appeared on, and an edition only carries papers of its own day or
  // the six before, so a paper of this window can only have gone out in an edition dated on or after the window's
  // first day: a handful of digests per subscriber, found through the (subscriber_id, edition_id) index. A digest
  // left `sending` (maybe accepted) counts as sent. The status is compared as text so that no index by status can
  // serve it: statistics gathered while an edition's digests were pending say few are sent, and the planner then
  // also read the (edition_id, status) entry of every sent digest (75,000 in a bench run) for each batch.
  const CONTEXT = `
    WITH window_papers AS MATERIALIZED (
      SELECT p.id, p.upvotes, p.xmin::text::bigint AS version FROM papers p WHERE p.day BETWEEN $1::date AND $2::date
    )
    SELECT (SELECT count(*) || '/' || coalesce(sum(version), 0) FROM window_papers) AS fingerprint,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(w.id, w.upvotes)), '[]') FROM window_papers w) AS papers,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'topics', s.topics, 'keywords', s.keywords,
                     'min_upvotes', s.min_upvotes, 'lim', s.papers_per_email)), '[]')
            FROM subscribers s WHERE $4 AND s.id = ANY ($3::uuid[])) AS subs,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(d.subscriber_id, d.paper_ids)), '[]')
            FROM deliveries d
            WHERE d.subscriber_id = ANY ($3::uuid[])
              AND d.edition_id IN (SELECT e.id FROM editions e WHERE e.date >= $1::date)
              AND d.kind = 'digest' AND d.status::text IN ('sent', 'sending')) AS sent`

  async function readContext(window: DayWindow, subscriberIds: string[], withPreferences: boolean): Promise<ContextRow> {
    checkWindow(window)
    const { rows } = await sql.query<ContextRow>({ name: 'match-context', text: CONTEXT, values: [window.fromDay, window.toDay, subscriberIds, withPreferences] })
    return rows[0]!
  }

  /**
   * The window's hits, kept per process while the window's papers are unchanged (the fingerprint read with every
   * selection moves with any change, and a changed one starts a new entry). Topic hits are computed for the whole
   * catalogue at once, keyword hits the first time a keyword is asked for. Only the most recent windows are kept.
   */
  const windows = new Map<string, { fingerprint: string; topics: Promise<Map<string, Hit[]>>; keywords: Map<string, Promise<Hit[]>> }>()
  async function hitsFor(window: DayWindow, fingerprint: string, keywords: Iterable<string>) {
    const key = `${window.fromDay}/${window.toDay}`
    let entry = windows.get(key)
    if (!entry || entry.fingerprint !== fingerprint) {
      windows.delete(key)
      while (windows.size >= WINDOWS_KEPT) windows.delete(windows.keys().next().value!)
      entry = { fingerprint, topics: computeHits(window, null), keywords: new Map() }
      windows.set(key, entry)
    }
    const wanted = [...new Set(keywords)]
    const missing = wanted.filter((k) => !entry.keywords.has(k))
    if (missing.length > 0) {
      const computed = computeHits(window, missing)
      for (const k of missing) entry.keywords.set(k, computed.then((byLabel) => byLabel.get(k) ?? []))
    }
    try {
      const [topicHits, ...lists] = await Promise.all([entry.topics, ...wanted.map((k) => entry.keywords.get(k)!)])
      return { topicHits: topicHits as Map<string, Hit[]>, keywordHits: new Map(wanted.map((k, i) => [k, lists[i] as Hit[]])) }
    } catch (error) {
      // a failed computation is not kept: the next selection tries again
      if (windows.get(key) === entry) windows.delete(key)
      throw error
    }
  }

  async function computeHits(window: DayWindow, keywords: string[] | null): Promise<Map<string, Hit[]>> {
    const query = hitsStatement(window, keywords)
    const { rows } = await sql.query<{ label: string; paper_id: string; rank: number }>({ name: 'match-window-hits', text: query.text, values: query.values })
    const byLabel = new Map<string, Hit[]>()
    for (const r of rows) (byLabel.get(r.label) ?? byLabel.set(r.label, []).get(r.label)!).push({ paperId: r.paper_id, rank: r.rank })
    return byLabel
  }

  /** Each subscriber's ranked papers, from a context read and the window's hits. */
  async function rankAll(window: DayWindow, context: ContextRow, subs: { id: string; prefs: Preferences }[]) {
    const hits = await hitsFor(window, context.fingerprint, subs.flatMap((s) => s.prefs.keywords))
    const upvotes = new Map(context.papers)
    const sent = new Map<string, Set<string>>()
    for (const [subscriberId, paperIds] of context.sent) {
      const set = sent.get(subscriberId) ?? sent.set(subscriberId, new Set()).get(subscriberId)!
      for (const id of paperIds) set.add(id)
    }
    return subs.map(({ id, prefs }) => ({
      id,
      papers: rankPapers(prefs, { catalogue, ...hits, upvotes, sent: sent.get(id.toLowerCase()) ?? NONE }),
    }))
  }

  return {
    /** Ranked papers for one subscriber: upvotes, then relevance, then id; never one already sent to them. */
    async selectForSubscriber(input: MatchInput): Promise<MatchedPaper[]> {
      const context = await readContext(input, [input.subscriberId], false)
      const [only] = await rankAll(input, context, [{ id: input.subscriberId, prefs: input }])
      return only!.papers
    },

    /**
     * The same selection for a batch of subscribers in one round trip, with each one's topics, keywords, minimum
     * upvotes and papers per email read from the subscribers table. Every requested id is in the map (an empty list
     * when nothing matched or the subscriber is gone), so callers can tell "nothing to send" from "not asked".
     */
    async selectForSubscribers(subscriberIds: string[], window: DayWindow): Promise<Map<string, MatchedPaper[]>> {
      const result = new Map<string, MatchedPaper[]>(subscriberIds.map((id) => [id, []]))
      if (subscriberIds.length === 0) return result
      const context = await readContext(window, subscriberIds, true)
      // Postgres returns uuids in lower case; answer under the spelling the caller used
      const asGiven = new Map(subscriberIds.map((id) => [id.toLowerCase(), id]))
      const subs = context.subs.map((s) => ({
        id: s.id,
        prefs: { topics: s.topics, keywords: s.keywords, minUpvotes: s.min_upvotes, limit: s.lim },
      }))
      for (const { id, papers } of await rankAll(window, context, subs)) result.set(asGiven.get(id) ?? id, papers)
      return result
    },
  }
}
export type MatchRepository = ReturnType<typeof createMatchRepository>

/** Windows whose hits a process keeps: today's daily and weekly windows, and the previous day's around midnight. */
const WINDOWS_KEPT = 4
const NONE: ReadonlySet<string> = new Set()

function checkWindow(window: DayWindow): void {
  if (!DAY.test(window.fromDay) || !DAY.test(window.toDay)) {
    throw new RangeError(`day window must be YYYY-MM-DD: ${window.fromDay}..${window.toDay}`)
  }
}

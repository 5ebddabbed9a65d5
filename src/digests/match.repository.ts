import type { Sql } from '../db/client.ts'
import { Prisma } from '../generated/prisma/client.ts'
import { TOPICS, type Topic } from '../topics/catalogue.ts'


/** One paper chosen for one subscriber, with the topic names and keyword strings that made it match. */
export interface MatchedPaper {
  paperId: string
  upvotes: number
  relevance: number
  matched: string[]
}

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

interface Row {
  subscriber_id: string
  paper_id: string
  upvotes: number
  relevance: number
  matched: string[]
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** The only Prisma access for choosing a subscriber's papers (never one already sent to them). */
export function createMatchRepository(sql: Sql, catalogue: readonly MatchTopic[] = TOPICS) {
  // The catalogue travels as array parameters, never as SQL text: neither topics nor keywords can inject.
  const slugs = catalogue.map((t) => t.slug)
  const names = catalogue.map((t) => t.name)
  const queries = catalogue.map((t) => t.query)
  const weights = catalogue.map((t) => t.weights ?? '')

  /**
   * Which papers of a window each query matches, and how well (ts_rank_cd over the weighted search vector): every
   * catalogue topic, or only the given keywords. A paper's text decides this, not the subscriber, so it is computed
   * once per window and process (see `hitsFor`), not once per batch: it was two thirds of a batch's selection.
   */
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

  /**
   * The single statement behind both variants, so they cannot drift apart. \`subs\` supplies (id, topics, keywords,
   * min_upvotes, lim) rows: from parameters for one subscriber, from the subscribers table for a batch; \`hits\` are the
   * window's topic and keyword hits (hitsFor). Upvotes are read here, so a paper's current upvotes rank it.
   * Relevance sums ts_rank_cd over every query that matched, so a paper that answers several of a subscriber's
   * interests wins ties on upvotes.
   */
  const statement = (subs: Prisma.Sql, window: DayWindow, hits: WindowHits) => {
    checkWindow(window)
    return Prisma.sql`
      WITH subs AS MATERIALIZED (${subs}),
      window_papers AS MATERIALIZED (
        SELECT p.id, p.upvotes
        FROM papers p
        WHERE p.day BETWEEN ${window.fromDay}::date AND ${window.toDay}::date
      ),
      catalogue AS MATERIALIZED (
        SELECT c.slug, c.name, c.ord
        FROM unnest(${slugs}::text[], ${names}::text[]) WITH ORDINALITY AS c(slug, name, ord)
        WHERE c.slug IN (SELECT unnest(s.topics) FROM subs s)
      ),
      topic_hits AS MATERIALIZED (
        SELECT c.slug, c.name, c.ord, w.id AS paper_id, w.upvotes, h.rank
        FROM unnest(${hits.topics.labels}::text[], ${hits.topics.paperIds}::text[], ${hits.topics.ranks}::real[]) AS h(slug, paper_id, rank)
        JOIN catalogue c ON c.slug = h.slug
        JOIN window_papers w ON w.id = h.paper_id
      ),
      keyword_hits AS MATERIALIZED (
        SELECT h.keyword, w.id AS paper_id, w.upvotes, h.rank
        FROM unnest(${hits.keywords.labels}::text[], ${hits.keywords.paperIds}::text[], ${hits.keywords.ranks}::real[]) AS h(keyword, paper_id, rank)
        JOIN window_papers w ON w.id = h.paper_id
      ),
      -- Papers of the window already sent to these subscribers. A paper keeps the day it first appeared on, and an
      -- edition only carries papers of its own day or the six before, so a paper of this window can only have gone
      -- out in an edition dated on or after the window's first day: a handful of digests per subscriber, found
      -- through the (subscriber_id, edition_id) index. A digest left \`sending\` (maybe accepted) counts as sent.
      already_sent AS MATERIALIZED (
        SELECT d.subscriber_id, p.paper_id
        FROM subs s
        JOIN deliveries d ON d.subscriber_id = s.id
          AND d.edition_id IN (SELECT e.id FROM editions e WHERE e.date >= ${window.fromDay}::date)
        CROSS JOIN LATERAL unnest(d.paper_ids) AS p(paper_id)
        WHERE d.kind = 'digest' AND d.status IN ('sent', 'sending')
      ),
      -- a slug or keyword listed twice is one reason, not two
      subscriber_topics AS (
        SELECT DISTINCT s.id AS subscriber_id, s.min_upvotes, s.lim, t.slug
        FROM subs s CROSS JOIN LATERAL unnest(s.topics) AS t(slug)
      ),
      subscriber_keywords AS (
        SELECT s.id AS subscriber_id, s.min_upvotes, s.lim, k.keyword, min(k.ord) AS ord
        FROM subs s CROSS JOIN LATERAL unnest(s.keywords) WITH ORDINALITY AS k(keyword, ord)
        -- nor is a keyword spelled exactly like one of the subscriber's topic names
        WHERE NOT EXISTS (SELECT 1 FROM catalogue c WHERE c.slug = ANY (s.topics) AND c.name = k.keyword)
        GROUP BY s.id, s.min_upvotes, s.lim, k.keyword
      ),
      hits AS (
        SELECT st.subscriber_id, st.lim, th.paper_id, th.upvotes, th.name AS label, th.rank, th.ord AS label_ord
        FROM subscriber_topics st JOIN topic_hits th ON th.slug = st.slug
        WHERE th.upvotes >= st.min_upvotes
        UNION ALL
        SELECT sk.subscriber_id, sk.lim, kh.paper_id, kh.upvotes, kh.keyword, kh.rank, 1000000 + sk.ord
        FROM subscriber_keywords sk JOIN keyword_hits kh ON kh.keyword = sk.keyword
        WHERE kh.upvotes >= sk.min_upvotes
      ),
      candidates AS (
        SELECT subscriber_id, lim, paper_id, upvotes,
               sum(rank)::float8 AS relevance,
               array_agg(label ORDER BY label_ord) AS matched
        FROM hits
        GROUP BY subscriber_id, lim, paper_id, upvotes
        UNION ALL
        -- no topics and no keywords: the whole trending list
        SELECT s.id, s.lim, w.id, w.upvotes, 0::float8, ARRAY[]::text[]
        FROM subs s CROSS JOIN window_papers w
        WHERE cardinality(s.topics) = 0 AND cardinality(s.keywords) = 0 AND w.upvotes >= s.min_upvotes
      ),
      -- each row carries its subscriber's limit: joining \`subs\` back in here made the planner (which expects a
      -- handful of candidates) loop over every subscriber for every candidate
      ranked AS (
        SELECT c.subscriber_id, c.paper_id, c.upvotes, c.relevance, c.matched, c.lim,
               row_number() OVER (PARTITION BY c.subscriber_id ORDER BY c.upvotes DESC, c.relevance DESC, c.paper_id) AS rn
        FROM candidates c
        WHERE NOT EXISTS (
          SELECT 1 FROM already_sent a WHERE a.subscriber_id = c.subscriber_id AND a.paper_id = c.paper_id
        )
      )
      SELECT subscriber_id::text AS subscriber_id, paper_id, upvotes, relevance, matched
      FROM ranked
      WHERE rn <= lim
      ORDER BY subscriber_id, rn`
  }

  const toMatched = (r: Row): MatchedPaper => ({
    paperId: r.paper_id,
    upvotes: Number(r.upvotes),
    relevance: Number(r.relevance),
    matched: r.matched,
  })

  /**
   * The window's hits, kept per process. An entry holds while the window's papers are unchanged: its fingerprint
   * (FINGERPRINT: an ingest that adds, changes or removes a paper moves it) is read with every selection, and a
   * changed one starts a new entry. Topic hits are computed for the whole catalogue at once,
   * keyword hits the first time a keyword is asked for. Only the most recent windows are kept.
   */
  const windows = new Map<string, { fingerprint: string; topics: Promise<HitList>; keywords: Map<string, Promise<HitList>> }>()
  async function hitsFor(window: DayWindow, fingerprint: string, keywords: Iterable<string>): Promise<WindowHits> {
    const key = `${window.fromDay}/${window.toDay}`
    let entry = windows.get(key)
    if (!entry || entry.fingerprint !== fingerprint) {
      windows.delete(key)
      while (windows.size >= WINDOWS_KEPT) windows.delete(windows.keys().next().value!)
      entry = { fingerprint, topics: computeHits(window, null), keywords: new Map() }
      windows.set(key, entry)
    }
    const missing = [...new Set(keywords)].filter((k) => !entry.keywords.has(k))
    if (missing.length > 0) {
      const computed = computeHits(window, missing)
      for (const k of missing) entry.keywords.set(k, computed.then((all) => only(all, k)))
    }
    const wanted = [...new Set(keywords)]
    const [topics, ...keywordLists] = await Promise.all([entry.topics, ...wanted.map((k) => entry.keywords.get(k)!)])
    return { topics: topics!, keywords: concat(keywordLists) }
  }

  async function computeHits(window: DayWindow, keywords: string[] | null): Promise<HitList> {
    checkWindow(window)
    const query = hitsStatement(window, keywords)
    const { rows } = await sql.query<{ label: string; paper_id: string; rank: number }>({ name: 'match-window-hits', text: query.text, values: query.values })
    return { labels: rows.map((r) => r.label), paperIds: rows.map((r) => r.paper_id), ranks: rows.map((r) => r.rank) }
  }

  /** Selects with the window's hits; a failed hits computation is not kept, so the next selection tries again. */
  async function select(window: DayWindow, fingerprint: string, subs: Prefs[]): Promise<Row[]> {
    let hits: WindowHits
    try {
      hits = await hitsFor(window, fingerprint, subs.flatMap((s) => s.keywords))
    } catch (error) {
      windows.delete(`${window.fromDay}/${window.toDay}`)
      throw error
    }
    // A named (prepared) statement through pg: the text is the same for every batch, so it is planned once per
    // connection instead of once per batch of a send.
    const query = statement(Prisma.sql`
      SELECT (x->>'id')::uuid AS id, ARRAY(SELECT jsonb_array_elements_text(x->'topics')) AS topics,
             ARRAY(SELECT jsonb_array_elements_text(x->'keywords')) AS keywords, (x->>'min_upvotes')::int AS min_upvotes,
             (x->>'lim')::int AS lim
      FROM jsonb_array_elements(${JSON.stringify(subs)}::jsonb) AS x`, window, hits)
    const { rows } = await sql.query<Row>({ name: 'match-select', text: query.text, values: query.values })
    return rows
  }

  // Every insert, update or delete of a row changes the count or the sum of the row versions' transaction ids (a
  // timestamp would not: two ingests can share one, and concurrent ones commit out of order).
  const FINGERPRINT = `(SELECT count(*) || '/' || coalesce(sum(p.xmin::text::bigint), 0) FROM papers p WHERE p.day BETWEEN $1::date AND $2::date)`

  return {
    /** Ranked papers for one subscriber: upvotes, then relevance, then id; never one already sent to them. */
    async selectForSubscriber(input: MatchInput): Promise<MatchedPaper[]> {
      checkWindow(input)
      const { rows: [row] } = await sql.query<{ fingerprint: string }>({ name: 'match-fingerprint', text: `SELECT ${FINGERPRINT} AS fingerprint`, values: [input.fromDay, input.toDay] })
      const prefs = { id: input.subscriberId, topics: input.topics, keywords: input.keywords, min_upvotes: input.minUpvotes, lim: input.limit }
      return (await select(input, row!.fingerprint, [prefs])).map(toMatched)
    },

    /**
     * The same selection for a batch of subscribers, with each one's topics, keywords, minimum upvotes and papers per
     * email read from the subscribers table (with the window's fingerprint, in one round trip). Every requested id is
     * in the map (an empty list when nothing matched or the subscriber is gone), so callers can tell "nothing to
     * send" from "not asked".
     */
    async selectForSubscribers(subscriberIds: string[], window: DayWindow): Promise<Map<string, MatchedPaper[]>> {
      const result = new Map<string, MatchedPaper[]>(subscriberIds.map((id) => [id, []]))
      if (subscriberIds.length === 0) return result
      checkWindow(window)
      // Postgres returns uuids in lower case; answer under the spelling the caller used
      const asGiven = new Map(subscriberIds.map((id) => [id.toLowerCase(), id]))
      const { rows: [read] } = await sql.query<{ fingerprint: string; subs: Prefs[] }>({
        name: 'match-preferences',
        text: `SELECT ${FINGERPRINT} AS fingerprint,
                 (SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'topics', s.topics, 'keywords', s.keywords,
                    'min_upvotes', s.min_upvotes, 'lim', s.papers_per_email)), '[]')
                  FROM subscribers s WHERE s.id = ANY ($3::uuid[])) AS subs`,
        values: [window.fromDay, window.toDay, subscriberIds],
      })
      for (const row of await select(window, read!.fingerprint, read!.subs)) {
        result.get(asGiven.get(row.subscriber_id) ?? row.subscriber_id)?.push(toMatched(row))
      }
      return result
    },
  }
}
export type MatchRepository = ReturnType<typeof createMatchRepository>

/** Windows whose hits a process keeps: today's daily and weekly windows, and the previous day's around midnight. */
const WINDOWS_KEPT = 4

/** Query hits as parallel arrays: the statement takes them as three array parameters. */
interface HitList {
  labels: string[]
  paperIds: string[]
  ranks: number[]
}
interface WindowHits {
  topics: HitList
  keywords: HitList
}
interface Prefs {
  id: string
  topics: string[]
  keywords: string[]
  min_upvotes: number
  lim: number
}

function only(list: HitList, label: string): HitList {
  const at = list.labels.flatMap((l, i) => (l === label ? [i] : []))
  return { labels: at.map((i) => list.labels[i]!), paperIds: at.map((i) => list.paperIds[i]!), ranks: at.map((i) => list.ranks[i]!) }
}

function concat(lists: HitList[]): HitList {
  return { labels: lists.flatMap((l) => l.labels), paperIds: lists.flatMap((l) => l.paperIds), ranks: lists.flatMap((l) => l.ranks) }
}

function checkWindow(window: DayWindow): void {
  if (!DAY.test(window.fromDay) || !DAY.test(window.toDay)) {
    throw new RangeError(`day window must be YYYY-MM-DD: ${window.fromDay}..${window.toDay}`)
  }
}

import type { Db, Sql } from '../db/client.ts'
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
export function createMatchRepository(db: Db, sql: Sql, catalogue: readonly MatchTopic[] = TOPICS) {
  // The catalogue travels as array parameters, never as SQL text: neither topics nor keywords can inject.
  const slugs = catalogue.map((t) => t.slug)
  const names = catalogue.map((t) => t.name)
  const queries = catalogue.map((t) => t.query)
  const weights = catalogue.map((t) => t.weights ?? '')

  /**
   * The single statement behind both variants, so they cannot drift apart. `subs` supplies (id, topics, keywords,
   * min_upvotes, lim) rows: from parameters for one subscriber, from the subscribers table for a batch.
   *
   * Each topic query and each distinct keyword runs once per statement, not once per subscriber: a batch of hundreds
   * of subscribers shares a handful of topics and many keywords, and re-evaluating them per subscriber was 5x slower.
   * The window is at most a few hundred papers (one week of the daily list), so matching scans it through the
   * (day, upvotes) index rather than GIN. Relevance sums ts_rank_cd over every query that matched, so a paper that
   * answers several of a subscriber's interests wins ties on upvotes.
   */
  const statement = (subs: Prisma.Sql, window: DayWindow) => {
    if (!DAY.test(window.fromDay) || !DAY.test(window.toDay)) {
      throw new RangeError(`day window must be YYYY-MM-DD: ${window.fromDay}..${window.toDay}`)
    }
    return Prisma.sql`
      WITH subs AS MATERIALIZED (${subs}),
      window_papers AS MATERIALIZED (
        SELECT p.id, p.upvotes, p.search
        FROM papers p
        WHERE p.day BETWEEN ${window.fromDay}::date AND ${window.toDay}::date
      ),
      catalogue AS MATERIALIZED (
        SELECT c.slug, c.name, c.ord, nullif(c.weights, '') AS weights, websearch_to_tsquery('english', c.query) AS tsq
        FROM unnest(${slugs}::text[], ${names}::text[], ${queries}::text[], ${weights}::text[])
          WITH ORDINALITY AS c(slug, name, query, weights, ord)
        WHERE c.slug IN (SELECT unnest(s.topics) FROM subs s)
      ),
      topic_hits AS MATERIALIZED (
        SELECT c.slug, c.name, c.ord, w.id AS paper_id, w.upvotes, ts_rank_cd(w.search, c.tsq) AS rank
        FROM catalogue c
        JOIN window_papers w
          ON CASE WHEN c.weights IS NULL THEN w.search
                  ELSE ts_filter(w.search, string_to_array(lower(c.weights), NULL)::"char"[]) END @@ c.tsq
      ),
      -- subscribers share keywords ("agents", "RLHF"): parse and run each distinct one once
      keyword_queries AS MATERIALIZED (
        SELECT k.keyword, websearch_to_tsquery('english', k.keyword) AS tsq
        FROM (SELECT DISTINCT unnest(s.keywords) AS keyword FROM subs s) k
      ),
      keyword_hits AS MATERIALIZED (
        SELECT kq.keyword, w.id AS paper_id, w.upvotes, ts_rank_cd(w.search, kq.tsq) AS rank
        FROM keyword_queries kq
        JOIN window_papers w ON w.search @@ kq.tsq
        -- a stop-word-only keyword is an empty query: skip it rather than have Postgres log a notice per paper
        WHERE numnode(kq.tsq) > 0
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

  return {
    /** Ranked papers for one subscriber: upvotes, then relevance, then id; never one already sent to them. */
    async selectForSubscriber(input: MatchInput): Promise<MatchedPaper[]> {
      const subs = Prisma.sql`
        SELECT ${input.subscriberId}::uuid AS id, ${input.topics}::text[] AS topics, ${input.keywords}::text[] AS keywords,
               ${input.minUpvotes}::int AS min_upvotes, ${input.limit}::int AS lim`
      const rows = await db.$queryRaw<Row[]>(statement(subs, input))
      return rows.map(toMatched)
    },

    /**
     * The same selection for a batch of subscribers in one round trip, with each one's topics, keywords, minimum
     * upvotes and papers per email read from the subscribers table. Every requested id is in the map (an empty list
     * when nothing matched or the subscriber is gone), so callers can tell "nothing to send" from "not asked".
     */
    async selectForSubscribers(subscriberIds: string[], window: DayWindow): Promise<Map<string, MatchedPaper[]>> {
      const result = new Map<string, MatchedPaper[]>(subscriberIds.map((id) => [id, []]))
      if (subscriberIds.length === 0) return result
      // Postgres returns uuids in lower case; answer under the spelling the caller used
      const asGiven = new Map(subscriberIds.map((id) => [id.toLowerCase(), id]))
      const subs = Prisma.sql`
        SELECT s.id, s.topics, s.keywords, s.min_upvotes, s.papers_per_email AS lim
        FROM subscribers s
        WHERE s.id = ANY (${subscriberIds}::uuid[])`
      // A named (prepared) statement through pg: the text is the same for every batch, so it is planned once per
      // connection instead of once per batch of a send.
      const query = statement(subs, window)
      const { rows } = await sql.query<Row>({ name: 'match-select-for-subscribers', text: query.text, values: query.values })
      for (const row of rows) {
        result.get(asGiven.get(row.subscriber_id) ?? row.subscriber_id)?.push(toMatched(row))
      }
      return result
    },
  }
}
export type MatchRepository = ReturnType<typeof createMatchRepository>

import type { Sql } from '../db/client.ts'
import { Prisma } from '../generated/prisma/client.ts'
import { keptOrMade } from '../runtime/bounded-cache.ts'
import { TOPICS, type Topic } from '../topics/catalogue.ts'
import { paperTextOf, type PaperTextColumns } from '../topics/text.ts'
import { shippedTopicModel, type TopicModel } from '../topics/topic-model.ts'
import { paperTerms } from '../taste/paper-terms.ts'
import { tasteScorer } from '../taste/taste-model.ts'
import { keywordTerms } from './keyword-terms.ts'
import { rankPapers, type Hit, type MatchedPaper, type Preferences, type ReaderTaste } from './rank.ts'
import { textVersionSql } from '../papers/text-version.ts'

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
  /** arXiv categories. */
  categories: string[]
  minUpvotes: number
  limit: number
  /** Papers already sent to the subscriber too (what their filters select, for the preferences page); never for a digest. */
  includeSent?: boolean
}

/** What matching needs from a catalogue topic: its slug (what subscribers store) and name (the reason shown). */
export type MatchTopic = Pick<Topic, 'slug' | 'name'>

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** What one round trip reads for a selection: the window's papers, the subscribers' preferences and history. */
interface ContextRow {
  fingerprint: string
  /** [paper id, upvotes] of every paper of the window. */
  papers: [string, number][]
  subs: { id: string; topics: string[]; keywords: string[]; categories: string[]; min_upvotes: number; lim: number }[]
  /** [subscriber id, paper ids] of each digest sent (or left `sending`) to them that may carry a paper of the window. */
  sent: [string, string[]][]
  /** [subscriber id, votes, term weights] of each subscriber who taught a taste with their votes. */
  tastes: [string, number, Record<string, number>][]
}

/** A window's papers as the topic model, the category filters and readers' tastes read them. */
interface PaperRow extends PaperTextColumns {
  id: string
  /** A digest of what the models read of the paper: it changes with its text or categories, not with its upvotes. */
  textVersion: string
}

/**
 * What the hits of a window are: topic → papers (with the model's probability), category → papers; and each paper
 * as readers' tastes read it (worked out the first time a reader who voted is ranked on it).
 */
interface WindowHits {
  topicHits: Map<string, Hit[]>
  categoryHits: Map<string, Hit[]>
  vectorOf(paperId: string): ReadonlyMap<string, number>
}

/** A paper's words by lexeme: the first way the paper spells each. */
type WordsByLexeme = Map<string, string>

/** The paper's words for the keyword terms it has: a phrase as written, a word as the paper spells it. */
function termWords(terms: [text: string, phrase: boolean, lexemes: string[]][], words: WordsByLexeme | undefined): string[] {
  const found = new Map<string, string>()
  const add = (word: string) => {
    const key = word.toLowerCase()
    if (!found.has(key)) found.set(key, word)
  }
  for (const [text, phrase, lexemes] of terms) {
    if (phrase) add(text.slice(1, -1))
    else for (const lexeme of lexemes) add(words?.get(lexeme) ?? text)
  }
  // a handful is enough to say why
  return [...found.values()].slice(0, 5)
}

/**
 * Chooses subscribers' papers (never one already sent to them). A paper's topics come from the topic model
 * (src/topics), its categories from the arXiv lookup, both worked out once per window and process; PostgreSQL does
 * the keyword search (websearch_to_tsquery over the weighted search vector, ts_rank_cd, which of a keyword's terms a
 * paper has), once per window, process and keyword, and reads each paper's words once per window, to say through which
 * of them a keyword matched; rankPapers does the rest per subscriber, with the taste of those who voted (src/taste:
 * each window paper read as a term vector once per process). A batch is one round trip that reads the window's papers
 * with their current upvotes, the subscribers' preferences, their history and their tastes.
 */
export function createMatchRepository(sql: Sql, options: { catalogue?: readonly MatchTopic[]; model?: TopicModel } = {}) {
  const catalogue = options.catalogue ?? TOPICS
  const model = options.model ?? shippedTopicModel()

  /**
   * The papers of the window each keyword matches, their rank, and which of the keyword's terms the paper has, each
   * with its lexemes (the paper's own words for them come from the window's words, below). A keyword's query and its
   * terms are parsed once per statement, not once per paper.
   */
  const keywordHitsStatement = (window: DayWindow, keywords: string[]) => {
    const terms = keywords.flatMap((keyword) => keywordTerms(keyword).map((term, i) => ({ keyword, i, ...term })))
    return Prisma.sql`
    WITH queries AS MATERIALIZED (
      SELECT k.keyword, websearch_to_tsquery('english', k.keyword) AS tsq FROM unnest(${keywords}::text[]) AS k(keyword)
    ),
    terms AS MATERIALIZED (
      SELECT t.keyword, t.ord, t.text, t.phrase, websearch_to_tsquery('english', t.text) AS tsq,
             tsvector_to_array(to_tsvector('english', t.text)) AS lexemes
      FROM unnest(${terms.map((t) => t.keyword)}::text[], ${terms.map((t) => t.i)}::int[], ${terms.map((t) => t.text)}::text[],
                  ${terms.map((t) => t.phrase)}::boolean[]) AS t(keyword, ord, text, phrase)
    ),
    hits AS MATERIALIZED (
      SELECT q.keyword, p.id, ts_rank_cd(p.search, q.tsq) AS rank, p.search
      FROM queries q
      JOIN papers p ON p.day BETWEEN ${window.fromDay}::date AND ${window.toDay}::date AND p.search @@ q.tsq
      -- a stop-word-only keyword is an empty query: skip it rather than have Postgres log a notice per paper
      WHERE numnode(q.tsq) > 0
    )
    -- a hit meets only its own keyword's terms (a hash join, not every term of every keyword)
    SELECT h.keyword AS label, h.id AS paper_id, h.rank,
           coalesce(jsonb_agg(jsonb_build_array(t.text, t.phrase, t.lexemes) ORDER BY t.ord) FILTER (WHERE t.ord IS NOT NULL), '[]') AS terms
    FROM hits h
    LEFT JOIN terms t ON t.keyword = h.keyword AND numnode(t.tsq) > 0 AND h.search @@ t.tsq
    GROUP BY h.keyword, h.id, h.rank`
  }

  /**
   * Each paper's own words by lexeme, as the 'english' configuration reads them (its parser, english_stem for words,
   * lower case for words with digits): what says "Agentic" where a reader's keyword "agents" matched. Once per window.
   */
  const WINDOW_WORDS = `
    SELECT p.id, t.token,
           CASE WHEN t.tokid IN (1, 2, 10, 11, 16, 17) THEN ts_lexize('english_stem', t.token) ELSE ARRAY[lower(t.token)] END AS lexemes
    FROM papers p, ts_parse('default', p.title || ' | ' || paperboy_keywords_text(p.ai_keywords) || ' | ' || p.summary) AS t
    WHERE p.day BETWEEN $1::date AND $2::date AND t.tokid IN (1, 2, 3, 9, 10, 11, 15, 16, 17)`

  // Every keyword filter a digest may be asked for: active subscribers' (a paused one's too: it may be unpaused).
  const EVERY_KEYWORD = `SELECT DISTINCT unnest(keywords) AS k FROM subscribers WHERE status = 'active' AND cardinality(keywords) > 0`

  const WINDOW_PAPERS = `
    SELECT p.id, ${textVersionSql('p')} AS "textVersion", p.title, p.summary, p.ai_keywords, p.arxiv_categories, p.arxiv_primary_category
    FROM papers p WHERE p.day BETWEEN $1::date AND $2::date`

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
                     'categories', s.categories, 'min_upvotes', s.min_upvotes, 'lim', s.papers_per_email)), '[]')
            FROM subscribers s WHERE $4 AND s.id = ANY ($3::uuid[])) AS subs,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(d.subscriber_id, d.paper_ids)), '[]')
            FROM deliveries d
            WHERE d.subscriber_id = ANY ($3::uuid[])
              AND d.edition_id IN (SELECT e.id FROM editions e WHERE e.date >= $1::date)
              AND d.kind = 'digest' AND d.status::text IN ('sent', 'sending')) AS sent,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(t.subscriber_id, t.votes, t.weights)), '[]')
            FROM reader_tastes t WHERE t.subscriber_id = ANY ($3::uuid[])) AS tastes`

  async function readContext(window: DayWindow, subscriberIds: string[], withPreferences: boolean): Promise<ContextRow> {
    checkWindow(window)
    const { rows } = await sql.query<ContextRow>({ name: 'match-context', text: CONTEXT, values: [window.fromDay, window.toDay, subscriberIds, withPreferences] })
    return rows[0]!
  }

  // A paper's topics, by id and what the model reads of it: a daily and a weekly window share most papers, and a paper
  // is only classified again when its text or categories change (the arXiv lookup, a corrected abstract), not when an
  // ingest poll brings new upvotes (a weekly window's papers took the API process half a second to classify again).
  const classified = new Map<string, { slug: string; probability: number }[]>()

  async function classifyWindow(window: DayWindow): Promise<WindowHits> {
    const { rows } = await sql.query<PaperRow>({ name: 'match-window-papers', text: WINDOW_PAPERS, values: [window.fromDay, window.toDay] })
    const topicHits = new Map<string, Hit[]>()
    const categoryHits = new Map<string, Hit[]>()
    const papers = new Map<string, { row: PaperRow; topics: { slug: string; probability: number }[] }>()
    for (const p of rows) {
      const topics = keptOrMade(classified, `${p.id}@${p.textVersion}`, CLASSIFIED_KEPT, () => model.classify(paperTextOf(p)))
      papers.set(p.id, { row: p, topics })
      for (const { slug, probability } of topics) (topicHits.get(slug) ?? topicHits.set(slug, []).get(slug)!).push({ paperId: p.id, rank: probability })
      for (const category of p.arxiv_categories) (categoryHits.get(category) ?? categoryHits.set(category, []).get(category)!).push({ paperId: p.id, rank: 1 })
    }
    // asked once per candidate of every reader who voted: a lookup by id in the window, the process-wide cache (by id
    // and text, like the topics) only the first time
    const windowVectors = new Map<string, ReadonlyMap<string, number>>()
    const vectorOf = (paperId: string) => {
      let vector = windowVectors.get(paperId)
      if (vector) return vector
      const paper = papers.get(paperId)
      if (!paper) return NO_TERMS
      vector = keptOrMade(vectors, `${paperId}@${paper.row.textVersion}`, CLASSIFIED_KEPT, () => paperTerms({ ...paperTextOf(paper.row), topics: paper.topics }).vector)
      windowVectors.set(paperId, vector)
      return vector
    }
    return { topicHits, categoryHits, vectorOf }
  }
  // Papers as tastes read them, by id and text, like their topics.
  const vectors = new Map<string, ReadonlyMap<string, number>>()

  /**
   * The window's hits, kept per process while the window's papers are unchanged (the fingerprint read with every
   * selection moves with any change, and a changed one starts a new entry). Topics and categories are worked out for
   * the whole window at once, keyword hits the first time a keyword is asked for; a batch (`everyKeyword`) asks at once
   * for every keyword an active subscriber holds: one statement for an edition's thousand-odd filters instead of one
   * per batch that brings new ones. Only the most recent windows are kept.
   */
  const windows = new Map<string, { fingerprint: string; topics: Promise<WindowHits>; words?: Promise<Map<string, WordsByLexeme>>; keywords: Map<string, Promise<Hit[]>>; everyKeyword?: Promise<void> }>()
  async function hitsFor(window: DayWindow, fingerprint: string, keywords: Iterable<string>, everyKeyword = false) {
    const key = `${window.fromDay}/${window.toDay}`
    let entry = windows.get(key)
    if (!entry || entry.fingerprint !== fingerprint) {
      windows.delete(key)
      while (windows.size >= WINDOWS_KEPT) windows.delete(windows.keys().next().value!)
      entry = { fingerprint, topics: kept(classifyWindow(window)), keywords: new Map() }
      windows.set(key, entry)
    }
    const current = entry
    const ask = (list: string[]) => {
      const missing = [...new Set(list)].filter((k) => !current.keywords.has(k))
      if (missing.length === 0) return
      const computed = computeKeywordHits(window, missing, (current.words ??= kept(windowWords(window))))
      for (const k of missing) current.keywords.set(k, kept(computed.then((byLabel) => byLabel.get(k) ?? [])))
    }
    const wanted = [...new Set(keywords)]
    try {
      if (everyKeyword) await (entry.everyKeyword ??= kept(sql.query<{ k: string }>({ name: 'match-every-keyword', text: EVERY_KEYWORD }).then(({ rows }) => ask(rows.map((r) => r.k)))))
      ask(wanted)
      const [windowHits, ...lists] = await Promise.all([entry.topics, ...wanted.map((k) => entry.keywords.get(k)!)])
      return { ...(windowHits as WindowHits), keywordHits: new Map(wanted.map((k, i) => [k, lists[i] as Hit[]])) }
    } catch (error) {
      // a failed computation is not kept: the next selection tries again
      if (windows.get(key) === entry) windows.delete(key)
      throw error
    }
  }

  async function windowWords(window: DayWindow): Promise<Map<string, WordsByLexeme>> {
    const { rows } = await sql.query<{ id: string; token: string; lexemes: string[] | null }>({ name: 'match-window-words', text: WINDOW_WORDS, values: [window.fromDay, window.toDay] })
    const byPaper = new Map<string, WordsByLexeme>()
    for (const r of rows) {
      const words = byPaper.get(r.id) ?? byPaper.set(r.id, new Map()).get(r.id)!
      for (const lexeme of r.lexemes ?? []) if (!words.has(lexeme)) words.set(lexeme, r.token)
    }
    return byPaper
  }

  async function computeKeywordHits(window: DayWindow, keywords: string[], words: Promise<Map<string, WordsByLexeme>>): Promise<Map<string, Hit[]>> {
    const query = keywordHitsStatement(window, keywords)
    const [{ rows }, byPaper] = await Promise.all([
      sql.query<{ label: string; paper_id: string; rank: number; terms: [string, boolean, string[]][] }>({ name: 'match-keyword-hits', text: query.text, values: query.values }),
      words,
    ])
    const byLabel = new Map<string, Hit[]>()
    for (const r of rows) (byLabel.get(r.label) ?? byLabel.set(r.label, []).get(r.label)!).push({ paperId: r.paper_id, rank: r.rank, words: termWords(r.terms, byPaper.get(r.paper_id)) })
    return byLabel
  }

  /** Each subscriber's ranked papers, from a context read and the window's hits. */
  async function rankAll(window: DayWindow, context: ContextRow, subs: { id: string; prefs: Preferences }[], everyKeyword: boolean, includeSent = false) {
    const hits = await hitsFor(window, context.fingerprint, subs.flatMap((s) => s.prefs.keywords), everyKeyword)
    const upvotes = new Map(context.papers)
    const sent = new Map<string, Set<string>>()
    for (const [subscriberId, paperIds] of context.sent) {
      const set = sent.get(subscriberId) ?? sent.set(subscriberId, new Set()).get(subscriberId)!
      for (const id of paperIds) set.add(id)
    }
    const tastes = new Map(context.tastes.map(([subscriberId, votes, weights]) => [subscriberId, tasteScorer({ votes, weights })]))
    const tasteOf = (id: string): ReaderTaste | undefined => {
      const scorer = tastes.get(id.toLowerCase())
      return scorer && { votes: scorer.votes, score: (paperId) => scorer.score(hits.vectorOf(paperId)) }
    }
    return subs.map(({ id, prefs }) => ({
      id,
      papers: rankPapers(prefs, { catalogue, ...hits, upvotes, sent: includeSent ? NONE : sent.get(id.toLowerCase()) ?? NONE, taste: tasteOf(id) }),
    }))
  }

  return {
    /** Ranked papers for one subscriber: upvotes, then relevance, then id; never one already sent to them (unless asked). */
    async selectForSubscriber(input: MatchInput): Promise<MatchedPaper[]> {
      const context = await readContext(input, [input.subscriberId], false)
      const [only] = await rankAll(input, context, [{ id: input.subscriberId, prefs: input }], false, input.includeSent)
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
        prefs: { topics: s.topics, keywords: s.keywords, categories: s.categories, minUpvotes: s.min_upvotes, limit: s.lim },
      }))
      for (const { id, papers } of await rankAll(window, context, subs, true)) result.set(asGiven.get(id) ?? id, papers)
      return result
    },
  }
}
export type MatchRepository = ReturnType<typeof createMatchRepository>

/**
 * A promise kept for later selections. Many are kept that no selection awaits yet (every active keyword is asked for
 * at once): one that fails must not be an unhandled rejection, which ends the process. Whoever awaits it still gets
 * the error, and the window's entry is then dropped.
 */
function kept<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

/** Windows whose hits a process keeps: today's daily and weekly windows, and the previous day's around midnight. */
const WINDOWS_KEPT = 4
/** Papers whose topics a process keeps: a few weeks of Daily Papers. */
const CLASSIFIED_KEPT = 5_000
const NONE: ReadonlySet<string> = new Set()
const NO_TERMS: ReadonlyMap<string, number> = new Map()

function checkWindow(window: DayWindow): void {
  if (!DAY.test(window.fromDay) || !DAY.test(window.toDay)) {
    throw new RangeError(`day window must be YYYY-MM-DD: ${window.fromDay}..${window.toDay}`)
  }
}

import { blendedKeys, TASTE_OPTIONS, type TasteOptions } from '../taste/taste-model.ts'

/** One paper chosen for one subscriber, with the topic names and keyword strings that made it match. */
export interface MatchedPaper {
  paperId: string
  upvotes: number
  relevance: number
  matched: string[]
  /** Ordered by the reader's taste (they voted), not by upvotes alone. */
  byTaste?: true
}

/**
 * A paper a topic, category or keyword matched, and how well: the topic model's probability, 1 for a category, or
 * PostgreSQL's ts_rank_cd (a `real`) for a keyword, with the paper's words that answered the keyword.
 */
export interface Hit {
  paperId: string
  rank: number
  words?: readonly string[]
}

export interface Preferences {
  /** Catalogue slugs; unknown slugs match nothing. */
  topics: readonly string[]
  /** Web-search strings, each its own query. */
  keywords: readonly string[]
  /** arXiv categories (cs.CL, …); a paper listed in one matches. */
  categories: readonly string[]
  minUpvotes: number
  limit: number
}

export interface RankContext {
  /** The catalogue in its order (a topic's position orders the reasons a paper matched). */
  catalogue: readonly { slug: string; name: string }[]
  topicHits: ReadonlyMap<string, readonly Hit[]>
  categoryHits: ReadonlyMap<string, readonly Hit[]>
  keywordHits: ReadonlyMap<string, readonly Hit[]>
  /** The window's papers and their current upvotes; a hit on a paper not here is ignored. */
  upvotes: ReadonlyMap<string, number>
  /** Papers already sent (or maybe sent) to this subscriber. */
  sent: ReadonlySet<string>
  /** What this subscriber taught with their votes (taste-model.ts), when they have voted. */
  taste?: ReaderTaste
}

/** A reader's taste as ranking reads it: how many votes it rests on, and how much they would like a paper. */
export interface ReaderTaste {
  votes: number
  score(paperId: string): number
  options?: TasteOptions
}

/**
 * Why a keyword matched a paper: the keyword, and the paper's words that answered it when they say more than the
 * keyword does ("RL OR \"reinforcement learning\" (reinforcement learning)").
 */
export function keywordReason(keyword: string, words: readonly string[] | undefined): string {
  const shown = (words ?? []).filter((w) => w.toLowerCase() !== keyword.toLowerCase())
  return shown.length > 0 ? `${keyword} (${shown.join(', ')})` : keyword
}

/**
 * Pure. A subscriber's papers: every paper of the window one of their topics, arXiv categories or keywords matched
 * (all of the window's papers when they chose none), with at least their minimum upvotes, never one already sent;
 * most upvoted first, then most relevant (the sum of the ranks of every match, so a paper answering several interests
 * wins ties), then by id; at most `limit`. A reader who voted gets the same candidates in the order their taste and
 * upvotes give together (taste-model.ts's blendedKeys), ties as above. `matched` says why: the topic names (in catalogue order), the categories,
 * then each keyword with the words that answered it (in the subscriber's order); a slug, category or keyword listed
 * twice is one reason, and a keyword spelled exactly like one of the subscriber's topic names is that topic's reason
 * only.
 */
export function rankPapers(prefs: Preferences, context: RankContext): MatchedPaper[] {
  const candidates = new Map<string, { relevance: number; matched: string[] }>()
  const eligible = (paperId: string) => {
    const upvotes = context.upvotes.get(paperId)
    return upvotes !== undefined && upvotes >= prefs.minUpvotes && !context.sent.has(paperId)
  }
  const add = (hits: readonly Hit[] | undefined, label: (hit: Hit) => string) => {
    for (const hit of hits ?? []) {
      if (!eligible(hit.paperId)) continue
      const candidate = candidates.get(hit.paperId) ?? candidates.set(hit.paperId, { relevance: 0, matched: [] }).get(hit.paperId)!
      // PostgreSQL ranks are `real`s; summing them as such keeps relevance what SQL's sum(real) gives
      candidate.relevance = Math.fround(candidate.relevance + hit.rank)
      candidate.matched.push(label(hit))
    }
  }

  const topics = new Set(prefs.topics)
  const topicNames = new Set<string>()
  for (const topic of context.catalogue) {
    if (!topics.has(topic.slug)) continue
    topicNames.add(topic.name)
    add(context.topicHits.get(topic.slug), () => topic.name)
  }
  for (const category of new Set(prefs.categories)) add(context.categoryHits.get(category), () => category)
  for (const keyword of new Set(prefs.keywords)) {
    if (!topicNames.has(keyword)) add(context.keywordHits.get(keyword), (hit) => keywordReason(keyword, hit.words))
  }
  if (prefs.topics.length === 0 && prefs.keywords.length === 0 && prefs.categories.length === 0) {
    for (const paperId of context.upvotes.keys()) if (eligible(paperId)) candidates.set(paperId, { relevance: 0, matched: [] })
  }

  const ranked = [...candidates].map(([paperId, c]) => ({ paperId, upvotes: context.upvotes.get(paperId)!, relevance: c.relevance, matched: c.matched }))
  const byUpvotes = (a: MatchedPaper, b: MatchedPaper) => b.upvotes - a.upvotes || b.relevance - a.relevance || (a.paperId < b.paperId ? -1 : a.paperId > b.paperId ? 1 : 0)
  const taste = context.taste
  if (!taste || taste.votes === 0) return ranked.sort(byUpvotes).slice(0, Math.max(0, prefs.limit))
  // A reader who voted: the same candidates (filters stay hard), in the order their taste and upvotes give together.
  const keys = blendedKeys(ranked.map((p) => ({ upvotes: p.upvotes, taste: taste.score(p.paperId) })), taste.votes, taste.options ?? TASTE_OPTIONS)
  const keyOf = new Map(ranked.map((p, i) => [p.paperId, keys[i]!]))
  return ranked
    .sort((a, b) => keyOf.get(b.paperId)! - keyOf.get(a.paperId)! || byUpvotes(a, b))
    .slice(0, Math.max(0, prefs.limit))
    .map((p) => ({ ...p, byTaste: true as const }))
}

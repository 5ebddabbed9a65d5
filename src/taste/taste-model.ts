import type { PaperTerms } from './paper-terms.ts'

/**
 * Pure. What a reader taught Paperboy with "more like this" / "less like this": a Rocchio profile, the mean of the
 * vectors of the papers they wanted more of minus a share of the mean of those they wanted less of (paper-terms.ts).
 * A paper scores the dot product of the profile and its vector: positive when it is like what the reader asked for.
 * Relearned from the reader's recent votes at each vote (vote.repository.ts; given the voted papers' vectors, about a
 * millisecond for 200), stored, and read with the reader's preferences at planning time.
 */

export interface Taste {
  /** Votes it was learned from. */
  votes: number
  /** term → weight; the strongest terms only. */
  weights: Record<string, number>
  /** What it learned, as a reader would say it (preferences page, data export). */
  more: string[]
  less: string[]
}

export interface VotedPaper {
  vote: 1 | -1
  terms: PaperTerms
}

export interface TasteOptions {
  /** How much a "less" pulls against a "more" (Rocchio's γ over β). */
  lessWeight: number
  /** How far a reader's taste moves the order: the weight of a full-confidence taste beside upvotes (both 0..1). */
  blendWeight: number
  /** Votes at which the taste counts for half of blendWeight: a first vote nudges, a few days of votes steer. */
  halfConfidenceVotes: number
}

/** Chosen with `npm run eval:feedback -- --tune` on the dev papers only. */
export const TASTE_OPTIONS: TasteOptions = { lessWeight: 0.5, blendWeight: 4, halfConfidenceVotes: 4 }

/** Terms a taste keeps: what the planning run reads and scores per reader (300 did no better on the dev papers: p@10 +0.07 both, p@5 +0.19 against +0.18; 100 costs a third). */
export const TASTE_TERMS_KEPT = 100
/** Words shown per side on the preferences page. */
const WORDS_SHOWN = 6

/**
 * The taste `votes` teach. `label` says how a term reads (a topic's name, a category's code); text terms read as one
 * of the voted papers writes them.
 */
export function learnTaste(votes: readonly VotedPaper[], label: (term: string) => string | undefined, options: TasteOptions = TASTE_OPTIONS): Taste {
  const more = votes.filter((v) => v.vote > 0)
  const less = votes.filter((v) => v.vote < 0)
  const sum = new Map<string, number>()
  const add = (group: readonly VotedPaper[], scale: number) => {
    if (group.length === 0) return
    for (const { terms } of group) for (const [term, w] of terms.vector) sum.set(term, (sum.get(term) ?? 0) + (scale * w) / group.length)
  }
  add(more, 1)
  add(less, -options.lessWeight)
  const kept = [...sum].filter(([, w]) => w !== 0).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1)).slice(0, TASTE_TERMS_KEPT)

  const surface = (term: string) => label(term) ?? votes.map((v) => v.terms.surface.get(term)).find((s) => s !== undefined) ?? term
  // a phrase says more than its words alone: "web agents" before "web"
  const phrase = (term: string) => (term.includes(' ') && !term.includes(':') ? 2 : 1)
  const forWords = [...kept].sort((a, b) => Math.abs(b[1]) * phrase(b[0]) - Math.abs(a[1]) * phrase(a[0]) || (a[0] < b[0] ? -1 : 1))
  const words = (sign: 1 | -1) => {
    const shown: string[] = []
    const taken: string[] = []
    for (const [term, w] of forWords) {
      if (shown.length >= WORDS_SHOWN) break
      if (Math.sign(w) !== sign) continue
      // "world model" says it; "world" and "model" beside it add nothing
      if (taken.some((t) => t.split(' ').includes(term) || term.split(' ').includes(t))) continue
      taken.push(term)
      const text = surface(term)
      if (!shown.some((s) => s.toLowerCase() === text.toLowerCase())) shown.push(text)
    }
    return shown
  }
  return { votes: votes.length, weights: Object.fromEntries(kept.map(([t, w]) => [t, round(w)])), more: words(1), less: words(-1) }
}

// six significant digits: the stored taste stays small, and the order it gives is the same
const round = (w: number) => Number(w.toPrecision(6))

/** A taste ready to score papers many times: its weights as a Map. */
export interface TasteScorer {
  votes: number
  score(vector: ReadonlyMap<string, number>): number
}

export function tasteScorer(taste: Pick<Taste, 'votes' | 'weights'>): TasteScorer {
  const weights = new Map(Object.entries(taste.weights))
  return {
    votes: taste.votes,
    score(vector) {
      let s = 0
      for (const [term, w] of vector) {
        const t = weights.get(term)
        if (t !== undefined) s += t * w
      }
      return s
    },
  }
}

/**
 * The order key of a reader's candidates once they have voted: upvotes as today (log-scaled to 0..1 over the
 * candidates), plus their taste (scaled to -1..1 over the candidates), weighted by how many votes it rests on.
 */
export function blendedKeys(
  candidates: readonly { upvotes: number; taste: number }[],
  votes: number,
  options: TasteOptions = TASTE_OPTIONS,
): number[] {
  const topUpvotes = Math.max(0, ...candidates.map((c) => c.upvotes))
  const topTaste = Math.max(0, ...candidates.map((c) => Math.abs(c.taste)))
  const weight = (options.blendWeight * votes) / (votes + options.halfConfidenceVotes)
  return candidates.map((c) => (topUpvotes > 0 ? Math.log1p(Math.max(0, c.upvotes)) / Math.log1p(topUpvotes) : 0) + (topTaste > 0 ? (weight * c.taste) / topTaste : 0))
}

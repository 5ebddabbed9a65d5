import { rankPapers, type Hit, type Preferences, type ReaderTaste } from '../../src/digests/rank.ts'
import { paperTerms, TERM_OPTIONS, type PaperTerms, type TermOptions } from '../../src/taste/paper-terms.ts'
import { learnTaste, TASTE_OPTIONS, tasteScorer, type TasteOptions, type VotedPaper } from '../../src/taste/taste-model.ts'
import { TOPICS } from '../../src/topics/catalogue.ts'
import { shippedTopicModel } from '../../src/topics/topic-model.ts'
import type { Label } from './labels.ts'
import type { EvalPaper } from './papers.ts'

/**
 * The simulation behind `npm run eval:feedback`: readers with a hidden interest, defined on the labels (what papers
 * are about, decided by reading), get a digest a day through the production ranking (rankPapers, the taste model),
 * vote "more" on each sent paper inside their interest and "less" on the others, and the same readers who never vote
 * get the same days. Precision@k is the share of the first k papers sent that are inside the interest.
 */

export interface SimPaper {
  paper: EvalPaper
  /** What the paper is about, by reading. */
  topics: Set<string>
  /** What the topic model says it is about (the hard filters and the taste read this, as in production). */
  predicted: { slug: string; probability: number }[]
}

export interface Reader {
  name: string
  /** The filters the reader set: none = the whole list. */
  topics: string[]
  /** The interest they vote by. */
  wants: (topics: ReadonlySet<string>) => boolean
}

const has = (slug: string) => (t: ReadonlySet<string>) => t.has(slug)
const any = (...slugs: string[]) => (t: ReadonlySet<string>) => slugs.some((s) => t.has(s))
const minus = (slug: string, ...not: string[]) => (t: ReadonlySet<string>) => t.has(slug) && !not.some((s) => t.has(s))

/**
 * Readers whose interest is a topic, a few neighbouring topics, or a topic minus a sub-area; most set no filter (the
 * whole list: what a new reader gets before choosing), some filter to a few topics and want part of what those bring.
 */
export const READERS: Reader[] = [
  { name: 'agents', topics: [], wants: has('agents') },
  { name: 'reinforcement learning', topics: [], wants: has('reinforcement-learning') },
  { name: 'benchmarks', topics: [], wants: has('benchmarks-evaluation') },
  { name: 'vision & generation', topics: [], wants: any('vision-language', 'computer-vision', 'diffusion-generation', '3d-world-models') },
  { name: 'inside LLMs', topics: [], wants: any('llm-reasoning', 'llm-training', 'efficiency', 'ml-foundations') },
  { name: 'science & medicine', topics: [], wants: any('medicine-health', 'science', 'time-series') },
  { name: 'trust & society', topics: [], wants: any('safety-alignment', 'interpretability', 'society') },
  { name: 'robots & worlds', topics: [], wants: any('robotics', '3d-world-models') },
  { name: 'agents, not RL', topics: ['agents', 'reinforcement-learning', 'llm-reasoning'], wants: minus('agents', 'reinforcement-learning') },
  { name: 'RL, not agents', topics: ['agents', 'reinforcement-learning', 'llm-reasoning'], wants: minus('reinforcement-learning', 'agents') },
  { name: 'benchmarks, not agents', topics: ['benchmarks-evaluation', 'agents', 'code'], wants: minus('benchmarks-evaluation', 'agents') },
  { name: 'language, not vision', topics: ['nlp', 'dialogue', 'retrieval-rag', 'vision-language', 'knowledge-symbolic'], wants: minus('nlp', 'vision-language') },
]

/**
 * The fixture papers as days: each recorded listing is a day; the long arXiv category feed is two. Run separately on
 * the dev and the held-out papers (a day keeps the papers of the split).
 */
export function simulationDays(labels: readonly Label[], papers: ReadonlyMap<string, EvalPaper>, split: Label['split'] | 'all'): Day[] {
  const model = shippedTopicModel()
  const bySource = new Map<string, SimPaper[]>()
  for (const label of labels) {
    if (split !== 'all' && label.split !== split) continue
    const paper = papers.get(label.id)!
    // the handful of papers of the small recordings make one day together
    const source = label.source.startsWith('arxiv/rss_') || label.source.startsWith('arxiv/api_2026-06-14') ? 'arxiv/small recordings' : label.source
    const list = bySource.get(source) ?? bySource.set(source, []).get(source)!
    list.push({ paper, topics: new Set(label.topics), predicted: model.classify(paper) })
  }
  const days: Day[] = []
  for (const [source, list] of [...bySource].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    // the cs.AI category feed recorded 86 papers: two days' worth
    if (source.startsWith('arxiv/atom-category-feed')) {
      const half = Math.ceil(list.length / 2)
      days.push({ day: `${source} (1st half)`, papers: list.slice(0, half) }, { day: `${source} (2nd half)`, papers: list.slice(half) })
    } else days.push({ day: source, papers: list })
  }
  return days
}

export interface Day {
  day: string
  papers: SimPaper[]
}

export interface DayFigures {
  day: string
  papers: number
  /** Averages over readers, without votes and with. */
  without: { p5: number; p10: number }
  with: { p5: number; p10: number }
  /** The best any order of the same candidates could do: the day's ceiling. */
  best: { p5: number; p10: number }
}

/** The share of the first k papers sent that are inside the interest (of fewer when fewer were sent; 0 if none). */
export const precisionAt = (sent: readonly SimPaper[], k: number, wants: Reader['wants']): number => {
  const first = sent.slice(0, k)
  return first.length === 0 ? 0 : first.filter((p) => wants(p.topics)).length / first.length
}

export interface SimulationOptions {
  limit: number
  taste: TasteOptions
  terms: TermOptions
}
export const SIMULATION: SimulationOptions = { limit: 10, taste: TASTE_OPTIONS, terms: TERM_OPTIONS }

/** Each reader's days, with and without votes; averages per day. */
export function simulate(days: readonly Day[], readers: readonly Reader[], options: SimulationOptions = SIMULATION): DayFigures[] {
  const catalogue = TOPICS.map((t) => ({ slug: t.slug, name: t.name }))
  const names = new Map(catalogue.map((t) => [`topic:${t.slug}`, t.name]))
  const terms = new Map<string, PaperTerms>()
  const termsOf = (p: SimPaper) => terms.get(p.paper.id) ?? terms.set(p.paper.id, paperTerms({ ...p.paper, topics: p.predicted }, options.terms)).get(p.paper.id)!
  const figures: DayFigures[] = days.map((d) => ({ day: d.day, papers: d.papers.length, without: { p5: 0, p10: 0 }, with: { p5: 0, p10: 0 }, best: { p5: 0, p10: 0 } }))
  for (const reader of readers) {
    const prefs: Preferences = { topics: reader.topics, keywords: [], categories: [], minUpvotes: 0, limit: options.limit }
    for (const voting of [false, true]) {
      const sent = new Set<string>()
      const votes: VotedPaper[] = []
      let taste: ReaderTaste | undefined
      days.forEach((d, i) => {
        const byId = new Map(d.papers.map((p) => [p.paper.id, p]))
        const topicHits = new Map<string, Hit[]>()
        for (const p of d.papers) for (const t of p.predicted) (topicHits.get(t.slug) ?? topicHits.set(t.slug, []).get(t.slug)!).push({ paperId: p.paper.id, rank: t.probability })
        const upvotes = new Map(d.papers.map((p) => [p.paper.id, p.paper.upvotes]))
        const ranked = rankPapers(prefs, { catalogue, topicHits, categoryHits: new Map(), keywordHits: new Map(), upvotes, sent, taste }).map((m) => byId.get(m.paperId)!)
        const into = voting ? figures[i]!.with : figures[i]!.without
        into.p5 += precisionAt(ranked, 5, reader.wants) / readers.length
        into.p10 += precisionAt(ranked, 10, reader.wants) / readers.length
        for (const p of ranked) sent.add(p.paper.id)
        if (!voting) {
          // every candidate: the same filters with no limit
          const all = rankPapers({ ...prefs, limit: Number.MAX_SAFE_INTEGER }, { catalogue, topicHits, categoryHits: new Map(), keywordHits: new Map(), upvotes, sent: new Set([...sent].filter((id) => !byId.has(id))) })
          const ideal = all.map((m) => byId.get(m.paperId)!).sort((a, b) => Number(reader.wants(b.topics)) - Number(reader.wants(a.topics)))
          figures[i]!.best.p5 += precisionAt(ideal, 5, reader.wants) / readers.length
          figures[i]!.best.p10 += precisionAt(ideal, 10, reader.wants) / readers.length
          return
        }
        for (const p of ranked) votes.push({ vote: reader.wants(p.topics) ? 1 : -1, terms: termsOf(p) })
        const scorer = tasteScorer(learnTaste(votes, (term) => names.get(term), options.taste))
        const next = new Map(days[i + 1]?.papers.map((p) => [p.paper.id, p]) ?? [])
        taste = { votes: scorer.votes, score: (id) => scorer.score(termsOf(next.get(id)!).vector), options: options.taste }
      })
    }
  }
  return figures
}

/** Days of votes before the figures the target is about. */
export const VOTING_DAYS = 5

/** Mean p@10 gain on the days after VOTING_DAYS days of votes. */
export const laterGain = (figures: readonly DayFigures[]) => {
  const later = figures.slice(VOTING_DAYS)
  return later.reduce((a, d) => a + d.with.p10 - d.without.p10, 0) / Math.max(1, later.length)
}

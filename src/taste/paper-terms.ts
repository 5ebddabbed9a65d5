import { z } from 'zod'
import shippedFrequencies from './term-frequencies.json' with { type: 'json' }
import { BREAK, plainWords, stem, type PaperText } from '../topics/text.ts'

/**
 * Pure. A paper as a reader's taste model reads it: a sparse, L2-normalised vector of weighted terms (tf-idf of its
 * words and two-word phrases, the title and Hugging Face's keywords counting double), its catalogue topics
 * (`topic:<slug>`, weighted by the topic model's probability) and its arXiv categories (`cat:<code>`). Only the
 * strongest terms are kept, which bounds the cost of a dot product and the size of what a vote stores.
 */

/** How many documents held each term, from the fixture papers' text (no labels): `npm run train:topics` rewrites it. */
export const TermFrequencies = z.object({
  papers: z.number().int().positive(),
  df: z.record(z.string(), z.number().int().positive()),
})
export type TermFrequencies = z.infer<typeof TermFrequencies>

/** What the taste model reads of a paper: its text and the topics the topic model gave it. */
export interface TastePaper extends PaperText {
  topics: readonly { slug: string; probability: number }[]
}

export interface PaperTerms {
  /** term → weight, L2 norm 1. */
  vector: Map<string, number>
  /** A term's words as the paper writes them ("world models" for `world model`): how it reads on a page. */
  surface: Map<string, string>
}

/** Terms a paper keeps: enough for an abstract's distinctive words, few enough for a fast dot product. */
export const TERMS_KEPT = 120
const TITLE_WEIGHT = 2
const KEYWORD_WEIGHT = 2

/** How much a paper's topics and categories weigh beside its text (whose own weights sum, squared, to 1). */
export interface TermOptions {
  topicWeight: number
  categoryWeight: number
}
/** Chosen with `npm run eval:feedback -- --tune` on the dev papers. */
export const TERM_OPTIONS: TermOptions = { topicWeight: 0.6, categoryWeight: 0.3 }

export const topicTerm = (slug: string) => `topic:${slug}`
export const categoryTerm = (code: string) => `cat:${code}`

/** Where `npm run train:topics` writes them (imported above, so the compiled build carries them too). */
export const TERM_FREQUENCIES_FILE = new URL('./term-frequencies.json', import.meta.url)

let shipped: TermFrequencies | undefined
export function shippedTermFrequencies(): TermFrequencies {
  shipped ??= TermFrequencies.parse(shippedFrequencies)
  return shipped
}

/** Words and two-word phrases of a text (never across a sentence break), each with its surface form. */
export function textTerms(text: string, add: (term: string, surface: string) => void): void {
  for (const part of text.split(BREAK)) {
    const plain = plainWords(part)
    const stems = plain.map(stem)
    for (let i = 0; i < stems.length; i++) {
      add(stems[i]!, plain[i]!)
      if (i + 1 < stems.length) add(`${stems[i]} ${stems[i + 1]}`, `${plain[i]} ${plain[i + 1]}`)
    }
  }
}

/** The terms of a paper's text alone (what the frequencies count): each once. */
export function distinctTextTerms(paper: Pick<PaperText, 'title' | 'abstract' | 'keywords'>): Set<string> {
  const terms = new Set<string>()
  for (const text of [paper.title, paper.abstract, ...paper.keywords]) textTerms(text, (term) => terms.add(term))
  return terms
}

/**
 * Inverse document frequency, smoothed: a term in every paper ("the", "model") weighs next to nothing, one never seen
 * weighs as much as the rarest seen.
 */
export function idf(frequencies: TermFrequencies): (term: string) => number {
  const n = frequencies.papers
  return (term) => Math.log((n + 1) / ((frequencies.df[term] ?? 0) + 1))
}

let shippedIdf: ((term: string) => number) | undefined

export function paperTerms(paper: TastePaper, options: TermOptions = TERM_OPTIONS, weightOf?: (term: string) => number): PaperTerms {
  weightOf ??= shippedIdf ??= idf(shippedTermFrequencies())
  const counts = new Map<string, number>()
  const surface = new Map<string, string>()
  const count = (weight: number) => (term: string, written: string) => {
    counts.set(term, (counts.get(term) ?? 0) + weight)
    if (!surface.has(term)) surface.set(term, written)
  }
  textTerms(paper.title, count(TITLE_WEIGHT))
  for (const keyword of paper.keywords) textTerms(keyword, count(KEYWORD_WEIGHT))
  textTerms(paper.abstract, count(1))

  const weighted: [string, number][] = []
  // a word repeated ten times says more than a passing mention, not ten times more
  for (const [term, n] of counts) weighted.push([term, Math.log2(1 + n) * weightOf(term)])
  weighted.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const vector = new Map(weighted.slice(0, TERMS_KEPT).filter(([, w]) => w > 0))
  let textNorm = 0
  for (const w of vector.values()) textNorm += w * w
  textNorm = Math.sqrt(textNorm) || 1
  for (const [term, w] of vector) vector.set(term, w / textNorm)
  // topics and categories beside the text, which is normalised first so that a long abstract does not drown them
  for (const { slug, probability } of paper.topics) vector.set(topicTerm(slug), options.topicWeight * probability)
  for (const code of new Set(paper.categories)) vector.set(categoryTerm(code), options.categoryWeight)
  return { vector: normalised(vector), surface }
}

export function normalised(vector: Map<string, number>): Map<string, number> {
  let norm = 0
  for (const w of vector.values()) norm += w * w
  norm = Math.sqrt(norm)
  if (norm === 0) return vector
  return new Map([...vector].map(([term, w]) => [term, w / norm]))
}

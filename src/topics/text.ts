import { stemmer } from 'stemmer'

/**
 * Pure. How a paper's text becomes the features the topic model reads: words lower-cased, split on anything that is
 * not a letter or digit (so "vision-language-action" is three words) and at camel-case joins ("UniClawBench" is
 * "uni claw bench"), Porter-stemmed ("agents", "agentic" → "agent"); phrases are the stemmed n-grams of up to three
 * words inside one sentence or one keyword. The catalogue's evidence phrases go through the same function, so a phrase
 * and the text it names always meet.
 */

export const MAX_PHRASE_WORDS = 3

/** What the model reads of a paper. Categories are empty until (or unless) the arXiv lookup has answered. */
export interface PaperText {
  title: string
  abstract: string
  /** Hugging Face's `ai_keywords`; often absent. */
  keywords: readonly string[]
  /** arXiv categories, primary first. */
  categories: readonly string[]
  primaryCategory: string | null
}

/** A paper's columns in the `papers` table that the models read. */
export interface PaperTextColumns {
  title: string
  summary: string
  ai_keywords: string[]
  arxiv_categories: string[]
  arxiv_primary_category: string | null
}

/** A stored paper as the models read it. */
export const paperTextOf = (row: PaperTextColumns): PaperText => ({
  title: row.title,
  abstract: row.summary,
  keywords: row.ai_keywords,
  categories: row.arxiv_categories,
  primaryCategory: row.arxiv_primary_category,
})

/** Where a phrase was seen: t = title, k = AI keywords, a = abstract. */
export type Field = 't' | 'k' | 'a'

const stems = new Map<string, string>()
export function stem(word: string): string {
  let s = stems.get(word)
  if (s === undefined) {
    s = stemmer(word)
    // The cache only bounds work for a vocabulary that repeats; a flood of unique words must not grow it forever.
    if (stems.size > 200_000) stems.clear()
    stems.set(word, s)
  }
  return s
}

/** Lower-cased words of one stretch of text, split as described above, not stemmed. */
export function plainWords(text: string): string[] {
  const spaced = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .toLowerCase()
  return spaced.match(/[a-z0-9]+/g) ?? []
}

/** Stemmed words of one stretch of text (no sentence boundaries inside). */
export const words = (text: string): string[] => plainWords(text).map(stem)

/**
 * Words as the title rule reads them: only a plural `s` comes off ("agents" is "agent", "tokenizers" is "tokenizer",
 * but "tokenizer" is not "token" and "trading" is not "trade-offs", as stemming would have them).
 */
const surfaceWords = (text: string): string[] => plainWords(text).map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w))

/** A title asking a question ("Do agent benchmarks measure capability?") is a feature of its own: `t:?`. */
export const QUESTION = '?'

/** A phrase as the model keys it: its stemmed words joined by one space (`?` stays itself). */
export const phraseKey = (phrase: string): string => (phrase === QUESTION ? QUESTION : words(phrase).join(' '))

/** A phrase as the title rule keys it: its surface words (see surfaceWords). */
export const surfaceKey = (phrase: string): string => surfaceWords(phrase).join(' ')

// Sentences and clauses: a phrase never spans one of these.
export const BREAK = /[.;:!?()[\]{}"“”|•]+(?:\s|$)|\n/

/** Every n-gram (1..3 words) of a text with its count, never across a sentence break. */
export function phraseCounts(text: string, into = new Map<string, number>(), split: (text: string) => string[] = words): Map<string, number> {
  for (const part of text.split(BREAK)) {
    const w = split(part)
    for (let i = 0; i < w.length; i++) {
      let key = ''
      for (let n = 0; n < MAX_PHRASE_WORDS && i + n < w.length; n++) {
        key = n === 0 ? w[i]! : `${key} ${w[i + n]}`
        into.set(key, (into.get(key) ?? 0) + 1)
      }
    }
  }
  return into
}

/**
 * The paper as sparse features: `t:<phrase>` and `k:<phrase>` are 1 when the title (the keywords) hold the phrase,
 * `T:<phrase>` when the title holds it in surface words (read by the title rule only),
 * `a:<phrase>` grows with the log of its count in the abstract (a word repeated ten times says more than one passing
 * mention, not ten times more), `c:<category>` and `c:<archive>` (e.g. `c:physics`) for every arXiv category and `p:`
 * for the primary one.
 */
export function paperFeatures(paper: PaperText): Map<string, number> {
  const features = new Map<string, number>()
  for (const key of phraseCounts(paper.title).keys()) features.set(`t:${key}`, 1)
  if (paper.title.includes(QUESTION)) features.set(`t:${QUESTION}`, 1)
  for (const key of phraseCounts(paper.title, new Map(), surfaceWords).keys()) features.set(`T:${key}`, 1)
  const keywordPhrases = new Map<string, number>()
  for (const keyword of paper.keywords) phraseCounts(keyword, keywordPhrases)
  for (const key of keywordPhrases.keys()) features.set(`k:${key}`, 1)
  for (const [key, count] of phraseCounts(paper.abstract)) features.set(`a:${key}`, Math.log2(1 + count))
  for (const category of paper.categories) {
    features.set(`c:${category}`, 1)
    features.set(`c:${archiveOf(category)}`, 1)
  }
  if (paper.primaryCategory) {
    features.set(`p:${paper.primaryCategory}`, 1)
    features.set(`p:${archiveOf(paper.primaryCategory)}`, 1)
  }
  return features
}

/** `cond-mat.str-el` → `cond-mat`, `cs.CL` → `cs`, `hep-th` → `hep-th`. */
export const archiveOf = (category: string): string => category.split('.')[0]!

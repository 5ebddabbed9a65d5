import { createHash } from 'node:crypto'
import type { Topic } from '../../src/topics/catalogue.ts'
import { paperFeatures, phraseKey, surfaceKey, type PaperText, MAX_PHRASE_WORDS } from '../../src/topics/text.ts'
import type { TopicModelData } from '../../src/topics/topic-model.ts'
import { fitLogistic, type SparseRow } from './logistic.ts'

/**
 * Trains the topic model: for each topic, logistic regression over every paper feature, each weight pulled toward
 * the prior the catalogue's evidence gives it (catalogue.ts). Deterministic: the same examples and options give the
 * same model, byte for byte.
 */

export interface TrainOptions {
  /** Pull toward the prior of a feature the catalogue names: how far the labelled papers may move its weight. */
  lambdaPrior: number
  /**
   * Whether words and phrases the catalogue does not name are features too (pulled toward 0 by lambdaFree, and only
   * those seen in at least minDf training papers). Off: with them the model recites its training papers (dev
   * in-sample F1 1.00) and cross-validation gains nothing (0.716 → 0.725, within its noise), at 170k weights.
   */
  freeFeatures: boolean
  lambdaFree: number
  minDf: number
  /** Prior weight of an evidence phrase per field: title, AI keywords, abstract. */
  field: { t: number; k: number; a: number }
  /** Multiplier of each kind of evidence. */
  level: { strong: number; some: number; against: number }
  /** Prior weight of a catalogue category when it is the primary one, and when it is listed. */
  category: { primary: number; listed: number }
  /** A topic is the paper's when its logit is at least this. */
  threshold: number
  /** Whether a title naming the topic's subject makes the paper the topic's (see titleRule). */
  titleRule: boolean
}

/** Chosen by cross-validation on the dev papers only (npm run train:topics -- --cv prints the grid). */
export const DEFAULT_OPTIONS: TrainOptions = {
  lambdaPrior: 10,
  freeFeatures: false,
  lambdaFree: 3,
  minDf: 2,
  field: { t: 1.5, k: 1, a: 0.75 },
  level: { strong: 2, some: 0.75, against: -2 },
  category: { primary: 1.5, listed: 0.75 },
  threshold: 0,
  titleRule: true,
}

export interface Example {
  id: string
  paper: PaperText
  topics: readonly string[]
}

type Catalogue = readonly Pick<Topic, 'slug' | 'evidence'>[]

/**
 * The prior weight of each feature the topic's evidence names. Phrases that stem alike ("quantization", "quantized")
 * are one feature, with the strongest weight named for it: listing a word's forms must not count it twice.
 */
export function priorWeights(topic: Pick<Topic, 'slug' | 'evidence'>, options: TrainOptions): Map<string, number> {
  const prior = new Map<string, number>()
  const add = (feature: string, weight: number) => {
    const known = prior.get(feature)
    if (known === undefined || Math.abs(weight) > Math.abs(known)) prior.set(feature, weight)
  }
  const { strong, title = [], some = [], against = [], categories = [] } = topic.evidence
  const { level } = options
  const kinds = [
    [strong, { t: level.strong, k: level.strong, a: level.strong }],
    [title, { t: level.strong, k: level.strong, a: level.some }],
    [some, { t: level.some, k: level.some, a: level.some }],
    [against, { t: level.against, k: level.against, a: level.against }],
  ] as const
  for (const [phrases, levels] of kinds) {
    for (const phrase of phrases) {
      const key = phraseKey(phrase)
      if (key === '' || key.split(' ').length > MAX_PHRASE_WORDS) {
        throw new Error(`${topic.slug}: evidence "${phrase}" must be 1 to ${MAX_PHRASE_WORDS} words`)
      }
      for (const field of ['t', 'k', 'a'] as const) add(`${field}:${key}`, levels[field] * options.field[field])
    }
  }
  for (const category of categories) {
    add(`p:${category}`, options.category.primary)
    add(`c:${category}`, options.category.listed)
  }
  return prior
}

const round = (x: number) => Math.round(x * 10_000) / 10_000

type Scorer = Omit<TopicModelData['topics'][string], 'title' | 'unless'>

/**
 * The title rule of a topic: one of its strong or title phrases in the title, in surface words (a stem can be too
 * wide for a rule: "tokenizer" stems to "token"), unless a phrase against it is anywhere.
 */
export function titleRule(topic: Pick<Topic, 'evidence'>): { title: string[]; unless: string[] } {
  const { strong, title = [], against = [] } = topic.evidence
  const keys = (features: string[]) => [...new Set(features)].sort()
  return {
    title: keys([...strong, ...title].filter((p) => p !== '?').map((p) => `T:${surfaceKey(p)}`)),
    unless: keys(against.flatMap((p) => ['t', 'k', 'a'].map((f) => `${f}:${phraseKey(p)}`))),
  }
}

function keep(vocabulary: readonly string[], weights: ArrayLike<number>, bias: number): Scorer {
  const kept: Record<string, number> = {}
  vocabulary.forEach((k, i) => {
    const w = round(weights[i]!)
    if (w !== 0) kept[k] = w
  })
  return { bias: round(bias), weights: kept }
}

/** Every feature's own weight (the catalogue's features start from their prior, the others from 0). */
function fitPhrases(topic: Pick<Topic, 'slug' | 'evidence'>, featureMaps: Map<string, number>[], labels: (0 | 1)[], df: Map<string, number>, options: TrainOptions): Scorer {
  const prior = priorWeights(topic, options)
  const free = !options.freeFeatures ? [] : [...df].filter(([, n]) => n >= options.minDf).map(([k]) => k)
  // Sorted, so the model does not depend on the order the papers came in.
  const vocabulary = [...new Set([...free, ...prior.keys()])].sort()
  const index = new Map(vocabulary.map((k, i) => [k, i]))
  const rows: SparseRow[] = featureMaps.map((features) => {
    const present = [...features].filter(([k]) => index.has(k))
    return { index: Int32Array.from(present, ([k]) => index.get(k)!), value: Float64Array.from(present, ([, v]) => v) }
  })
  const fit = fitLogistic({
    rows,
    labels,
    prior: Float64Array.from(vocabulary, (k) => prior.get(k) ?? 0),
    lambda: Float64Array.from(vocabulary, (k) => (prior.has(k) ? options.lambdaPrior : options.lambdaFree)),
  })
  return keep(vocabulary, fit.weights, fit.bias)
}

export function trainTopicModel(examples: readonly Example[], catalogue: Catalogue, options: TrainOptions = DEFAULT_OPTIONS, split = 'dev'): TopicModelData {
  const featureMaps = examples.map((e) => paperFeatures(e.paper))
  const df = new Map<string, number>()
  for (const features of featureMaps) for (const key of features.keys()) df.set(key, (df.get(key) ?? 0) + 1)

  const topics: TopicModelData['topics'] = {}
  for (const topic of catalogue) {
    const labels = examples.map((e) => (e.topics.includes(topic.slug) ? 1 : 0) as 0 | 1)
    topics[topic.slug] = { ...fitPhrases(topic, featureMaps, labels, df, options), ...(options.titleRule ? titleRule(topic) : { title: [], unless: [] }) }
  }
  return { fingerprint: fingerprint(examples, catalogue, options), trainedOn: { papers: examples.length, split }, threshold: options.threshold, topics }
}

/** Changes with any input of the training: the papers' text and labels, the catalogue's evidence, the options. */
export function fingerprint(examples: readonly Example[], catalogue: Catalogue, options: TrainOptions): string {
  const hash = createHash('sha256')
  hash.update(JSON.stringify(options))
  for (const t of catalogue) hash.update(JSON.stringify([t.slug, t.evidence]))
  // upvotes are not an input of the training (the feedback simulation reads them)
  for (const e of [...examples].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const { upvotes: _upvotes, ...paper } = e.paper as typeof e.paper & { upvotes?: number }
    hash.update(JSON.stringify([e.id, paper, [...e.topics].sort()]))
  }
  return hash.digest('hex').slice(0, 16)
}

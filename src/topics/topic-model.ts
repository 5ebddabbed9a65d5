import { z } from 'zod'
import shippedData from './topic-model.json' with { type: 'json' }
import { TOPICS } from './catalogue.ts'
import { paperFeatures, type PaperText } from './text.ts'

/**
 * Pure once loaded. Which catalogue topics a paper is mainly about: one logistic-regression scorer per topic over the
 * paper's features (text.ts), trained on the labelled evaluation set and shipped as data (topic-model.json, made by
 * `npm run train:topics`), and one rule: a title that names the topic's subject (one of its strong phrases, with none
 * of the phrases against it anywhere) makes the paper the topic's, however short its abstract. Deterministic and
 * local: the same paper always gets the same topics, with no network and no model download.
 */

export const TopicModelData = z.object({
  /** Changes whenever the data it was trained from, or how, changes. */
  fingerprint: z.string(),
  trainedOn: z.object({ papers: z.number().int(), split: z.string() }),
  /** A topic is the paper's when its score (a logit) is at least this. */
  threshold: z.number(),
  topics: z.record(
    z.string(),
    z.object({
      bias: z.number(),
      weights: z.record(z.string(), z.number()),
      /** Features (`t:` phrases) any one of which makes the paper the topic's… */
      title: z.array(z.string()),
      /** …unless the paper has one of these. */
      unless: z.array(z.string()),
    }),
  ),
})
export type TopicModelData = z.infer<typeof TopicModelData>

export interface TopicScore {
  slug: string
  /** The logit. */
  score: number
  /** The same as a probability, 0..1 (at least 0.5 when the title rule made the topic the paper's). */
  probability: number
  /** Whether the topic is the paper's: score ≥ the model's threshold, or the title rule. */
  assigned: boolean
}

export interface TopicModel {
  /** Every catalogue topic's score, in catalogue order. */
  score(paper: PaperText): TopicScore[]
  /** The paper's topics (slugs, catalogue order) with their probabilities. */
  classify(paper: PaperText): { slug: string; probability: number }[]
  readonly fingerprint: string
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

export function createTopicModel(data: TopicModelData, catalogue: readonly { slug: string }[] = TOPICS): TopicModel {
  const missing = catalogue.filter((t) => !data.topics[t.slug]).map((t) => t.slug)
  if (missing.length > 0) throw new Error(`the topic model has no scorer for ${missing.join(', ')}: retrain it with npm run train:topics`)
  const scorers = catalogue.map((t) => {
    const topic = data.topics[t.slug]!
    return { slug: t.slug, bias: topic.bias, weights: new Map(Object.entries(topic.weights)), title: topic.title, unless: topic.unless }
  })

  function score(paper: PaperText): TopicScore[] {
    const features = paperFeatures(paper)
    return scorers.map(({ slug, bias, weights, title, unless }) => {
      let s = bias
      for (const [feature, value] of features) {
        const w = weights.get(feature)
        if (w !== undefined) s += w * value
      }
      const byTitle = title.some((f) => features.has(f)) && !unless.some((f) => features.has(f))
      const probability = sigmoid(s)
      return { slug, score: s, probability: byTitle ? Math.max(probability, 0.5) : probability, assigned: s >= data.threshold || byTitle }
    })
  }

  return {
    score,
    classify: (paper) => score(paper).filter((s) => s.assigned).map(({ slug, probability }) => ({ slug, probability })),
    fingerprint: data.fingerprint,
  }
}

/** Where `npm run train:topics` writes the model (imported above, so the compiled build carries it too). */
export const TOPIC_MODEL_FILE = new URL('./topic-model.json', import.meta.url)

let shipped: TopicModel | undefined
/** The model shipped with this version of Paperboy (checked once per process). */
export function shippedTopicModel(): TopicModel {
  shipped ??= createTopicModel(TopicModelData.parse(shippedData))
  return shipped
}

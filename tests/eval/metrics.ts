import type { TopicModel } from '../../src/topics/topic-model.ts'
import type { Example } from './train.ts'

/** Per-topic precision, recall and F1 of predicted topic sets against labelled ones. */
export interface TopicFigures {
  slug: string
  /** Labelled papers of the topic. */
  support: number
  predicted: number
  truePositives: number
  precision: number
  recall: number
  f1: number
  /** Sent but not about the topic. */
  falsePositives: string[]
  /** About the topic but not sent. */
  falseNegatives: string[]
}

export interface Scored {
  id: string
  labelled: readonly string[]
  predicted: readonly string[]
}

/** Each example's labelled topics beside the ones the model gives it. */
export const scoreExamples = (model: Pick<TopicModel, 'classify'>, examples: readonly Example[]): Scored[] =>
  examples.map((e) => ({ id: e.id, labelled: e.topics, predicted: model.classify(e.paper).map((c) => c.slug) }))

// An empty prediction set is perfectly precise (it sent nothing wrong); an empty labelled set is perfectly recalled.
const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b)

export function topicFigures(slugs: readonly string[], scored: readonly Scored[]): TopicFigures[] {
  return slugs.map((slug) => {
    const falsePositives: string[] = []
    const falseNegatives: string[] = []
    let truePositives = 0
    let support = 0
    let predicted = 0
    for (const s of scored) {
      const isLabelled = s.labelled.includes(slug)
      const isPredicted = s.predicted.includes(slug)
      if (isLabelled) support++
      if (isPredicted) predicted++
      if (isLabelled && isPredicted) truePositives++
      else if (isPredicted) falsePositives.push(s.id)
      else if (isLabelled) falseNegatives.push(s.id)
    }
    const precision = ratio(truePositives, predicted)
    const recall = ratio(truePositives, support)
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return { slug, support, predicted, truePositives, precision, recall, f1, falsePositives, falseNegatives }
  })
}

/** Macro averages over the topics with at least `minSupport` labelled papers. */
export function macro(figures: readonly TopicFigures[], minSupport: number) {
  const counted = figures.filter((f) => f.support >= minSupport)
  const mean = (pick: (f: TopicFigures) => number) => (counted.length === 0 ? 0 : counted.reduce((a, f) => a + pick(f), 0) / counted.length)
  return { topics: counted.length, precision: mean((f) => f.precision), recall: mean((f) => f.recall), f1: mean((f) => f.f1) }
}

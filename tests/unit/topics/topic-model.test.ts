import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '../../../src/topics/catalogue.ts'
import { MAX_PHRASE_WORDS, phraseKey } from '../../../src/topics/text.ts'
import { TOPIC_MODEL_FILE, TopicModelData, createTopicModel, shippedTopicModel } from '../../../src/topics/topic-model.ts'
import { loadDataset, type Dataset } from '../../eval/dataset.ts'
import { macro, scoreExamples, topicFigures } from '../../eval/metrics.ts'
import { serialiseModel } from '../../eval/retrain.ts'
import { DEFAULT_OPTIONS, fingerprint, trainTopicModel } from '../../eval/train.ts'

/**
 * The shipped topic model is what `npm run train:topics` makes from the labelled dev papers (nobody edits weights by
 * hand), and its agreement with the held-out papers may not fall below what it was when it shipped. The figures
 * themselves are printed by `npm run eval`.
 */

let data: Dataset
beforeAll(async () => {
  data = await loadDataset()
})

const slugs = TOPICS.map((t) => t.slug)
const heldOutFigures = () => topicFigures(slugs, scoreExamples(shippedTopicModel(), data.heldOut))

describe('the shipped topic model', () => {
  it('is exactly what training on the dev papers gives (retrain with npm run train:topics after changing labels or evidence)', () => {
    const shipped = readFileSync(TOPIC_MODEL_FILE, 'utf8')
    expect(JSON.parse(shipped).fingerprint, 'the labels, papers, evidence or options changed since the model was trained').toBe(
      fingerprint(data.dev, TOPICS, DEFAULT_OPTIONS),
    )
    expect(shipped).toBe(serialiseModel(trainTopicModel(data.dev, TOPICS, DEFAULT_OPTIONS)))
  })

  it('was trained on the dev papers only', () => {
    expect(TopicModelData.parse(JSON.parse(readFileSync(TOPIC_MODEL_FILE, 'utf8'))).trainedOn).toEqual({ papers: data.dev.length, split: 'dev' })
  })

  it('holds its held-out figures (floors a little under those it shipped with: macro precision 0.70, recall 0.70)', () => {
    const m = macro(heldOutFigures(), 5)
    expect(m.topics).toBe(21)
    expect(m.precision).toBeGreaterThanOrEqual(0.68)
    expect(m.recall).toBeGreaterThanOrEqual(0.68)
  })

  it('has a scorer for every catalogue topic, and refuses a model that lacks one', () => {
    const file = TopicModelData.parse(JSON.parse(readFileSync(TOPIC_MODEL_FILE, 'utf8')))
    expect(Object.keys(file.topics).sort()).toEqual([...slugs].sort())
    const { agents: _dropped, ...rest } = file.topics
    expect(() => createTopicModel({ ...file, topics: rest })).toThrow(/no scorer for agents: retrain it with npm run train:topics/)
  })
})

describe('the catalogue and the labelled set', () => {
  it('covers at least 95 % of the labelled papers with at least one topic', () => {
    const covered = data.labels.filter((l) => l.topics.length > 0).length
    expect(covered / data.labels.length).toBeGreaterThanOrEqual(0.95)
  })

  it('holds at least 250 labelled papers, each read from a fixture in the repository', () => {
    expect(data.labels.length).toBeGreaterThanOrEqual(250)
    expect(data.dev.length + data.heldOut.length).toBe(data.labels.length)
  })

  it('gives every topic evidence of one to three words, each phrase named once per topic', () => {
    for (const topic of TOPICS) {
      const { strong, title = [], some = [], against = [] } = topic.evidence
      const phrases = [...strong, ...title, ...some, ...against]
      expect(strong.length + title.length, topic.slug).toBeGreaterThan(0)
      for (const phrase of phrases) {
        if (phrase === '?') continue
        const n = phraseKey(phrase).split(' ').length
        expect(n >= 1 && n <= MAX_PHRASE_WORDS && phraseKey(phrase) !== '', `${topic.slug}: "${phrase}"`).toBe(true)
      }
      const repeated = phrases.filter((p, i) => phrases.indexOf(p) !== i)
      expect(repeated, topic.slug).toEqual([])
    }
  })
})

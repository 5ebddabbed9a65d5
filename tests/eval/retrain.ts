import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import { TOPICS } from '../../src/topics/catalogue.ts'
import { TOPIC_MODEL_FILE, createTopicModel } from '../../src/topics/topic-model.ts'
import { loadDataset } from './dataset.ts'
import { macro, scoreExamples, topicFigures } from './metrics.ts'
import { DEFAULT_OPTIONS, trainTopicModel, type Example, type TrainOptions } from './train.ts'
import { TERM_FREQUENCIES_FILE } from '../../src/taste/paper-terms.ts'
import { loadEvalPapers } from './papers.ts'
import { countTermFrequencies } from './term-frequencies.ts'

/**
 * npm run train:topics — retrains the topic model on the dev papers and writes src/topics/topic-model.json, and counts
 * the terms of every fixture paper's text (no labels) for the readers' taste model: src/taste/term-frequencies.json.
 * npm run train:topics -- --cv — prints 5-fold cross-validation on the dev papers for the options and a few
 * neighbours instead (how DEFAULT_OPTIONS were chosen); writes nothing. The held-out papers are never read here.
 */

export const serialiseModel = (model: unknown) => `${JSON.stringify(model, null, 1)}\n`
/** One term a line: a retrain's diff reads. */
export const serialiseFrequencies = (f: { papers: number; df: Record<string, number> }) =>
  `{"papers": ${f.papers}, "df": {\n${Object.entries(f.df).map(([t, n]) => `${JSON.stringify(t)}: ${n}`).join(',\n')}\n}}\n`

const fold = (id: string) => parseInt(createHash('sha1').update(`fold:${id}`).digest('hex').slice(0, 8), 16) % 5

function crossValidate(dev: readonly Example[], options: TrainOptions) {
  const scored = []
  for (let f = 0; f < 5; f++) {
    const model = createTopicModel(trainTopicModel(dev.filter((e) => fold(e.id) !== f), TOPICS, options))
    scored.push(...scoreExamples(model, dev.filter((e) => fold(e.id) === f)))
  }
  return macro(topicFigures(TOPICS.map((t) => t.slug), scored), 5)
}

async function main() {
  const { dev } = await loadDataset()
  if (process.argv.includes('--cv')) {
    const variants: [string, Partial<TrainOptions>][] = [
      ['chosen', {}],
      ['lambdaPrior ×3', { lambdaPrior: DEFAULT_OPTIONS.lambdaPrior * 3 }],
      ['lambdaPrior ÷3', { lambdaPrior: DEFAULT_OPTIONS.lambdaPrior / 3 }],
      ['no title rule', { titleRule: false }],
      ['+ free features', { freeFeatures: true, lambdaPrior: 1 }],
      ['threshold −1', { threshold: DEFAULT_OPTIONS.threshold - 1 }],
      ['threshold +1', { threshold: DEFAULT_OPTIONS.threshold + 1 }],
    ]
    console.log(`5-fold cross-validation on the ${dev.length} dev papers (macro over topics with ≥ 5 papers)`)
    for (const [name, change] of variants) {
      const m = crossValidate(dev, { ...DEFAULT_OPTIONS, ...change })
      console.log(`${name.padEnd(18)} precision ${m.precision.toFixed(3)}  recall ${m.recall.toFixed(3)}  F1 ${m.f1.toFixed(3)}  (${m.topics} topics)`)
    }
    return
  }
  const started = performance.now()
  const model = trainTopicModel(dev, TOPICS, DEFAULT_OPTIONS)
  const file = fileURLToPath(TOPIC_MODEL_FILE)
  writeFileSync(file, serialiseModel(model))
  const weights = Object.values(model.topics).reduce((a, t) => a + Object.keys(t.weights).length, 0)
  console.log(`trained ${TOPICS.length} topics on ${dev.length} dev papers in ${((performance.now() - started) / 1000).toFixed(1)} s: ${weights} weights, fingerprint ${model.fingerprint}`)
  console.log(`wrote ${file}; run npm run eval for the figures`)
  const frequencies = countTermFrequencies((await loadEvalPapers()).values())
  writeFileSync(fileURLToPath(TERM_FREQUENCIES_FILE), serialiseFrequencies(frequencies))
  console.log(`counted ${Object.keys(frequencies.df).length} terms of ${frequencies.papers} fixture papers: wrote ${fileURLToPath(TERM_FREQUENCIES_FILE)}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()

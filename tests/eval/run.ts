import { TOPICS } from '../../src/topics/catalogue.ts'
import { loadDataset } from './dataset.ts'
import { macro, scoreExamples, topicFigures, type TopicFigures } from './metrics.ts'
import { createHash } from 'node:crypto'
import { createTopicModel, shippedTopicModel } from '../../src/topics/topic-model.ts'
import { DEFAULT_OPTIONS, trainTopicModel, type Example } from './train.ts'

/**
 * npm run eval — how well the shipped topic model (the code that decides a paper's topics in every digest) agrees with
 * the labelled papers: per topic precision, recall, F1 and support on the held-out papers (never trained or tuned on)
 * and on the dev papers (trained on), and the papers it got wrong. Prints figures; never fails.
 * `-- --errors dev` lists the dev papers' errors as well. `-- --curve` adds the learning curve: the same training on
 * a quarter, half, three quarters and all of the dev papers (three draws each but the last), scored on the held-out
 * papers — whether more labelled papers of the kind there are would move the figures. It chooses nothing.
 */

const MIN_SUPPORT = 5
const TARGET = 0.9
const slugs = TOPICS.map((t) => t.slug)
const pct = (x: number) => x.toFixed(2)

/** As before the arXiv lookup answers: no categories. */
const withoutCategories = (examples: readonly Example[]): Example[] => examples.map((e) => ({ ...e, paper: { ...e.paper, categories: [], primaryCategory: null } }))

function table(title: string, figures: TopicFigures[]) {
  console.log(`\n${title}`)
  console.log(`${'topic'.padEnd(24)} support  sent   precision  recall  F1`)
  for (const f of figures) {
    const flag = f.support >= MIN_SUPPORT && (f.precision < TARGET || f.recall < TARGET) ? '  < 0.9' : f.support < MIN_SUPPORT ? '  (fewer than 5: not counted)' : ''
    console.log(`${f.slug.padEnd(24)} ${String(f.support).padStart(7)} ${String(f.predicted).padStart(5)}   ${pct(f.precision).padStart(9)}  ${pct(f.recall).padStart(6)}  ${pct(f.f1)}${flag}`)
  }
  const m = macro(figures, MIN_SUPPORT)
  const met = figures.filter((f) => f.support >= MIN_SUPPORT && f.precision >= TARGET && f.recall >= TARGET).length
  console.log(`macro over the ${m.topics} topics with ≥ ${MIN_SUPPORT} papers: precision ${pct(m.precision)}  recall ${pct(m.recall)}  F1 ${pct(m.f1)}; ${met} of ${m.topics} reach ${TARGET} on both`)
}

function errors(title: string, figures: TopicFigures[], titles: Map<string, string>) {
  console.log(`\n${title}`)
  for (const f of figures) {
    if (f.falsePositives.length + f.falseNegatives.length === 0) continue
    console.log(`  ${f.slug}`)
    for (const id of f.falsePositives) console.log(`    sent, not about it   ${id.padEnd(11)} ${titles.get(id)}`)
    for (const id of f.falseNegatives) console.log(`    about it, not sent   ${id.padEnd(11)} ${titles.get(id)}`)
  }
}

const { labels, dev, heldOut } = await loadDataset()
const model = shippedTopicModel()
const titles = new Map(labels.map((l) => [l.id, l.title]))
const covered = labels.filter((l) => l.topics.length > 0).length
const heldOutFigures = topicFigures(slugs, scoreExamples(model, heldOut))
const devFigures = topicFigures(slugs, scoreExamples(model, dev))
const textOnly = macro(topicFigures(slugs, scoreExamples(model, withoutCategories(heldOut))), MIN_SUPPORT)
const all = scoreExamples(model, [...dev, ...heldOut])

console.log(`Topic model ${model.fingerprint}: ${TOPICS.length} topics, trained on the ${dev.length} dev papers (npm run train:topics)`)
console.log(`Labelled set: ${labels.length} papers read by hand (tests/eval/labels.json, guide in tests/eval/LABELLING.md); held-out ${heldOut.length}, dev ${dev.length}`)
console.log(`Catalogue coverage: ${covered} of ${labels.length} labelled papers (${((100 * covered) / labels.length).toFixed(1)} %) are mainly about at least one topic; the model gives ${all.filter((s) => s.predicted.length > 0).length} of them at least one`)

table(`HELD-OUT: ${heldOut.length} papers never used to train or tune`, heldOutFigures)
console.log(`held-out without arXiv categories (before the lookup answers): macro precision ${pct(textOnly.precision)}  recall ${pct(textOnly.recall)}  F1 ${pct(textOnly.f1)}`)
table(`DEV: the ${dev.length} papers the model was trained on (in-sample: an upper bound, not an estimate)`, devFigures)
errors('Held-out papers the model got wrong, by topic', heldOutFigures, titles)
if (process.argv.includes('--errors') && process.argv.includes('dev')) errors('Dev papers the model got wrong, by topic', devFigures, titles)

if (process.argv.includes('--curve')) {
  console.log('\nLearning curve: the shipped training on part of the dev papers, scored on the held-out papers (macro, ≥ 5 papers)')
  const draw = (id: string, seed: string) => parseInt(createHash('sha1').update(`${seed}:${id}`).digest('hex').slice(0, 8), 16) % 1000
  for (const share of [0.25, 0.5, 0.75, 1]) {
    const runs = (share < 1 ? ['a', 'b', 'c'] : ['all']).map((seed) => {
      const part = dev.filter((e) => share === 1 || draw(e.id, seed) < share * 1000)
      return { papers: part.length, ...macro(topicFigures(slugs, scoreExamples(createTopicModel(trainTopicModel(part, TOPICS, DEFAULT_OPTIONS)), heldOut)), MIN_SUPPORT) }
    })
    const mean = (pick: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + pick(r), 0) / runs.length
    console.log(`${`${share * 100} %`.padStart(5)} of dev (${Math.round(mean((r) => r.papers))} papers): precision ${pct(mean((r) => r.precision))}  recall ${pct(mean((r) => r.recall))}  F1 ${pct(mean((r) => r.f1))}`)
  }
}

import { TASTE_OPTIONS, type TasteOptions } from '../../src/taste/taste-model.ts'
import { TERM_OPTIONS, type TermOptions } from '../../src/taste/paper-terms.ts'
import { loadDataset } from './dataset.ts'
import { laterGain, READERS, SIMULATION, simulate, simulationDays, VOTING_DAYS, type DayFigures } from './feedback.ts'

/**
 * npm run eval:feedback — simulated readers vote on their digests over the fixture days (feedback.ts); prints
 * precision@5 and @10 per day with and without votes, on the held-out papers (never tuned on) and on the dev papers.
 * `-- --tune` prints the dev papers' figures for the chosen options and their neighbours instead (how they were
 * chosen); the held-out papers are not read then. Prints figures; never fails.
 */

const TARGET_GAIN = 0.2
const f2 = (x: number) => x.toFixed(2)
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`


function print(title: string, figures: DayFigures[]) {
  console.log(`\n${title}`)
  console.log(`day  papers-day                                      papers  p@5 without  with  best   p@10 without  with  best   gain`)
  figures.forEach((d, i) => {
    console.log(
      `${String(i + 1).padStart(3)}  ${d.day.slice(0, 46).padEnd(46)}  ${String(d.papers).padStart(6)}  ${f2(d.without.p5).padStart(11)}  ${f2(d.with.p5)}  ${f2(d.best.p5)}  ${f2(d.without.p10).padStart(12)}  ${f2(d.with.p10)}  ${f2(d.best.p10)}  ${signed(d.with.p10 - d.without.p10)}`,
    )
  })
  const gain = laterGain(figures)
  const day1 = figures[0]!.with.p10 - figures[0]!.without.p10
  const later = figures.slice(VOTING_DAYS)
  const ceiling = later.reduce((a, d) => a + d.best.p10 - d.without.p10, 0) / Math.max(1, later.length)
  console.log(`the best order of the same candidates would gain ${signed(ceiling)} on those days`)
  const p5 = later.reduce((a, d) => a + d.with.p5 - d.without.p5, 0) / Math.max(1, later.length)
  console.log(`after ${VOTING_DAYS} days of votes (days ${VOTING_DAYS + 1}–${figures.length}): p@10 ${signed(gain)}, p@5 ${signed(p5)} on average over ${READERS.length} readers (p@10 target +${TARGET_GAIN}: ${gain >= TARGET_GAIN ? 'met' : 'NOT met'}); day 1 ${signed(day1)} (must not be lower)`)
}

async function main() {
  const { labels, papers } = await loadDataset()
  const dev = simulationDays(labels, papers, 'dev')
  if (process.argv.includes('--tune')) {
    const variants: [string, Partial<TasteOptions>, Partial<TermOptions>][] = [
      ['chosen', {}, {}],
      ['blendWeight ×2', { blendWeight: TASTE_OPTIONS.blendWeight * 2 }, {}],
      ['blendWeight ÷2', { blendWeight: TASTE_OPTIONS.blendWeight / 2 }, {}],
      ['lessWeight 0', { lessWeight: 0 }, {}],
      ['lessWeight 1', { lessWeight: 1 }, {}],
      ['halfConfidence 1', { halfConfidenceVotes: 1 }, {}],
      ['halfConfidence 15', { halfConfidenceVotes: 15 }, {}],
      ['topicWeight 0', {}, { topicWeight: 0 }],
      ['topicWeight ×2', {}, { topicWeight: TERM_OPTIONS.topicWeight * 2 }],
      ['topicWeight ×4', {}, { topicWeight: TERM_OPTIONS.topicWeight * 4 }],
      ['topicWeight ÷2', {}, { topicWeight: TERM_OPTIONS.topicWeight / 2 }],
      ['blendWeight ×4', { blendWeight: TASTE_OPTIONS.blendWeight * 4 }, {}],
      ['categoryWeight 0', {}, { categoryWeight: 0 }],
    ]
    console.log(`${READERS.length} readers on ${dev.length} days of dev papers: mean p@10 gain after ${VOTING_DAYS} days of votes`)
    for (const [name, taste, terms] of variants) {
      const figures = simulate(dev, READERS, { ...SIMULATION, taste: { ...TASTE_OPTIONS, ...taste }, terms: { ...TERM_OPTIONS, ...terms } })
      const later = figures.slice(VOTING_DAYS)
      const mean = (f: (d: DayFigures) => number) => later.reduce((a, d) => a + f(d), 0) / later.length
      console.log(`${name.padEnd(20)} p@10 ${signed(laterGain(figures))} (ceiling ${signed(mean((d) => d.best.p10 - d.without.p10))})  p@5 ${signed(mean((d) => d.with.p5 - d.without.p5))} (ceiling ${signed(mean((d) => d.best.p5 - d.without.p5))})`)
    }
    return
  }
  const heldOut = simulationDays(labels, papers, 'held-out')
  console.log(`${READERS.length} simulated readers, ${SIMULATION.limit} papers per email; each votes on every paper sent (more: inside their interest, less: outside)`)
  console.log(`readers: ${READERS.map((r) => `${r.name}${r.topics.length ? ` [filters: ${r.topics.join(', ')}]` : ''}`).join('; ')}`)
  print(`held-out papers (${heldOut.reduce((a, d) => a + d.papers.length, 0)} papers, ${heldOut.length} days; never tuned on)`, simulate(heldOut, READERS))
  const all = simulationDays(labels, papers, 'all')
  print(`all labelled papers (${all.reduce((a, d) => a + d.papers.length, 0)} papers, ${all.length} days as recorded)`, simulate(all, READERS))
  print(`dev papers (${dev.reduce((a, d) => a + d.papers.length, 0)} papers, ${dev.length} days; the options were chosen here)`, simulate(dev, READERS))
}

await main()

import { distinctTextTerms, type TermFrequencies } from '../../src/taste/paper-terms.ts'
import type { EvalPaper } from './papers.ts'

/**
 * How many of the fixture papers hold each term (their text only, no labels), for the taste model's idf. Terms held
 * by one paper are left out: they weigh as a term never seen, which keeps the file small (and what a reader sees in
 * production is mostly new words anyway).
 */
export function countTermFrequencies(papers: Iterable<EvalPaper>): TermFrequencies {
  const df = new Map<string, number>()
  let n = 0
  for (const paper of papers) {
    n++
    for (const term of distinctTextTerms(paper)) df.set(term, (df.get(term) ?? 0) + 1)
  }
  const kept = [...df].filter(([, count]) => count >= 2).sort((a, b) => (a[0] < b[0] ? -1 : 1))
  return { papers: n, df: Object.fromEntries(kept) }
}

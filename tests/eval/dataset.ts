import { loadLabels, type Label } from './labels.ts'
import { loadEvalPapers, type EvalPaper } from './papers.ts'
import type { Example } from './train.ts'

export interface Dataset {
  labels: Label[]
  papers: Map<string, EvalPaper>
  dev: Example[]
  heldOut: Example[]
}

/** The labelled papers with their text, split as labels.json says. */
export async function loadDataset(): Promise<Dataset> {
  const [labels, papers] = [loadLabels(), await loadEvalPapers()]
  const example = (l: Label): Example => {
    const paper = papers.get(l.id)
    if (!paper) throw new Error(`labels.json names ${l.id}, which no fixture holds`)
    return { id: l.id, paper, topics: l.topics }
  }
  return {
    labels,
    papers,
    dev: labels.filter((l) => l.split === 'dev').map(example),
    heldOut: labels.filter((l) => l.split === 'held-out').map(example),
  }
}

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { TOPICS } from '../../src/topics/catalogue.ts'

const slugs = new Set(TOPICS.map((t) => t.slug))

export const Label = z.object({
  id: z.string().min(1),
  split: z.enum(['dev', 'held-out']),
  source: z.string(),
  title: z.string(),
  topics: z.array(z.string().refine((s) => slugs.has(s), 'is not a catalogue topic')),
  about: z.string(),
  note: z.string().optional(),
})
export type Label = z.infer<typeof Label>

export const LABELS_FILE = path.resolve(import.meta.dirname, 'labels.json')

/** The labelled set (see LABELLING.md): what each paper is mainly about, decided by reading it. */
export function loadLabels(file = LABELS_FILE): Label[] {
  const labels = z.array(Label).parse(JSON.parse(readFileSync(file, 'utf8')))
  const seen = new Set<string>()
  for (const l of labels) {
    if (seen.has(l.id)) throw new Error(`${file}: ${l.id} is labelled twice`)
    seen.add(l.id)
  }
  return labels
}

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * The reliability tests record what they proved (kills survived, messages checked, tokens tried, strings tried) in
 * .data/reliability-figures.json (git-ignored), one section per test file, merged across files of a run; docs/reliability.md
 * quotes the figures of a full run.
 */
export const FIGURES_FILE = path.resolve(import.meta.dirname, '../../.data/reliability-figures.json')

export function recordFigures(section: string, figures: Record<string, unknown>): void {
  mkdirSync(path.dirname(FIGURES_FILE), { recursive: true })
  let all: Record<string, unknown> = {}
  try {
    all = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as Record<string, unknown>
  } catch {
    // first file of the run, or an unreadable file: start afresh
  }
  const previous = (all[section] ?? {}) as Record<string, unknown>
  all[section] = { ...previous, ...figures, recordedAt: new Date().toISOString() }
  writeFileSync(FIGURES_FILE, `${JSON.stringify(all, null, 2)}\n`)
}

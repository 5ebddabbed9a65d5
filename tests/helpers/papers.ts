import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/hf-daily-papers')
export const JUNE_12 = path.join(FIXTURES, '2026-06-12_limit100_sotawhat.json')
export const JULY_31 = path.join(FIXTURES, '2026-07-31_limit30_personal-news-feed.json')

type Item = { paper: { id: string; submittedOnDailyAt: string; upvotes: number; title: string } } & Record<string, unknown>

/**
 * A real listing moved to another papers-day with ids made unique to this test run, so tests sharing the database
 * never see each other's papers. Returns the items (for expectations) and a file to ingest.
 */
export async function relabelledListing(fixture: string, day: string, tag = randomUUID().slice(0, 8)) {
  const items = (JSON.parse(readFileSync(fixture, 'utf8')) as Item[]).map((item) => ({
    ...item,
    paper: { ...item.paper, id: `${item.paper.id}-${tag}`, submittedOnDailyAt: `${day}T00:00:00.000Z` },
  }))
  const dir = await mkdtemp(path.join(tmpdir(), 'paperboy-listing-'))
  const file = path.join(dir, `${day}.json`)
  await writeFile(file, JSON.stringify(items))
  const byTitle = (prefix: string) => {
    const found = items.find((i) => i.paper.title.startsWith(prefix))
    if (!found) throw new Error(`no paper titled ${prefix}…`)
    return found.paper
  }
  return { items, file, tag, byTitle }
}

/** Years handed out by uniqueDay in this run, across test files (each file has its own module instance): one file each. */
export const USED_YEARS_DIR = path.resolve(import.meta.dirname, '../../.data/test-used-years')

/**
 * The latest papers-day of any test run: later than every uniqueDay, for the one test that reads "the latest day"
 * (the preferences page's selection); no other test may use it.
 */
export const LATEST_DAY = '9999-12-31'

/**
 * A papers-day no other test of this run uses: a far-future year (after the ones match.test.ts draws from) not yet
 * handed out. A year is taken by creating its file exclusively (the global setup empties the folder with the
 * database), because test files run in parallel and share the database but not this module: with a random year
 * alone, two files picked the same one now and then and saw each other's papers.
 */
export function uniqueDay(month = '06', day = '12'): string {
  mkdirSync(USED_YEARS_DIR, { recursive: true })
  for (;;) {
    // 9999 is kept for LATEST_DAY
    const year = String(2200 + Math.floor(Math.random() * 7799))
    try {
      writeFileSync(path.join(USED_YEARS_DIR, year), '', { flag: 'wx' })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue // taken by another test file
      throw error
    }
    return `${year}-${month}-${day}`
  }
}

/**
 * Tests share one database; an edition goes to every active subscriber in it. Tests that send an edition and count
 * what arrives first pause everybody already there, so only their own subscribers are due.
 */
export async function pauseEveryoneElse(prisma: { subscriber: { updateMany(args: { where: { status: 'active'; paused: boolean }; data: { paused: boolean } }): Promise<unknown> } }) {
  await prisma.subscriber.updateMany({ where: { status: 'active', paused: false }, data: { paused: true } })
}

/** Waits until nothing of an edition is pending, sending or waiting for a retry; returns its counts by status. */
export async function untilEditionSettled(
  digestService: { progress(date: string): Promise<Record<string, number>> },
  date: string,
  timeoutMs = 20_000,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const progress = await digestService.progress(date)
    if (!progress.pending && !progress.sending && !progress.failed) return progress
    if (Date.now() > deadline) throw new Error(`edition ${date} did not settle: ${JSON.stringify(progress)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

import type { Logger } from 'pino'
import type { HfSource } from './hf-source.ts'
import type { PaperRepository } from './paper.repository.ts'
import type { PaperInput, SkippedItem } from './paper.schemas.ts'

export interface IngestResult {
  /** Papers-days written, ascending. */
  days: string[]
  /** Valid papers read from the source for those days. */
  fetched: number
  inserted: number
  updated: number
  unchanged: number
  /** Malformed items left out. */
  skipped: number
  /** Valid items of neighbouring days the source returned and we left out. */
  otherDays: number
}

export interface IngestDeps {
  source: Pick<HfSource, 'fetchDay' | 'parseFile'>
  papers: Pick<PaperRepository, 'upsertMany'>
  logger: Logger
  /**
   * Called when an ingest stored new papers, whoever ran it (the scheduled job, the CLI, the admin API, a first
   * run): queues their arXiv lookup. Never holds the ingest up: the papers are stored, and a lookup that cannot be
   * queued now is left to the hourly one.
   */
  onNewPapers?: () => Promise<void>
}

/**
 * Ingest reads everything first and writes in one statement afterwards: a source failure midway leaves the database
 * as it was, and re-running a day is always safe (late papers are added, counts refreshed, nothing duplicated).
 */
export function createIngestService({ source, papers, logger, onNewPapers }: IngestDeps) {
  function reportSkipped(skipped: SkippedItem[], context: Record<string, unknown>, valid: number) {
    if (skipped.length === 0) return
    // A few reasons are enough to diagnose a format change; the count says how big it is.
    logger.warn({ event: 'papers.ingest.skipped', ...context, skipped: skipped.length, examples: skipped.slice(0, 5) }, 'malformed papers skipped')
    if (valid === 0) {
      logger.error({ event: 'papers.ingest.all_skipped', ...context, skipped: skipped.length }, 'every item was malformed: has the source format changed?')
    }
  }

  async function write(
    days: string[],
    rows: PaperInput[],
    skipped: SkippedItem[],
    otherDays: number,
    context: Record<string, unknown>,
  ): Promise<IngestResult> {
    reportSkipped(skipped, context, rows.length)
    const { inserted, updated, unchanged } = await papers.upsertMany(rows)
    const result: IngestResult = { days, fetched: rows.length, inserted, updated, unchanged, skipped: skipped.length, otherDays }
    logger.info({ event: 'papers.ingested', ...context, ...result }, `ingested ${rows.length} papers`)
    if (inserted > 0 && onNewPapers) await onNewPapers().catch((error: unknown) => logger.warn({ event: 'arxiv.enqueue_failed', err: error }, 'arXiv lookup not queued; the hourly one will run'))
    return result
  }

  return {
    /** Fetches one papers-day from the source (every page) and stores it. */
    async ingestDay(date: string): Promise<IngestResult> {
      const day = await source.fetchDay(date)
      return write([date], day.papers, day.skipped, day.otherDays, { date, pages: day.pages })
    },

    /** Stores a saved listing; every day in it is kept. */
    async ingestFile(path: string): Promise<IngestResult> {
      const file = await source.parseFile(path)
      return write(file.days, file.papers, file.skipped, 0, { file: path })
    },
  }
}
export type IngestService = ReturnType<typeof createIngestService>

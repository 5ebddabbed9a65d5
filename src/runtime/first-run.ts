import type { Logger } from 'pino'
import { addDays } from '../digests/schedule.ts'
import type { IngestService } from '../papers/ingest.service.ts'
import type { PaperRepository } from '../papers/paper.repository.ts'

/**
 * `npm start` on an empty database: fetch today's and yesterday's papers at once instead of waiting for the
 * scheduled poll, or explain plainly why not and how to load a saved listing instead. Runs in the background.
 */
export async function ingestIfEmpty(deps: { papers: Pick<PaperRepository, 'latestDay'>; ingest: Pick<IngestService, 'ingestDay'>; logger: Logger; now?: Date }): Promise<void> {
  if (await deps.papers.latestDay()) return
  const today = (deps.now ?? new Date()).toISOString().slice(0, 10)
  for (const date of [addDays(today, -1), today]) {
    try {
      const result = await deps.ingest.ingestDay(date)
      deps.logger.info({ event: 'first_run.ingested', date, papers: result.fetched }, `first run: ingested ${result.fetched} papers for ${date}`)
    } catch (error) {
      deps.logger.warn(
        { event: 'first_run.source_unreachable', date },
        `first run: could not fetch the papers of ${date} (${(error as Error).message}). ` +
          'Paperboy will keep polling the source. To load papers now, use a saved listing: ' +
          '`npm run cli -- ingest --file tests/fixtures/hf-daily-papers/2026-06-12_limit100_sotawhat.json`',
      )
      return
    }
  }
}

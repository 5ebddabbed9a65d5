import type { Logger } from 'pino'
import type { PaperRepository } from '../papers/paper.repository.ts'
import { ARXIV_BATCH, type ArxivClient } from './arxiv-client.ts'

/**
 * Adds arXiv categories and comments to stored papers. It runs beside the digests, never before them: a paper whose
 * lookup is pending or failed is matched on its text alone, and picks up its categories when the lookup answers.
 */
export interface EnrichResult {
  /** Lookups sent (batches of up to ARXIV_BATCH ids). */
  batches: number
  found: number
  missing: number
  invalid: number
  /** Whether papers are still waiting (the batch limit was reached). */
  more: boolean
}

export function createEnrichmentService(deps: {
  client: Pick<ArxivClient, 'lookup'>
  papers: Pick<PaperRepository, 'openArxivLookups' | 'recordArxiv'>
  logger: Logger
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())
  return {
    /**
     * Looks up open papers, a batch at a time, until none is left or `maxBatches` were sent (`onBatch` hears the totals
     * after each). Throws (after the client's retries) when the API cannot answer: what earlier batches learned is
     * kept, the rest stays pending. `signal` (a process shutting down) stops it at once: papers not yet recorded wait
     * for the next lookup.
     */
    async enrichOpen({ maxBatches = 10, onBatch, signal }: { maxBatches?: number; onBatch?: (sofar: EnrichResult) => void; signal?: AbortSignal } = {}): Promise<EnrichResult> {
      const result: EnrichResult = { batches: 0, found: 0, missing: 0, invalid: 0, more: false }
      for (;;) {
        const ids = await deps.papers.openArxivLookups(ARXIV_BATCH, now())
        if (ids.length === 0) break
        if (result.batches === maxBatches) {
          result.more = true
          break
        }
        const lookup = await deps.client.lookup(ids, signal)
        await deps.papers.recordArxiv(lookup, now())
        result.batches++
        result.found += lookup.found.size
        result.missing += lookup.missing.length
        result.invalid += lookup.invalid.length
        onBatch?.(result)
      }
      if (result.batches > 0) deps.logger.info({ event: 'arxiv.enriched', ...result }, `arXiv lookup: ${result.found} found, ${result.missing} unknown, ${result.invalid} invalid`)
      return result
    },
  }
}
export type EnrichmentService = ReturnType<typeof createEnrichmentService>

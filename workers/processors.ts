import type { Job } from 'bullmq'
import type { Logger } from 'pino'
import type { DigestService } from '../src/digests/digest.service.ts'
import type { DeliveryService } from '../src/email/outbox/delivery.service.ts'
import type { EnrichmentService } from '../src/arxiv/enrichment.service.ts'
import type { IngestService } from '../src/papers/ingest.service.ts'
import type { JobData, QUEUE } from '../src/queues/queues.ts'
import { addDays } from '../src/digests/schedule.ts'

/**
 * Thin adapters between BullMQ and the services: read job.data, call the service, return its result (shown in the
 * queue dashboard) or rethrow so BullMQ retries with backoff. Transient SMTP failures surface as a thrown error;
 * bounces do not, because retrying them cannot help.
 */
export const createSendProcessor = (deliveries: Pick<DeliveryService, 'sendBatch'>) => (job: Job<JobData[typeof QUEUE.send]>) =>
  deliveries.sendBatch(job.data.deliveryIds)

/**
 * Scheduled runs (no date) fetch today and yesterday (UTC): late papers arrive on the list for a day or so. (New
 * papers get their arXiv lookup queued by the ingest service.)
 */
export const createIngestProcessor = (ingest: Pick<IngestService, 'ingestDay'>, logger: Logger, now: () => Date = () => new Date()) =>
  async (job: Job<JobData[typeof QUEUE.ingest]>) => {
    const today = now().toISOString().slice(0, 10)
    const dates = job.data.date ? [job.data.date] : [addDays(today, -1), today]
    const results = []
    for (const date of dates) results.push(await ingest.ingestDay(date))
    logger.debug({ event: 'job.ingest.done', jobId: job.id, dates }, 'ingest job done')
    return results
  }

/**
 * One job looks up every paper waiting for its arXiv metadata (in batches, each passing the shared polite gate).
 * `stopping` aborts when the worker closes: a lookup waiting between retries (arXiv down, for minutes) must not hold a
 * shutdown past its grace. Stopped, the job ends quietly; the papers wait for the next lookup.
 */
export const createEnrichProcessor = (enrichment: Pick<EnrichmentService, 'enrichOpen'>, stopping?: AbortSignal) => async () => {
  try {
    return await enrichment.enrichOpen(stopping ? { signal: stopping } : {})
  } catch (error) {
    if (stopping?.aborted) return { stopped: true }
    throw error
  }
}

export const createPlanProcessor = (digests: Pick<DigestService, 'planDue' | 'sendEdition'>) => (job: Job<JobData[typeof QUEUE.plan]>) =>
  job.data.editionDate ? digests.sendEdition(job.data.editionDate) : digests.planDue()

import { Worker, type Processor } from 'bullmq'
import type { Deps } from '../src/deps.ts'
import { QUEUE } from '../src/queues/queues.ts'
import { createRedis } from '../src/redis.ts'
import { createEnrichProcessor, createIngestProcessor, createPlanProcessor, createSendProcessor } from './processors.ts'

export interface RunningWorkers {
  close(): Promise<void>
}

export interface WorkerOptions {
  /** Parallel send jobs per process (each a batch of recipients). */
  sendConcurrency?: number
  sweepEveryMs?: number
  sweepAfterMs?: number
  /** Register the job schedulers (polling ingest, planning every few minutes); default: SCHEDULE_JOBS. Upserts. */
  schedule?: boolean
}

/** The ingest poll (UTC): several times a day, since papers join the list through the day. */
export const INGEST_PATTERN = '20 */3 * * *'
/** The arXiv lookup also runs after every ingest that adds papers; this catches lookups that failed. */
export const ENRICH_PATTERN = '40 * * * *'
/** Planning runs often so each subscriber gets the digest within minutes of their local hour, in every time zone. */
export const PLAN_PATTERN = '*/5 * * * *'

/**
 * Starts the consumers, the schedulers and the sweeper. `close()` lets in-flight jobs finish (BullMQ waits for
 * them) before the connections go, so SIGTERM loses nothing.
 */
export async function startWorkers(deps: Deps, options: WorkerOptions = {}): Promise<RunningWorkers> {
  const connection = createRedis(deps.config.REDIS_URL, 'worker')
  const log = deps.logger
  const make = <T>(queue: string, processor: Processor<T>, concurrency: number) => {
    const worker = new Worker<T>(queue, processor, { connection, prefix: deps.queuePrefix, concurrency })
    // After a failure BullMQ either schedules the next attempt (job.delay is then its backoff) or gives up (finishedOn).
    worker.on('failed', (job, error) =>
      log.warn(
        { event: 'job.failed', queue, jobId: job?.id, attemptsMade: job?.attemptsMade, retryInMs: job && !job.finishedOn ? job.delay : null, err: error.message },
        `${queue} job failed`,
      ),
    )
    worker.on('error', (error) => log.error({ event: 'worker.error', queue, err: error }, 'worker error'))
    return worker
  }
  // aborted first when closing: work that would only wait (an arXiv lookup between retries) stops at once
  const stopping = new AbortController()
  const workers = [
    make(QUEUE.send, createSendProcessor(deps.deliveryService), options.sendConcurrency ?? deps.config.SEND_CONCURRENCY),
    make(QUEUE.plan, createPlanProcessor(deps.digestService), 1),
    make(QUEUE.ingest, createIngestProcessor(deps.ingestService, log), 1),
    ...(deps.config.ARXIV_LOOKUP ? [make(QUEUE.enrich, createEnrichProcessor(deps.enrichmentService, stopping.signal), 1)] : []),
  ]

  // One lookup at a time across every worker: two would ask arXiv about the same papers (the shared gate spaces their
  // requests, it does not stop them repeating each other).
  if (deps.config.ARXIV_LOOKUP) await deps.queues.enrich.setGlobalConcurrency(1)

  if (options.schedule ?? deps.config.SCHEDULE_JOBS) {
    await deps.queues.ingest.upsertJobScheduler('ingest-poll', { pattern: INGEST_PATTERN, tz: 'UTC' }, { name: 'ingest-papers', data: {} })
    await deps.queues.plan.upsertJobScheduler('plan-due', { pattern: PLAN_PATTERN, tz: 'UTC' }, { name: 'plan-digests', data: {} })
    if (deps.config.ARXIV_LOOKUP) await deps.queues.enrich.upsertJobScheduler('enrich-poll', { pattern: ENRICH_PATTERN, tz: 'UTC' }, { name: 'enrich-papers', data: {} })
    else await deps.queues.enrich.removeJobScheduler('enrich-poll')
  }

  const sweep = async () => {
    try {
      const requeued = await deps.deliveryService.sweepPending(options.sweepAfterMs ?? deps.config.SWEEP_AFTER_MS)
      if (requeued > 0) log.info({ event: 'sweeper.requeued', requeued }, 're-enqueued pending deliveries')
    } catch (error) {
      log.warn({ event: 'sweeper.failed', err: error }, 'sweep failed; will try again')
    }
  }
  const timer = setInterval(sweep, options.sweepEveryMs ?? deps.config.SWEEP_EVERY_MS)
  timer.unref()

  return {
    async close() {
      clearInterval(timer)
      stopping.abort(new Error('the worker is shutting down'))
      await Promise.all(workers.map((w) => w.close()))
      connection.disconnect()
    },
  }
}

import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq'
import { batchPerTurn } from '../runtime/batch-per-turn.ts'

/** Queue names are kebab-case nouns; jobs carry ids only — the database is the source of truth. */
export const QUEUE = { ingest: 'paper-ingest', enrich: 'arxiv-enrich', plan: 'digest-plan', send: 'email-send' } as const

export interface JobData {
  /** No date: the scheduled poll (today and yesterday, UTC). */
  [QUEUE.ingest]: { date?: string }
  /** Looks up every paper still waiting for its arXiv metadata. */
  [QUEUE.enrich]: Record<string, never>
  /** No date: scheduled planning of whoever is due now; a date: that edition for everyone due that day, now. */
  [QUEUE.plan]: { editionDate?: string }
  [QUEUE.send]: { deliveryIds: string[] }
}

export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
} as const satisfies JobsOptions

/** Recipients per send job: large enough to amortise a job's overhead, small enough to spread over workers. */
export const SEND_BATCH = 100

export interface Queues {
  ingest: Queue<JobData[typeof QUEUE.ingest]>
  enrich: Queue<JobData[typeof QUEUE.enrich]>
  plan: Queue<JobData[typeof QUEUE.plan]>
  send: Queue<JobData[typeof QUEUE.send]>
  /**
   * Resolves when the jobs are in Redis, not when the emails are sent. Job ids derive from the first delivery id of
   * each batch (or `idPrefix`), so enqueueing the same planned batch twice adds it once.
   */
  enqueueSends(deliveryIds: readonly string[], options?: { idPrefix?: string }): Promise<void>
  /**
   * One delivery (a subscribe's confirmation), queued together with every other one queued in the same turn of the
   * event loop: under load, one job and one Redis call for many requests instead of one each. Resolves (or rejects)
   * with that shared call.
   */
  enqueueSend(deliveryId: string): Promise<void>
  /**
   * An arXiv lookup of the papers waiting for one. While one is queued or running, asking again adds nothing: a
   * running one picks up papers stored meanwhile on its next batch, and the hourly run catches any left.
   */
  enqueueEnrich(): Promise<void>
  close(): Promise<void>
}

export function createQueues(connection: ConnectionOptions, prefix = 'paperboy', retryDelayMs?: number): Queues {
  const defaults = retryDelayMs === undefined ? DEFAULT_JOB_OPTIONS : { ...DEFAULT_JOB_OPTIONS, backoff: { type: 'exponential', delay: retryDelayMs } }
  const options = { connection, prefix, defaultJobOptions: defaults }
  const ingest = new Queue<JobData[typeof QUEUE.ingest]>(QUEUE.ingest, { ...options, defaultJobOptions: { ...defaults, attempts: 3 } })
  const enrich = new Queue<JobData[typeof QUEUE.enrich]>(QUEUE.enrich, { ...options, defaultJobOptions: { ...defaults, attempts: 5, backoff: { type: 'exponential', delay: 30_000 } } })
  const plan = new Queue<JobData[typeof QUEUE.plan]>(QUEUE.plan, { ...options, defaultJobOptions: { ...defaults, attempts: 3 } })
  const send = new Queue<JobData[typeof QUEUE.send]>(QUEUE.send, options)
  async function enqueueSends(deliveryIds: readonly string[], { idPrefix = 'send' } = {}): Promise<void> {
    const jobs = []
    for (let i = 0; i < deliveryIds.length; i += SEND_BATCH) {
      const batch = deliveryIds.slice(i, i + SEND_BATCH)
      jobs.push({ name: 'send-email', data: { deliveryIds: batch }, opts: { jobId: `${idPrefix}-${batch[0]}` } })
    }
    // One job (a confirmation from the subscribe route) is one Redis call; addBulk wraps even one in a MULTI.
    if (jobs.length === 1) await send.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts)
    else if (jobs.length > 0) await send.addBulk(jobs)
  }
  const enqueueSend = batchPerTurn<string, void>(async (ids) => {
    await enqueueSends(ids)
    return ids.map(() => undefined)
  }, { maxBatchSize: SEND_BATCH })

  return {
    ingest,
    enrich,
    plan,
    send,
    enqueueSends,
    enqueueSend,
    async enqueueEnrich() {
      await enrich.add('enrich-papers', {}, { deduplication: { id: 'arxiv-enrich' } })
    },
    async close() {
      await Promise.all([ingest.close(), enrich.close(), plan.close(), send.close()])
    },
  }
}

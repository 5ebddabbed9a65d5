import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq'

/** Queue names are kebab-case nouns; jobs carry ids only — the database is the source of truth. */
export const QUEUE = { send: 'email-send' } as const

export interface JobData {
  [QUEUE.send]: { deliveryId: string }
}

export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
} as const satisfies JobsOptions

export interface Queues {
  send: Queue<JobData[typeof QUEUE.send]>
  /** Resolves when the jobs are in Redis, not when the emails are sent. Safe to repeat: job ids are deterministic. */
  enqueueSends(deliveryIds: readonly string[]): Promise<void>
  close(): Promise<void>
}

export const sendJobId = (deliveryId: string) => `send-${deliveryId}`

export function createQueues(connection: ConnectionOptions, prefix = 'paperboy'): Queues {
  const send = new Queue<JobData[typeof QUEUE.send]>(QUEUE.send, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS })
  return {
    send,
    async enqueueSends(deliveryIds) {
      if (deliveryIds.length === 0) return
      await send.addBulk(
        deliveryIds.map((deliveryId) => ({ name: 'send-email', data: { deliveryId }, opts: { jobId: sendJobId(deliveryId) } })),
      )
    },
    close: () => send.close(),
  }
}

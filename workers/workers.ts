import { Worker } from 'bullmq'
import type { Deps } from '../src/deps.ts'
import { QUEUE } from '../src/queues/queues.ts'
import { createRedis } from '../src/redis.ts'
import { createSendProcessor } from './send.processor.ts'

export interface RunningWorkers {
  close(): Promise<void>
}

const SWEEP_EVERY_MS = 60_000

/**
 * Starts the consumers and the sweeper. `close()` lets in-flight jobs finish (BullMQ waits for them) before the
 * connections go, so SIGTERM loses nothing.
 */
export function startWorkers(deps: Deps, options: { concurrency?: number; sweepEveryMs?: number } = {}): RunningWorkers {
  const connection = createRedis(deps.config.REDIS_URL, 'worker')
  const send = new Worker(QUEUE.send, createSendProcessor(deps.deliveryService), {
    connection,
    prefix: deps.queuePrefix,
    concurrency: options.concurrency ?? 20,
  })
  send.on('failed', (job, error) => {
    deps.logger.warn({ event: 'job.failed', queue: QUEUE.send, jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, 'send job failed')
  })
  send.on('error', (error) => deps.logger.error({ event: 'worker.error', err: error }, 'worker error'))

  const sweep = async () => {
    try {
      const requeued = await deps.deliveryService.sweepPending()
      if (requeued > 0) deps.logger.info({ event: 'sweeper.requeued', requeued }, 're-enqueued pending deliveries')
    } catch (error) {
      deps.logger.warn({ event: 'sweeper.failed', err: error }, 'sweep failed; will try again')
    }
  }
  const timer = setInterval(sweep, options.sweepEveryMs ?? SWEEP_EVERY_MS)
  timer.unref()
  void sweep()

  return {
    async close() {
      clearInterval(timer)
      await send.close()
      connection.disconnect()
    },
  }
}

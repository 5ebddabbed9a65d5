import { UnrecoverableError, type Job } from 'bullmq'
import { PermanentSendError, type DeliveryService } from '../src/email/delivery.service.ts'
import type { JobData, QUEUE } from '../src/queues/queues.ts'

/** Thin adapter: a permanent SMTP failure must not be retried by BullMQ; everything else is rethrown for backoff. */
export function createSendProcessor(deliveryService: Pick<DeliveryService, 'send'>) {
  return async (job: Job<JobData[typeof QUEUE.send]>) => {
    try {
      return await deliveryService.send(job.data.deliveryId)
    } catch (error) {
      if (error instanceof PermanentSendError) throw new UnrecoverableError(error.message)
      throw error
    }
  }
}

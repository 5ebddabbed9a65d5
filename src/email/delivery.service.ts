import type { Logger } from 'pino'
import type { Links } from '../links/urls.ts'
import { emailHash } from '../subscribers/email-address.ts'
import type { SubscriberRepository } from '../subscribers/subscriber.repository.ts'
import type { Queues } from '../queues/queues.ts'
import type { DeliveryRepository } from './delivery.repository.ts'
import { classifySmtpError, type Mailer } from './mailer.ts'
import type { Renderer } from './render.ts'
import type { RenderRequest } from './templates.ts'
import { parseSender } from './sender.ts'

export type SendOutcome = 'sent' | 'skipped' | 'not-claimed'

/** A send that may succeed later (SMTP 4xx, network): the caller retries with backoff. */
export class TransientSendError extends Error {
  override name = 'TransientSendError'
}
/** A send that never will (SMTP 5xx): the address is already suppressed; do not retry. */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError'
}

interface Deps {
  deliveries: DeliveryRepository
  subscribers: Pick<SubscriberRepository, 'isSuppressed'>
  mailer: Mailer
  renderer: Renderer
  links: Links
  queues: Pick<Queues, 'enqueueSends' | 'send'>
  mailFrom: string
  logger: Logger
  now?: () => Date
}

export function createDeliveryService(deps: Deps) {
  const sender = parseSender(deps.mailFrom)
  const now = deps.now ?? (() => new Date())
  const listId = { id: `digest.${sender.domain}`, name: `${sender.name} digest` }

  return {
    /**
     * Sends one delivery at most once. Claim (pending|failed → sending), check the subscriber may still get it,
     * render, send, record. Transient failures put the row back to `failed` so a retry can claim it again.
     */
    async send(deliveryId: string): Promise<SendOutcome> {
      if (!(await deps.deliveries.claim(deliveryId))) return 'not-claimed'
      const delivery = await deps.deliveries.load(deliveryId)
      if (!delivery) return 'not-claimed' // erased between claim and load
      const { subscriber } = delivery
      const hash = emailHash(subscriber.email)

      const allowed =
        delivery.kind === 'confirmation'
          ? subscriber.status === 'pending' || subscriber.status === 'unsubscribed'
          : subscriber.status === 'active'
      if (!allowed) {
        await deps.deliveries.markSkipped(deliveryId, `subscriber is ${subscriber.status}`)
        return 'skipped'
      }
      if (await deps.subscribers.isSuppressed(hash)) {
        await deps.deliveries.markSkipped(deliveryId, 'address is suppressed')
        return 'skipped'
      }

      const common = {
        email: subscriber.email,
        homeUrl: deps.links.home(),
        senderName: sender.name,
      }
      let request: RenderRequest
      let unsubscribeUrl: string | undefined
      if (delivery.kind === 'confirmation') {
        request = {
          template: 'confirm',
          data: {
            ...common,
            confirmUrl: deps.links.confirm(subscriber.id, now()),
            footerReason: 'You get this email because this address was entered on the Paperboy sign-up page. If it was not you, ignore it: without confirmation you will get nothing more.',
          },
        }
      } else if (delivery.kind === 'already_subscribed') {
        unsubscribeUrl = deps.links.unsubscribe(subscriber.id)
        request = {
          template: 'already-subscribed',
          data: {
            ...common,
            manageUrl: deps.links.manage(subscriber.id),
            unsubscribeUrl,
            footerReason: 'You get this email because you subscribed to the Paperboy digest.',
          },
        }
      } else {
        await deps.deliveries.markSkipped(deliveryId, `no sender for ${delivery.kind} deliveries yet`)
        return 'skipped'
      }

      const rendered = deps.renderer.render(request)
      try {
        await deps.mailer.send({
          from: deps.mailFrom,
          to: subscriber.email,
          ...rendered,
          messageId: delivery.messageId,
          listId,
          ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
        })
      } catch (error) {
        const message = (error as Error).message
        if (classifySmtpError(error) === 'permanent') {
          await deps.deliveries.markBounced(deliveryId, subscriber.id, hash, message)
          deps.logger.warn({ event: 'delivery.bounced', deliveryId }, 'permanent SMTP failure; address suppressed')
          throw new PermanentSendError(message, { cause: error })
        }
        await deps.deliveries.markFailed(deliveryId, message)
        deps.logger.info({ event: 'delivery.retry', deliveryId, err: message }, 'transient SMTP failure; will retry')
        throw new TransientSendError(message, { cause: error })
      }
      await deps.deliveries.markSent(deliveryId, now())
      deps.logger.info({ event: 'delivery.sent', deliveryId, kind: delivery.kind }, 'sent')
      return 'sent'
    },

    /**
     * Re-enqueues pending rows that no queue holds (lost with a Redis restart, or never enqueued because Redis was
     * down when they were written). Job ids are deterministic, so a row still queued is not queued twice.
     */
    async sweepPending(olderThanMs = 30_000, batch = 500): Promise<number> {
      const before = new Date(now().getTime() - olderThanMs)
      let requeued = 0
      let afterId: string | undefined
      for (;;) {
        const rows = await deps.deliveries.pendingBefore(before, batch, afterId)
        if (rows.length === 0) return requeued
        const lost: string[] = []
        for (const { id } of rows) {
          const job = await deps.queues.send.getJob(`send-${id}`)
          const state = job ? await job.getState() : 'missing'
          if (state === 'missing' || state === 'unknown' || state === 'completed' || state === 'failed') {
            if (job) await job.remove().catch(() => {})
            lost.push(id)
          }
        }
        await deps.queues.enqueueSends(lost)
        requeued += lost.length
        afterId = rows.at(-1)!.id
      }
    },
  }
}
export type DeliveryService = ReturnType<typeof createDeliveryService>

import type { Logger } from 'pino'
import { buildDigestData } from '../digests/digest-content.ts'
import type { DigestRepository } from '../digests/digest.repository.ts'
import type { MatchRepository } from '../digests/match.repository.ts'
import { digestWindow } from '../digests/schedule.ts'
import type { Subscriber } from '../generated/prisma/client.ts'
import type { Links } from '../links/urls.ts'
import type { PaperRepository } from '../papers/paper.repository.ts'
import type { Queues } from '../queues/queues.ts'
import { emailHash } from '../subscribers/email-address.ts'
import type { SubscriberRepository } from '../subscribers/subscriber.repository.ts'
import type { DeliveryRepository } from './delivery.repository.ts'
import { classifySmtpError, type Mailer } from './mailer.ts'
import type { RenderedEmail, Renderer } from './render.ts'
import type { DigestData } from './templates.ts'
import { parseSender } from './sender.ts'

export type SendOutcome = 'sent' | 'skipped' | 'bounced' | 'not-claimed'

/** A send that may succeed later (SMTP 4xx, network): the row is `failed` and claimable; retry with backoff. */
export class TransientSendError extends Error {
  override name = 'TransientSendError'
}

interface Deps {
  deliveries: DeliveryRepository
  digests: Pick<DigestRepository, 'saveSelection' | 'markDigestSent'>
  matches: Pick<MatchRepository, 'selectForSubscriber'>
  papers: Pick<PaperRepository, 'findByIds'>
  subscribers: Pick<SubscriberRepository, 'isSuppressed'>
  mailer: Mailer
  renderer: Renderer
  links: Links
  queues: Pick<Queues, 'enqueueSends' | 'send'>
  mailFrom: string
  paperPageBase: string
  logger: Logger
  now?: () => Date
}

type DigestDelivery = NonNullable<Awaited<ReturnType<DeliveryRepository['load']>>>

export function createDeliveryService(deps: Deps) {
  const sender = parseSender(deps.mailFrom)
  const now = deps.now ?? (() => new Date())
  const listId = { id: `digest.${sender.domain}`, name: `${sender.name} digest` }
  const footer = {
    subscribed: 'You get this email because you subscribed to the Paperboy digest of trending AI papers.',
    signup: 'You get this email because this address was entered on the Paperboy sign-up page. If it was not you, ignore it: without confirmation you will get nothing more.',
  }
  const common = (s: Subscriber) => ({ email: s.email, homeUrl: deps.links.home(), senderName: sender.name })

  /** The digest's template data for a subscriber and edition, from papers already chosen and ranked. */
  async function composeDigest(subscriber: Subscriber, editionDate: string, chosen: { paperId: string; matched: string[] }[]): Promise<DigestData> {
    const papers = await deps.papers.findByIds(chosen.map((c) => c.paperId))
    return buildDigestData({
      papers,
      matched: new Map(chosen.map((c) => [c.paperId, c.matched])),
      editionDate,
      frequency: subscriber.frequency,
      paperPageBase: deps.paperPageBase,
      common: {
        ...common(subscriber),
        footerReason: footer.subscribed,
        manageUrl: deps.links.manage(subscriber.id),
        unsubscribeUrl: deps.links.unsubscribe(subscriber.id),
        viewUrl: deps.links.view(subscriber.id, editionDate),
      },
    })
  }

  /** Selects this subscriber's papers for the delivery's edition. A retry selects again: nothing is recorded as sent yet. */
  async function selectFor(delivery: DigestDelivery) {
    const { subscriber } = delivery
    const editionDate = delivery.edition!.date.toISOString().slice(0, 10)
    const chosen = await deps.matches.selectForSubscriber({
      subscriberId: subscriber.id, topics: subscriber.topics, keywords: subscriber.keywords,
      minUpvotes: subscriber.minUpvotes, limit: subscriber.papersPerEmail, ...digestWindow(editionDate, subscriber.frequency),
    })
    return { editionDate, chosen }
  }

  /**
   * Sends one delivery at most once: claim (pending|failed → sending), check the subscriber may still get it,
   * render, send, record. Transient failures put the row back to `failed` and throw TransientSendError.
   */
  async function send(deliveryId: string): Promise<SendOutcome> {
    if (!(await deps.deliveries.claim(deliveryId))) return 'not-claimed'
    const delivery = await deps.deliveries.load(deliveryId)
    if (!delivery) return 'not-claimed' // erased between claim and load
    const { subscriber } = delivery
    const hash = emailHash(subscriber.email)

    const allowed =
      delivery.kind === 'confirmation' ? subscriber.status === 'pending' || subscriber.status === 'unsubscribed'
      : delivery.kind === 'digest' ? subscriber.status === 'active' && !subscriber.paused
      : subscriber.status === 'active'
    if (!allowed) {
      await deps.deliveries.markSkipped(deliveryId, subscriber.paused ? 'subscriber paused' : `subscriber is ${subscriber.status}`)
      return 'skipped'
    }
    if (await deps.subscribers.isSuppressed(hash)) {
      await deps.deliveries.markSkipped(deliveryId, 'address is suppressed')
      return 'skipped'
    }

    let rendered: RenderedEmail
    let unsubscribeUrl: string | undefined
    let paperIds: string[] = []
    if (delivery.kind === 'confirmation') {
      rendered = deps.renderer.render({ template: 'confirm', data: { ...common(subscriber), confirmUrl: deps.links.confirm(subscriber.id, now()), footerReason: footer.signup } })
    } else if (delivery.kind === 'already_subscribed') {
      unsubscribeUrl = deps.links.unsubscribe(subscriber.id)
      rendered = deps.renderer.render({
        template: 'already-subscribed',
        data: { ...common(subscriber), manageUrl: deps.links.manage(subscriber.id), unsubscribeUrl, footerReason: footer.subscribed },
      })
    } else {
      const { editionDate, chosen } = await selectFor(delivery)
      if (chosen.length === 0 && subscriber.skipEmpty) {
        await deps.deliveries.markSkipped(deliveryId, 'no paper matched')
        return 'skipped'
      }
      const data = await composeDigest(subscriber, editionDate, chosen)
      paperIds = data.papers.map((_, i) => chosen[i]!.paperId)
      await deps.digests.saveSelection(deliveryId, paperIds, data.papers.map((p) => p.matched))
      unsubscribeUrl = data.unsubscribeUrl
      rendered = deps.renderer.render({ template: 'digest', data })
    }

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
        return 'bounced'
      }
      await deps.deliveries.markFailed(deliveryId, message)
      deps.logger.info({ event: 'delivery.retry', deliveryId, err: message }, 'transient SMTP failure; will retry')
      throw new TransientSendError(message, { cause: error })
    }
    if (delivery.kind === 'digest') await deps.digests.markDigestSent(deliveryId, subscriber.id, paperIds, now())
    else await deps.deliveries.markSent(deliveryId, now())
    deps.logger.debug({ event: 'delivery.sent', deliveryId, kind: delivery.kind }, 'sent')
    return 'sent'
  }

  return {
    send,
    composeDigest,

    /**
     * Sends a batch, each delivery independently. If any failed transiently, throws after the others are done, so
     * the queue retries the batch: rows already sent are not claimable again, the failed ones are.
     */
    async sendBatch(deliveryIds: readonly string[]): Promise<Record<SendOutcome, number>> {
      const counts: Record<SendOutcome, number> = { sent: 0, skipped: 0, bounced: 0, 'not-claimed': 0 }
      const transient: string[] = []
      for (const id of deliveryIds) {
        try {
          counts[await send(id)]++
        } catch (error) {
          if (!(error instanceof TransientSendError)) throw error
          transient.push(id)
        }
      }
      if (transient.length > 0) throw new TransientSendError(`${transient.length} of ${deliveryIds.length} deliveries failed transiently; retrying them`)
      return counts
    },

    /**
     * Re-enqueues pending rows that no queue holds (lost with a Redis restart, or never enqueued because Redis was
     * down when they were written). A row held by a live job is left alone; a row queued twice is still sent once,
     * because only one claim can win.
     */
    async sweepPending(olderThanMs = 60_000, batch = 1000): Promise<number> {
      const before = new Date(now().getTime() - olderThanMs)
      const live = new Set<string>()
      for (const job of await deps.queues.send.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'])) {
        for (const id of job?.data?.deliveryIds ?? []) live.add(id)
      }
      let requeued = 0
      let afterId: string | undefined
      for (;;) {
        const rows = await deps.deliveries.pendingBefore(before, batch, afterId)
        if (rows.length === 0) return requeued
        const lost = rows.map((r) => r.id).filter((id) => !live.has(id))
        await deps.queues.enqueueSends(lost, { idPrefix: `sweep-${now().getTime()}` })
        requeued += lost.length
        afterId = rows.at(-1)!.id
      }
    },
  }
}
export type DeliveryService = ReturnType<typeof createDeliveryService>

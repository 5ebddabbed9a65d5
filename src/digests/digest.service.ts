import type { Logger } from 'pino'
import type { DeliveryService } from '../email/outbox/delivery.service.ts'
import type { Renderer } from '../email/rendering/render.ts'
import { AppError } from '../errors.ts'
import { subscriberFromLink } from '../links/resolve.ts'
import type { PaperRepository } from '../papers/paper.repository.ts'
import type { Queues } from '../queues/queues.ts'
import type { SubscriberRepository } from '../subscribers/subscriber.repository.ts'
import type { DigestRepository } from './digest.repository.ts'
import { paperPageUrl } from './digest-content.ts'
import { buildFeed, type FeedEntry } from './feed.ts'
import type { Links } from '../links/urls.ts'
import type { MatchRepository } from './match.repository.ts'
import { addDays, digestWindow, isIsoDate } from './schedule.ts'
import type { RenderedEmail } from '../email/rendering/render.ts'
import type { Subscriber } from '../generated/prisma/client.ts'

const PLAN_BATCH = 1000

interface Deps {
  digests: DigestRepository
  papers: Pick<PaperRepository, 'latestDay' | 'findByIds'>
  links: Pick<Links, 'feed' | 'home'>
  paperPageBase: string
  subscribers: Pick<SubscriberRepository, 'findById'>
  deliveries: Pick<DeliveryService, 'composeDigest'>
  matches: Pick<MatchRepository, 'selectForSubscriber'>
  renderer: Pick<Renderer, 'render'>
  queues: Pick<Queues, 'enqueueSends'>
  secret: string
  logger: Logger
  now?: () => Date
}

/** What a reader's choices select on the latest papers-day (the preferences page). */
export interface Selection {
  /** The papers-day, and the first day of the reader's window ending there (a week for a weekly digest). */
  date: string
  fromDay: string
  /** Every paper the choices select in that window, already sent to the reader or not. */
  total: number
  /** The first of them, as many as an email holds, in the digest's order, with what selected each. */
  papers: { title: string; url: string; why: string }[]
}

/** A selection counts at most this many papers ("200 papers or more" says enough). */
export const SELECTION_COUNTED = 200

type SelectionChoices = Pick<Subscriber, 'topics' | 'keywords' | 'categories' | 'minUpvotes' | 'papersPerEmail' | 'frequency'>

export interface PlanResult {
  editionDates: string[]
  planned: number
}

export function createDigestService(deps: Deps) {
  const now = deps.now ?? (() => new Date())

  /** The subscriber a read-only ("view") link belongs to. */
  const readerOf = (token: string): Promise<Subscriber> =>
    subscriberFromLink({ secret: deps.secret, token, purpose: 'view', now: now() }, (id) => deps.subscribers.findById(id))

  /** Walks subscribers in id order, a batch at a time, queueing each batch's new deliveries as soon as it is written. */
  async function plan(input: { editionDate?: string }): Promise<number> {
    const at = now()
    let afterId = '00000000-0000-0000-0000-000000000000'
    let planned = 0
    for (;;) {
      const { deliveryIds, lastId } = await deps.digests.planBatch({ now: at, afterId, batch: PLAN_BATCH, ...input })
      await deps.queues.enqueueSends(deliveryIds)
      planned += deliveryIds.length
      if (!lastId) return planned
      afterId = lastId
    }
  }

  return {
    /** Scheduled: every subscriber whose local send hour has come on their local date gets that date's edition. */
    async planDue(): Promise<PlanResult> {
      const today = now().toISOString().slice(0, 10)
      // Local dates around the world span UTC yesterday to UTC tomorrow.
      const editionDates = [addDays(today, -1), today, addDays(today, 1)]
      await deps.digests.ensureEditions(editionDates)
      const planned = await plan({})
      if (planned > 0) deps.logger.info({ event: 'digest.planned', planned }, `planned ${planned} digests`)
      return { editionDates, planned }
    },

    /** Operator: that date's edition, now, to every active subscriber due that day, whatever their hour; never twice. */
    async sendEdition(editionDate: string): Promise<PlanResult> {
      if (!isIsoDate(editionDate)) throw new AppError('VALIDATION_FAILED', 400, `date must be YYYY-MM-DD (got ${JSON.stringify(editionDate)})`)
      await deps.digests.ensureEditions([editionDate])
      const planned = await plan({ editionDate })
      deps.logger.info({ event: 'digest.edition_sent', editionDate, planned }, `queued ${planned} digests for ${editionDate}`)
      return { editionDates: [editionDate], planned }
    },

    /** Operator: digests of that date whose retries ran out go round once more (sent ones are never resent). */
    async resendFailed(editionDate: string): Promise<number> {
      const ids = await deps.digests.failedOfEdition(editionDate)
      await deps.queues.enqueueSends(ids, { idPrefix: `resend-${now().getTime()}` })
      return ids.length
    },

    progress: (editionDate: string) => deps.digests.editionProgress(editionDate),

    /** Development: the latest papers-day's edition to one subscriber now, so a newcomer sees a digest at once. */
    async sendLatestTo(subscriberId: string): Promise<{ editionDate: string | null; queued: boolean }> {
      const editionDate = await deps.papers.latestDay()
      if (!editionDate) return { editionDate: null, queued: false }
      const id = await deps.digests.createDigestDelivery(subscriberId, editionDate)
      if (id) await deps.queues.enqueueSends([id])
      return { editionDate, queued: id !== null }
    },

    /** Operator preview: the digest this subscriber would get for that edition now, rendered, nothing written or sent. */
    async preview(subscriber: Subscriber, editionDate?: string): Promise<RenderedEmail & { editionDate: string; paperIds: string[] }> {
      const date = editionDate ?? (await deps.papers.latestDay()) ?? now().toISOString().slice(0, 10)
      if (!isIsoDate(date)) throw new AppError('VALIDATION_FAILED', 400, `date must be YYYY-MM-DD (got ${JSON.stringify(date)})`)
      const chosen = await deps.matches.selectForSubscriber({
        subscriberId: subscriber.id, topics: subscriber.topics, keywords: subscriber.keywords, categories: subscriber.categories,
        minUpvotes: subscriber.minUpvotes, limit: subscriber.papersPerEmail, ...digestWindow(date, subscriber.frequency),
      })
      const data = await deps.deliveries.composeDigest(subscriber, date, chosen)
      return { ...deps.renderer.render({ template: 'digest', data }), editionDate: date, paperIds: chosen.map((c) => c.paperId) }
    },

    /**
     * What these choices select on a papers-day (the latest by default), in the window of their frequency: every match
     * counted, the first papers-per-email shown in the digest's order with their reasons — papers already sent
     * included, so that a reader changing topics or keywords sees what the change does, even after that day's digest.
     */
    async selection(subscriberId: string, choices: SelectionChoices, day?: string): Promise<Selection | null> {
      const date = day ?? (await deps.papers.latestDay())
      if (!date) return null
      const window = digestWindow(date, choices.frequency)
      const chosen = await deps.matches.selectForSubscriber({
        subscriberId, topics: choices.topics, keywords: choices.keywords, categories: choices.categories, minUpvotes: choices.minUpvotes,
        limit: SELECTION_COUNTED, includeSent: true, ...window,
      })
      const shown = chosen.slice(0, choices.papersPerEmail)
      const papers = new Map((await deps.papers.findByIds(shown.map((c) => c.paperId))).map((p) => [p.id, p]))
      return {
        date, fromDay: window.fromDay, total: chosen.length,
        papers: shown.flatMap((c) => {
          const p = papers.get(c.paperId)
          return p ? [{ title: p.title, url: paperPageUrl(deps.paperPageBase, p.id), why: c.matched.join(', ') }] : []
        }),
      }
    },

    /** The private feed: papers of the subscriber's last 10 digests (at most 100), as Atom or RSS. */
    async feed(token: string, format: 'atom' | 'rss'): Promise<string> {
      const subscriber = await readerOf(token)
      const digests = await deps.digests.recentSentDigests(subscriber.id, 10)
      const papers = new Map((await deps.papers.findByIds([...new Set(digests.flatMap((d) => d.paperIds))])).map((p) => [p.id, p]))
      const entries: FeedEntry[] = digests
        .flatMap((d) => d.paperIds.flatMap((id, i) => {
          const paper = papers.get(id)
          return paper ? [{ paper, matched: d.paperReasons[i] ?? '', sentAt: d.sentAt ?? new Date(0) }] : []
        }))
        .slice(0, 100)
      const self = deps.links.feed(subscriber.id)
      return buildFeed({ entries, selfUrl: self, homeUrl: deps.links.home(), paperPageBase: deps.paperPageBase, format })
    },

    /** "View in browser": the digest as it was sent, from the stored selection. */
    async viewDigest(token: string, editionDate: string): Promise<string> {
      const subscriber = await readerOf(token)
      const delivery = isIsoDate(editionDate) ? await deps.digests.findDigestDelivery(subscriber.id, editionDate) : null
      if (!delivery || (delivery.status !== 'sent' && delivery.status !== 'sending')) {
        throw new AppError('NOT_FOUND', 404, `There is no digest of ${editionDate} for this address.`)
      }
      const chosen = delivery.paperIds.map((paperId, i) => ({ paperId, matched: delivery.paperReasons[i] ? [delivery.paperReasons[i]!] : [] }))
      const data = await deps.deliveries.composeDigest(subscriber, editionDate, chosen, 'as-sent')
      // the page is the browser view: no link to itself
      return deps.renderer.render({ template: 'digest', data: { ...data, viewUrl: '' } }).html
    },
  }
}
export type DigestService = ReturnType<typeof createDigestService>

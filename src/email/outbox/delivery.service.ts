import type { Logger } from 'pino'
import { buildDigestContent, type DigestOrder, type PaperForDigest } from '../../digests/digest-content.ts'
import { batchPerTurn } from '../../runtime/batch-per-turn.ts'
import type { MatchedPaper, MatchRepository } from '../../digests/match.repository.ts'
import { digestWindow } from '../../digests/schedule.ts'
import type { Subscriber } from '../../generated/prisma/client.ts'
import type { Links } from '../../links/urls.ts'
import type { PaperRepository } from '../../papers/paper.repository.ts'
import type { Queues } from '../../queues/queues.ts'
import { emailHash } from '../../subscribers/email-address.ts'
import type { Claim, ClaimedDelivery, DeliveryRepository } from './delivery.repository.ts'
import { classifySmtpError } from '../transport/mailer.ts'
import type { Mailer, OutgoingEmail } from '../transport/outgoing.ts'
import type { PaperBlocks, RenderedEmail, Renderer } from '../rendering/render.ts'
import type { DigestContent, DigestData } from '../rendering/templates.ts'
import { parseSender } from '../compose/sender.ts'
import { asksToSlowDown, domainOf, UNLIMITED, type SendGate } from '../transport/send-rate.ts'

/** Messages of one batch handed to the SMTP pool at once. */
const IN_FLIGHT_PER_BATCH = 8

export type SendOutcome = 'sent' | 'skipped' | 'bounced' | 'not-claimed'

/** A send that may succeed later (SMTP 4xx, network): the row is `failed` and claimable; retry with backoff. */
export class TransientSendError extends Error {
  override name = 'TransientSendError'
}

interface Deps {
  deliveries: DeliveryRepository
  matches: Pick<MatchRepository, 'selectForSubscribers'>
  papers: Pick<PaperRepository, 'findByIds'>
  mailer: Mailer
  renderer: Renderer
  links: Links
  queues: Pick<Queues, 'enqueueSends' | 'send'>
  mailFrom: string
  paperPageBase: string
  /** The fleet's shared send rate (send-rate.ts); none: as fast as the SMTP server takes them. */
  sendGate?: SendGate
  logger: Logger
  now?: () => Date
}

export function createDeliveryService(deps: Deps) {
  const sender = parseSender(deps.mailFrom)
  const now = deps.now ?? (() => new Date())
  const gate = deps.sendGate ?? UNLIMITED
  const listId = { id: `digest.${sender.domain}`, name: `${sender.name} digest` }
  const footer = {
    subscribed: 'You get this email because you subscribed to the Paperboy digest of trending AI papers.',
    signup: 'You get this email because this address was entered on the Paperboy sign-up page. If it was not you, ignore it: without confirmation you will get nothing more.',
  }
  /**
   * Every lane of every batch in this process hands its per-email write (the email it just sent, the one it is about
   * to send) here; the writes made in one turn of the event loop, or while the previous statement runs, go to the
   * database as one statement and one commit (one in flight per process: a statement carries what arrived during the
   * last one's round trip). Each lane still waits for its own claim before its SMTP transaction, so a crash strands
   * no more rows than before.
   */
  const writes = batchPerTurn<{ sent: string | null; claim: Claim | null }, boolean>(
    async (keys) => {
      const sent = keys.flatMap((k) => (k.sent ? [k.sent] : []))
      const claims = keys.flatMap((k) => (k.claim ? [k.claim] : []))
      const claimed = await deps.deliveries.markSentAndClaim(sent, claims, now())
      // Two jobs holding the same row (one given out again while it still ran) can claim it in one statement, which
      // updates it once: only the first of them has it.
      return keys.map((k) => (k.claim ? claimed.delete(k.claim.id) : true))
    },
    { maxInFlight: 1 },
  )

  // papers' blocks as digests show them, each rendered once and reused by every send batch of this process
  const paperBlocks: PaperBlocks = new Map()
  const common = (s: Pick<Subscriber, 'email'>) => ({ email: s.email, homeUrl: deps.links.home(), senderName: sender.name })

  type ChosenPaper = { paperId: string; matched: string[]; byTaste?: true }
  /** How chosen papers are ordered (a selection says when the reader's taste ordered it). */
  const orderOf = (picks: readonly ChosenPaper[]): DigestOrder => (picks.some((p) => p.byTaste) ? 'taste' : 'upvotes')
  type RecipientFields = Pick<DigestData, 'email' | 'manageUrl' | 'unsubscribeUrl' | 'viewUrl'> & { id: string; editionDate: string }

  const recipientFields = (subscriber: Pick<Subscriber, 'id' | 'email'>, editionDate: string): RecipientFields => ({
    id: subscriber.id,
    editionDate,
    email: subscriber.email,
    manageUrl: deps.links.manage(subscriber.id),
    unsubscribeUrl: deps.links.unsubscribe(subscriber.id),
    viewUrl: deps.links.view(subscriber.id, editionDate),
  })

  /**
   * A digest's template data: what every recipient of the same content shares, completed with one recipient's fields,
   * among them each paper's vote link.
   */
  const digestFor = (content: DigestContent, { id, editionDate, ...fields }: RecipientFields): DigestData => ({
    ...common(fields),
    ...fields,
    footerReason: footer.subscribed,
    ...content,
    papers: content.papers.map((p) => ({ ...p, feedbackUrl: deps.links.vote(id, p.paperId, editionDate) })),
  })

  /**
   * The one way a digest's content is made (sent, previewed or viewed in a browser), from papers already chosen and
   * ranked. Subscribers with the same topics get the same papers: the recipient-independent part (papers, date label,
   * heading, intro) is built once per distinct selection in `contents` (a send batch shares one).
   */
  function digestContent(
    frequency: Subscriber['frequency'],
    editionDate: string,
    picks: readonly ChosenPaper[],
    papers: ReadonlyMap<string, PaperForDigest>,
    order: DigestOrder,
    contents = new Map<string, DigestContent>(),
  ): DigestContent {
    const key = `${editionDate}|${frequency}|${order}|${picks.map((m) => `${m.paperId}\u0001${m.matched.join('\u0002')}`).join('\u0003')}`
    let content = contents.get(key)
    if (!content) {
      content = buildDigestContent({
        papers: picks.map((m) => papers.get(m.paperId)!),
        order,
        matched: new Map(picks.map((m) => [m.paperId, m.matched])),
        editionDate,
        frequency,
        paperPageBase: deps.paperPageBase,
      })
      contents.set(key, content)
    }
    return content
  }

  async function composeDigest(subscriber: Subscriber, editionDate: string, chosen: readonly ChosenPaper[], order: DigestOrder = orderOf(chosen)): Promise<DigestData> {
    const papers = new Map((await deps.papers.findByIds(chosen.map((c) => c.paperId))).map((p) => [p.id, p]))
    const content = digestContent(subscriber.frequency, editionDate, chosen.filter((c) => papers.has(c.paperId)), papers, order)
    return digestFor(content, recipientFields(subscriber, editionDate))
  }

  /** Why a claimed delivery must not be sent, or null when it may. */
  function skipReason(d: ClaimedDelivery): string | null {
    const s = d.subscriber
    const allowed =
      d.kind === 'confirmation' ? s.status === 'pending' || s.status === 'unsubscribed'
      : d.kind === 'digest' ? s.status === 'active' && !s.paused
      : s.status === 'active'
    if (!allowed) return s.paused ? 'subscriber paused' : `subscriber is ${s.status}`
    if (d.suppressed) return 'address is suppressed'
    return null
  }

  /** Every digest's ranked papers, one query per distinct (edition, frequency) window in the batch (usually one). */
  async function selectMany(digests: ClaimedDelivery[]): Promise<Map<string, MatchedPaper[]>> {
    const groups = new Map<string, { window: ReturnType<typeof digestWindow>; ids: string[] }>()
    for (const d of digests) {
      const window = digestWindow(d.editionDate!, d.subscriber.frequency)
      const key = `${window.fromDay}/${window.toDay}`
      const group = groups.get(key) ?? groups.set(key, { window, ids: [] }).get(key)!
      group.ids.push(d.subscriber.id)
    }
    const chosen = new Map<string, MatchedPaper[]>()
    for (const { window, ids } of groups.values()) {
      for (const [subscriberId, papers] of await deps.matches.selectForSubscribers(ids, window)) chosen.set(subscriberId, papers)
    }
    return chosen
  }

  interface Outgoing {
    delivery: ClaimedDelivery
    email: OutgoingEmail
    /** What the claim records: the row, and for a digest the papers it is sent with. */
    claim: Claim
  }

  async function sendLoaded(claimed: ClaimedDelivery[], counts: Record<SendOutcome, number>): Promise<Record<SendOutcome, number>> {
    const skipped: { id: string; reason: string }[] = []
    const sendable: ClaimedDelivery[] = []
    for (const d of claimed) {
      const reason = skipReason(d)
      if (reason) skipped.push({ id: d.id, reason })
      else sendable.push(d)
    }

    const digests = sendable.filter((d) => d.kind === 'digest')
    const chosen = digests.length > 0 ? await selectMany(digests) : new Map<string, MatchedPaper[]>()
    const paperIds = [...new Set([...chosen.values()].flatMap((list) => list.map((m) => m.paperId)))]
    const papers = new Map((await deps.papers.findByIds(paperIds)).map((p) => [p.id, p]))

    const outgoing: Outgoing[] = []
    const contents = new Map<string, DigestContent>()
    const at = now()
    for (const d of sendable) {
      const s = d.subscriber
      const base = { from: deps.mailFrom, to: s.email, messageId: d.messageId, listId }
      const shared = common(s)
      if (d.kind === 'confirmation') {
        const rendered = deps.renderer.render({ template: 'confirm', data: { ...shared, confirmUrl: deps.links.confirm(s.id, at), footerReason: footer.signup } })
        outgoing.push({ delivery: d, email: { ...base, ...rendered }, claim: { id: d.id } })
      } else if (d.kind === 'already_subscribed') {
        const unsubscribeUrl = deps.links.unsubscribe(s.id)
        const rendered = deps.renderer.render({
          template: 'already-subscribed',
          data: { ...shared, manageUrl: deps.links.manage(s.id), unsubscribeUrl, footerReason: footer.subscribed },
        })
        outgoing.push({ delivery: d, email: { ...base, ...rendered, unsubscribeUrl }, claim: { id: d.id } })
      } else {
        const picks = (chosen.get(s.id) ?? []).filter((m) => papers.has(m.paperId))
        if (picks.length === 0 && s.skipEmpty) {
          skipped.push({ id: d.id, reason: 'no paper matched' })
          continue
        }
        const content = digestContent(s.frequency, d.editionDate!, picks, papers, orderOf(picks), contents)
        const data = digestFor(content, recipientFields(s, d.editionDate!))
        const rendered = deps.renderer.renderDigest(data, paperBlocks)
        const claim = { id: d.id, paperIds: picks.map((m) => m.paperId), paperReasons: content.papers.map((p) => p.matched) }
        outgoing.push({ delivery: d, email: { ...base, ...rendered, unsubscribeUrl: data.unsubscribeUrl }, claim })
      }
    }
    await deps.deliveries.markSkippedMany(skipped)
    counts.skipped += skipped.length

    // The pool has a few connections per process and several batches run at once: a few messages in flight per
    // batch keep every connection busy without building a whole batch of 40 KB messages up front.
    // Each row is claimed (pending|failed → sending) just before its SMTP transaction and marked sent right after it:
    // the mark rides on the lane's next claim or, for a lane's last email, goes alone, and the process's lanes share
    // one statement per turn of the event loop (`writes`). A crash leaves at most the emails then on the wire
    // `sending` — never a whole batch — and those are not sent again.
    const marks: Promise<boolean>[] = []
    const failed: { id: string; error: string }[] = []
    const bounced: Outgoing[] = []
    const errors = new Map<string, string>()
    let next = 0
    const lane = async () => {
      let accepted: string | null = null
      while (next < outgoing.length) {
        const item = outgoing[next++]!
        if (gate !== UNLIMITED) {
          // the fleet's send rate: wait for this message's slot before claiming it, so the row waits `pending`, not
          // `sending`; the previous message's `sent` mark goes first, rather than waiting with the claim
          if (accepted) marks.push(writes({ sent: accepted, claim: null }))
          accepted = null
          await gate.wait(domainOf(item.email.to))
        }
        const claimed = await writes({ sent: accepted, claim: item.claim })
        accepted = null
        if (!claimed) {
          counts['not-claimed']++
          continue
        }
        try {
          await deps.mailer.send(item.email)
        } catch (error) {
          const message = (error as Error).message
          errors.set(item.delivery.id, message)
          // "slow down" from the relay: the whole fleet pauses, and this message is retried like any transient failure
          if (asksToSlowDown(error)) await gate.slowDown()
          if (classifySmtpError(error) === 'permanent') bounced.push(item)
          else failed.push({ id: item.delivery.id, error: message })
          continue
        }
        accepted = item.delivery.id
        counts.sent++
      }
      if (accepted) marks.push(writes({ sent: accepted, claim: null }))
    }
    // every lane ends before the bookkeeping below, which must run for what each collected even if one failed
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(IN_FLIGHT_PER_BATCH, outgoing.length) }, lane))
    const markResults = await Promise.allSettled(marks)
    for (const { delivery } of bounced) {
      await deps.deliveries.markBounced(delivery.id, delivery.subscriber.id, emailHash(delivery.subscriber.email), errors.get(delivery.id)!)
      deps.logger.warn({ event: 'delivery.bounced', deliveryId: delivery.id }, 'permanent SMTP failure; address suppressed')
    }
    counts.bounced += bounced.length
    if (failed.length > 0) {
      await deps.deliveries.markFailedMany(failed)
      for (const f of failed) deps.logger.info({ event: 'delivery.retry', deliveryId: f.id, err: f.error }, 'transient SMTP failure; will retry')
      throw new TransientSendError(`${failed.length} of ${claimed.length} deliveries failed transiently; retrying them`)
    }
    const broken = [...lanes, ...markResults].find((r) => r.status === 'rejected')
    if (broken) throw (broken as PromiseRejectedResult).reason
    deps.logger.debug({ event: 'delivery.batch_sent', ...counts }, 'batch sent')
    return counts
  }

  return {
    composeDigest,

    /**
     * Sends a batch with a handful of statements for the whole batch — one read of the claimable rows, one selection of
     * every digest's papers, one read of those papers — then, per email, a claim (which records a digest's papers)
     * just before its SMTP transaction and a `sent` mark just after, a few emails in flight at a time over the pooled
     * connections. Each delivery keeps its own outcome: skipped, bounced, or transient failure (row back to `failed`;
     * the batch throws after the others are done, so the queue retries it and only the failed rows are claimable).
     * At most once: a crash after the SMTP server accepted a message leaves its row `sending`.
     */
    async sendBatch(deliveryIds: readonly string[]): Promise<Record<SendOutcome, number>> {
      const counts: Record<SendOutcome, number> = { sent: 0, skipped: 0, bounced: 0, 'not-claimed': 0 }
      const loaded = await deps.deliveries.loadClaimable([...new Set(deliveryIds)])
      counts['not-claimed'] = deliveryIds.length - loaded.length
      // If something unexpected (database, template) throws before a row is claimed, it stays pending|failed and
      // the job's retry takes it again.
      return sendLoaded(loaded, counts)
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

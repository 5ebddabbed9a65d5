import type { Logger } from 'pino'
import type { Db } from '../db/client.ts'
import { serviceUnavailable, subscriberGone, validationFailed } from '../errors.ts'
import type { Subscriber } from '../generated/prisma/client.ts'
import { subscriberFromLink } from '../links/resolve.ts'
import type { LinkPurpose } from '../links/tokens.ts'
import type { Links } from '../links/urls.ts'
import type { Queues } from '../queues/queues.ts'
import { batchPerTurn } from '../runtime/batch-per-turn.ts'
import { emailHash } from './email-address.ts'
import type { SubscribeRequest, SubscriberRepository } from './subscriber.repository.ts'
import type { Preferences, PreferencesBody, SubscribeBody } from './subscriber.schemas.ts'

interface Deps {
  db: Db
  subscribers: SubscriberRepository
  queues: Pick<Queues, 'enqueueSend'>
  links: Links
  secret: string
  defaults: { sendHour: number; timezone: string }
  /** Throws when the queue cannot take jobs; checked before anything is written. */
  checkQueue: () => Promise<void>
  logger: Logger
  now?: () => Date
}

export function createSubscriberService(deps: Deps) {
  const now = deps.now ?? (() => new Date())

  const resolve = (token: string, purpose: LinkPurpose): Promise<Subscriber> =>
    subscriberFromLink({ secret: deps.secret, token, purpose, now: now() }, (id) => deps.subscribers.findById(id))

  /** Keyword filters that PostgreSQL would reduce to nothing (only stop words or punctuation) are rejected. */
  async function checkKeywords(keywords: readonly string[] | undefined): Promise<void> {
    if (!keywords || keywords.length === 0) return
    const rows = await deps.db.$queryRaw<{ q: string; n: number }[]>`
      SELECT q, numnode(websearch_to_tsquery('english', q)) AS n FROM unnest(${keywords}::text[]) AS q`
    const empty = rows.filter((r) => Number(r.n) === 0).map((r) => JSON.stringify(r.q))
    if (empty.length > 0) {
      throw validationFailed(`keyword filter ${empty.join(', ')} has no searchable words (only stop words or punctuation)`)
    }
  }

  async function exportOf(subscriberId: string) {
    const data = await deps.subscribers.exportData(subscriberId)
    if (!data) throw subscriberGone()
    const { id: _id, deliveries, votes, taste, ...profile } = data
    // Every paper a sent digest carried, once, with when it was first sent (deliveries come oldest first).
    const papersSent = new Map<string, Date>()
    for (const d of deliveries) {
      if (d.kind !== 'digest' || d.status !== 'sent' || !d.sentAt) continue
      for (const paperId of d.paperIds) if (!papersSent.has(paperId)) papersSent.set(paperId, d.sentAt)
    }
    return {
      exportedAt: now().toISOString(),
      subscriber: profile,
      emails: deliveries,
      papersSent: [...papersSent].map(([paperId, sentAt]) => ({ paperId, sentAt })),
      votes: votes.map((v) => ({ paperId: v.paperId, vote: v.vote > 0 ? 'more' : 'less', votedAt: v.votedAt })),
      learnedFromVotes: taste && { votes: taste.votes, more: taste.more, less: taste.less, updatedAt: taste.updatedAt },
    }
  }

  async function eraseById(subscriberId: string): Promise<void> {
    if (!(await deps.subscribers.erase(subscriberId))) throw subscriberGone()
    deps.logger.info({ event: 'subscriber.erased', subscriberId }, 'erased')
  }

  /**
   * The subscribe requests that reach the database in one turn of the event loop are written by one statement: one
   * round trip and one commit for many requests. An address asked for twice in one turn goes into a second statement
   * of the same batch, so every request is decided as if it came alone, in arrival order.
   */
  const writes = batchPerTurn<SubscribeRequest, string | null>(
    async (requests) => {
      const results: (string | null)[] = []
      let left = requests.map((request, index) => ({ request, index }))
      while (left.length > 0) {
        const emails = new Set<string>()
        const round: typeof left = []
        const later: typeof left = []
        for (const item of left) {
          if (emails.has(item.request.email)) later.push(item)
          else {
            emails.add(item.request.email)
            round.push(item)
          }
        }
        const ids = await deps.subscribers.subscribe(round.map((item) => item.request), deps.defaults, now())
        round.forEach((item, k) => (results[item.index] = ids[k] ?? null))
        left = later
      }
      return results
    },
    { maxBatchSize: 100 },
  )

  const toPreferences = (s: Subscriber): Preferences => ({
    email: s.email,
    status: s.status,
    topics: s.topics,
    keywords: s.keywords,
    categories: s.categories,
    minUpvotes: s.minUpvotes,
    papersPerEmail: s.papersPerEmail,
    frequency: s.frequency,
    weeklyDay: s.weeklyDay,
    sendHour: s.sendHour,
    timezone: s.timezone,
    skipEmpty: s.skipEmpty,
    paused: s.paused,
  })

  return {
    /**
     * Always resolves the same way whatever the address's state (no enumeration). Writes the subscriber and, unless
     * throttled (one a day, NOTICES_PER_MONTH in 30 days: the form cannot be used to bomb an inbox) or suppressed, one
     * confirmation or "already subscribed" delivery (one statement shared with the requests of the same turn of the
     * event loop); resolves when the email is queued, not sent.
     */
    async subscribe(input: SubscribeBody): Promise<void> {
      // Independent checks, at once: keyword filters, and that the queue can take a job (so a Redis outage answers 503
      // before anything is written).
      await Promise.all([
        checkKeywords(input.keywords),
        deps.checkQueue().catch((error: unknown) => {
          throw serviceUnavailable('The mail queue', error)
        }),
      ])
      const deliveryId = await writes({
        email: input.email,
        emailHash: emailHash(input.email),
        ...(input.topics ? { topics: input.topics } : {}),
        ...(input.keywords ? { keywords: input.keywords } : {}),
        ...(input.timezone ? { timezone: input.timezone } : {}),
      })
      if (!deliveryId) return
      // The row is committed; if Redis fails now, the sweeper queues it later. The request still succeeded.
      await deps.queues.enqueueSend(deliveryId).catch((error: unknown) => {
        deps.logger.warn({ event: 'delivery.enqueue_failed', deliveryId, err: error }, 'left for the sweeper')
      })
    },

    /** Token check only, for the GET page that shows the confirm button. */
    async peekConfirm(token: string): Promise<Subscriber> {
      return resolve(token, 'confirm')
    },

    async confirm(token: string): Promise<{ subscriber: Subscriber; manageUrl: string }> {
      const found = await resolve(token, 'confirm')
      if (found.status === 'bounced') throw validationFailed('This address bounced our emails, so it cannot be confirmed.')
      const subscriber = (await deps.subscribers.activate(found.id, now())) ?? (() => { throw subscriberGone() })()
      return { subscriber, manageUrl: deps.links.manage(subscriber.id) }
    },

    async peekUnsubscribe(token: string): Promise<{ subscriber: Subscriber; manageUrl: string }> {
      const subscriber = await resolve(token, 'unsubscribe')
      return { subscriber, manageUrl: deps.links.manage(subscriber.id) }
    },

    async unsubscribe(token: string): Promise<{ subscriber: Subscriber; manageUrl: string }> {
      const found = await resolve(token, 'unsubscribe')
      const subscriber = (await deps.subscribers.unsubscribe(found.id, now())) ?? (() => { throw subscriberGone() })()
      deps.logger.info({ event: 'subscriber.unsubscribed', subscriberId: subscriber.id }, 'unsubscribed')
      return { subscriber, manageUrl: deps.links.manage(subscriber.id) }
    },

    async getPreferences(token: string): Promise<{ subscriberId: string; preferences: Preferences }> {
      const subscriber = await resolve(token, 'manage')
      return { subscriberId: subscriber.id, preferences: toPreferences(subscriber) }
    },

    async updatePreferences(token: string, body: PreferencesBody): Promise<Preferences> {
      const subscriber = await resolve(token, 'manage')
      await checkKeywords(body.keywords)
      const updated = await deps.subscribers.updatePreferences(subscriber.id, body)
      if (!updated) throw subscriberGone()
      return toPreferences(updated)
    },

    /** Re-subscribes from the preferences page (after an unsubscribe) without a new confirmation: the link proves the address. */
    async resubscribe(token: string): Promise<Preferences> {
      const subscriber = await resolve(token, 'manage')
      if (subscriber.status !== 'unsubscribed') return toPreferences(subscriber)
      const updated = (await deps.subscribers.activate(subscriber.id, now())) ?? (() => { throw subscriberGone() })()
      return toPreferences(updated)
    },

    async exportData(token: string) {
      return exportOf((await resolve(token, 'manage')).id)
    },

    async erase(token: string): Promise<void> {
      await eraseById((await resolve(token, 'manage')).id)
    },

    /** Operator versions (admin API): by subscriber id, behind the admin token. */
    exportById: exportOf,
    eraseById,
  }
}
export type SubscriberService = ReturnType<typeof createSubscriberService>

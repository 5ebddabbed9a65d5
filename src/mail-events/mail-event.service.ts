import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { AppError } from '../errors.ts'
import { keptOrMade } from '../runtime/bounded-cache.ts'
import { replayed, type MailEvent, type Provider, type WebhookProvider, type WebhookRequest } from './mail-event.ts'
import { readMailReport } from './mail-report.ts'
import type { EventOutcome, MailEventRepository } from './mail-event.repository.ts'
import { SIGNATURE_MAX_AGE_MS as MAILGUN_MAX_AGE_MS, verifyMailgun } from './providers/mailgun.ts'
import { verifyPostmark } from './providers/postmark.ts'
import { SIGNATURE_MAX_AGE_MS as SENDGRID_MAX_AGE_MS, sendgridKey, verifySendgrid } from './providers/sendgrid.ts'
import { verifySes } from './providers/ses.ts'

/** Which providers this installation takes webhooks from, and their secrets; a provider without one is refused (404). */
export interface WebhookSecrets {
  /** SNS topics SES publishes bounces and complaints to. */
  sesTopicArns: readonly string[]
  /** `user:password` written into Postmark's webhook URL. */
  postmarkAuth?: string
  mailgunSigningKey?: string
  /** As SendGrid shows it (base64 DER) or PEM. */
  sendgridPublicKey?: string
}

interface Deps {
  events: MailEventRepository
  secrets: WebhookSecrets
  /**
   * GET of an SNS URL (a signing certificate, a subscription confirmation): its status and body. Only ever called with
   * an https URL on an SNS host.
   */
  snsGet: (url: string) => Promise<{ status: number; text: string }>
  /** Keeps single-use signed payloads (Mailgun's tokens, SendGrid's timestamp and body) across API processes. */
  redis?: Pick<Redis, 'set' | 'del' | 'status'>
  queuePrefix?: string
  logger: Logger
  now?: () => Date
}

export interface WebhookResult {
  /** New events, by what they did. */
  recorded: Partial<Record<EventOutcome, number>>
  /** What was not an event (a delivery notice, a confirmed subscription…). */
  note?: string
}

const CERTIFICATES_KEPT = 20

/**
 * Provider webhooks: each payload is verified by its provider's scheme (providers/), then its bounce and complaint
 * events are recorded and acted upon once (mail-event.repository.ts). A refused payload changes nothing and gets a 4xx
 * that says why.
 */
export function createMailEventService(deps: Deps) {
  const now = deps.now ?? (() => new Date())
  const sendgrid = deps.secrets.sendgridPublicKey ? sendgridKey(deps.secrets.sendgridPublicKey) : undefined
  const certificates = new Map<string, Promise<string>>()

  const notConfigured = (provider: string, variable: string) =>
    new AppError('NOT_FOUND', 404, `${provider} webhooks are not set up on this installation (set ${variable}).`)

  /** An SNS signing certificate, fetched once per process (a failed fetch is not kept). */
  const certificate = (url: string) =>
    keptOrMade(certificates, url, CERTIFICATES_KEPT, () => {
      const fetched = deps.snsGet(url).then(({ status, text }) => {
        if (status !== 200 || !text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`HTTP ${status}, not a certificate`)
        return text
      })
      fetched.catch(() => certificates.delete(url))
      return fetched
    })

  /**
   * A signature used once only, for as long as it would be fresh. Without Redis it is not checked: a replay within
   * that window then finds its events already recorded, and changes nothing either.
   */
  async function once(provider: string, value: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    if (!deps.redis || deps.redis.status !== 'ready') return null
    const key = `${deps.queuePrefix ?? 'paperboy'}:webhook-seen:${provider}:${createHash('sha256').update(value).digest('hex')}`
    const first = await deps.redis.set(key, '1', 'PX', ttlMs, 'NX').catch(() => 'OK')
    if (first !== 'OK') throw replayed(provider, 'was already delivered with this very signature')
    return async () => void (await deps.redis?.del(key).catch(() => 0))
  }

  /**
   * Records the events; when that fails (the database), the payload's single-use mark is taken back, so the provider's
   * retry of it is taken rather than refused as a replay.
   */
  async function record(provider: Provider, events: Parameters<MailEventRepository['record']>[0], release: (() => Promise<void>) | null = null): Promise<WebhookResult> {
    let outcomes: Awaited<ReturnType<MailEventRepository['record']>>
    try {
      outcomes = await deps.events.record(events)
    } catch (error) {
      await release?.()
      throw error
    }
    const recorded: WebhookResult['recorded'] = {}
    for (const o of outcomes) recorded[o] = (recorded[o] ?? 0) + 1
    if (events.length > 0) deps.logger.info({ event: 'mail_events.recorded', provider, ...recorded }, `${provider}: ${events.length} bounce/complaint events`)
    return { recorded }
  }

  return {
    async handle(provider: WebhookProvider, request: WebhookRequest): Promise<WebhookResult> {
      const at = now()
      switch (provider) {
        case 'ses': {
          if (deps.secrets.sesTopicArns.length === 0) throw notConfigured('Amazon SES', 'SES_SNS_TOPIC_ARNS')
          const verified = await verifySes(request, { topicArns: deps.secrets.sesTopicArns, certificate }, at)
          if (verified.type === 'subscribe') {
            const answer = await deps.snsGet(verified.subscribeUrl)
            if (answer.status !== 200) throw new AppError('SERVICE_UNAVAILABLE', 503, `SNS did not confirm the subscription (HTTP ${answer.status}); it will send the confirmation again.`)
            deps.logger.info({ event: 'mail_events.sns_subscribed', topicArn: verified.topicArn }, 'confirmed the SNS subscription')
            return { recorded: {}, note: `subscribed to ${verified.topicArn}` }
          }
          if (verified.type === 'ignored') return { recorded: {}, note: verified.why }
          return record('ses', verified.events)
        }
        case 'postmark': {
          if (!deps.secrets.postmarkAuth) throw notConfigured('Postmark', 'POSTMARK_WEBHOOK_AUTH')
          return record('postmark', verifyPostmark(request, deps.secrets.postmarkAuth, at))
        }
        case 'mailgun': {
          if (!deps.secrets.mailgunSigningKey) throw notConfigured('Mailgun', 'MAILGUN_WEBHOOK_SIGNING_KEY')
          const { events, token } = verifyMailgun(request, deps.secrets.mailgunSigningKey, at)
          return record('mailgun', events, await once('Mailgun', token, MAILGUN_MAX_AGE_MS))
        }
        case 'sendgrid': {
          if (!sendgrid) throw notConfigured('SendGrid', 'SENDGRID_WEBHOOK_PUBLIC_KEY')
          const { events, signed } = verifySendgrid(request, sendgrid, at)
          return record('sendgrid', events, await once('SendGrid', signed, SENDGRID_MAX_AGE_MS))
        }
      }
    },
    /**
     * A report mailed back to the sender (a bounce from a mail server, a complaint from a feedback loop), one message
     * as received. It counts only when it returns a message this installation sent (its Message-ID names a delivery,
     * which a stranger cannot guess), and then as one event of that delivery, for the address it went to: its worst
     * outcome (a report may list many recipients; one delivery bounces once however many reports say so, or however
     * often one arrives). A hard failure of another address than the one the message went to (a forward, an alias's
     * member) counts as soft: the reader's own mailbox did not say no. Anything else changes nothing and says why.
     */
    async handleReport(raw: Buffer): Promise<WebhookResult> {
      const report = await readMailReport(raw)
      const sent = report.aboutMessageId ? await deps.events.sentTo(report.aboutMessageId) : null
      if (!sent) {
        return { recorded: {}, note: report.aboutMessageId ? `about ${report.aboutMessageId}, which this installation did not send` : 'returns no Message-ID to check it against' }
      }
      const kinds = report.recipients.map((r) => ({
        ...r,
        kind: r.kind === 'hard_bounce' && r.recipient.toLowerCase() !== sent.email.toLowerCase() ? ('soft_bounce' as const) : r.kind,
      }))
      const worst = kinds.find((r) => r.kind === 'complaint') ?? kinds.find((r) => r.kind === 'hard_bounce') ?? kinds[0]
      const events: MailEvent[] = worst ? [{
        provider: 'report',
        eventId: createHash('sha256').update(`${sent.deliveryId}\n${worst.kind}`).digest('hex'),
        kind: worst.kind,
        email: sent.email,
        occurredAt: report.occurredAt ?? now(),
        detail: worst.detail,
      }] : []
      const result = await record('report', events)
      return report.ignored.length > 0 ? { ...result, note: `ignored: ${report.ignored.join('; ')}` } : result
    },
    dailyRates: (today: string, days?: number) => deps.events.dailyRates(today, days),
  }
}
export type MailEventService = ReturnType<typeof createMailEventService>

import { AppError } from '../errors.ts'

/**
 * What a mail provider reports about a message after it left: it bounced for good (hard), bounced for now (soft), or
 * its recipient marked it as spam (complaint). Read from each provider's webhook (providers/), recorded once, acted
 * upon by mail-event.repository.ts.
 */
export type MailEventKind = 'hard_bounce' | 'soft_bounce' | 'complaint'
/** Where an event came from: a provider's webhook, or a report mailed back to the sender (`report`: mail-report.ts). */
export type Provider = 'ses' | 'postmark' | 'mailgun' | 'sendgrid' | 'report'
export type WebhookProvider = Exclude<Provider, 'report'>

export interface MailEvent {
  provider: Provider
  /** The provider's id of the event (per recipient): a provider retrying a webhook sends the same one. */
  eventId: string
  kind: MailEventKind
  /** The recipient, as the provider writes it. */
  email: string
  occurredAt: Date
  /** The provider's reason, short (a bounce code, a complaint type), for operators. */
  detail: string
}

/** A webhook request as the verifiers read it: its headers (lower-case names) and its body, as sent. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export const header = (request: WebhookRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** A payload that is not what it claims to be: unsigned, badly signed, or signed by someone else. */
export const notSigned = (provider: string, why: string) =>
  new AppError('UNAUTHORIZED', 401, `Refused: this ${provider} webhook payload ${why}. Nothing was changed.`)
/** A payload signed long ago, or whose signature was already used: a replay. */
export const replayed = (provider: string, why: string) =>
  new AppError('REPLAYED', 409, `Refused: this ${provider} webhook payload ${why}. Nothing was changed.`)
export const malformed = (provider: string, why: string) =>
  new AppError('VALIDATION_FAILED', 400, `Refused: this ${provider} webhook payload ${why}. Nothing was changed.`)

/** JSON of a body, or a clear 400. */
export function jsonOf(provider: string, body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw malformed(provider, 'is not JSON')
  }
}

/** Whether `at` lies within `windowMs` of `now` (a few minutes ahead allowed: clocks differ). */
export const isFresh = (at: Date, now: Date, windowMs: number) =>
  Number.isFinite(at.getTime()) && at.getTime() > now.getTime() - windowMs && at.getTime() < now.getTime() + 5 * 60_000

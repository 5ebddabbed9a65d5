import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { isFresh, jsonOf, malformed, notSigned, replayed, type MailEvent, type WebhookRequest } from '../mail-event.ts'

/**
 * Mailgun's webhooks (https://documentation.mailgun.com, "Securing webhooks"): a JSON body whose `signature` holds a
 * timestamp, a random token and the hex HMAC-SHA256 of timestamp + token under the account's webhook signing key.
 * Refused: no or a wrong signature, a timestamp older than SIGNATURE_MAX_AGE_MS, a token already used (the caller
 * keeps used tokens for that long).
 */
export const SIGNATURE_MAX_AGE_MS = 15 * 60_000

const Payload = z.object({
  signature: z.object({ timestamp: z.string().regex(/^\d{1,12}$/), token: z.string().min(16).max(200), signature: z.string().regex(/^[0-9a-f]{64}$/) }),
  'event-data': z.object({
    event: z.string(),
    id: z.string().min(1).max(200),
    timestamp: z.number(),
    severity: z.string().optional(),
    reason: z.string().optional(),
    recipient: z.string().min(3).max(320),
    'delivery-status': z.object({ code: z.number().optional(), message: z.string().optional(), description: z.string().optional() }).partial().optional(),
  }).passthrough(),
}).passthrough()

export interface MailgunVerified {
  events: MailEvent[]
  /** The one-time token: the caller refuses a payload whose token it has seen. */
  token: string
}

export function verifyMailgun(request: WebhookRequest, signingKey: string, now: Date): MailgunVerified {
  const body = jsonOf('Mailgun', request.body)
  const signature = (body as { signature?: unknown } | null)?.signature
  if (!signature) throw notSigned('Mailgun', 'has no signature')
  const parsed = Payload.safeParse(body)
  if (!parsed.success) throw malformed('Mailgun', `does not have Mailgun's shape (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`)
  const { timestamp, token, signature: given } = parsed.data.signature
  const expected = createHmac('sha256', signingKey).update(timestamp + token).digest()
  const givenBytes = Buffer.from(given, 'hex')
  if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) throw notSigned('Mailgun', 'is not signed with this installation\'s signing key')
  if (!isFresh(new Date(Number(timestamp) * 1000), now, SIGNATURE_MAX_AGE_MS)) throw replayed('Mailgun', 'was signed more than 15 minutes ago')

  const data = parsed.data['event-data']
  const status = data['delivery-status']
  const detail = [data.reason, status?.code, status?.description || status?.message].filter((x) => x !== undefined && x !== '').join(' ').slice(0, 300)
  // A temporary failure is one delivery attempt of a message Mailgun keeps retrying (greylisting, a busy server); when
  // it gives up, it reports a permanent failure. So only that one counts, with complaints.
  const kind = data.event === 'complained' ? 'complaint' : data.event === 'failed' && data.severity === 'permanent' ? 'hard_bounce' : null
  // Mailgun's event ids are unique within a day only: with the event's time, for good
  const events: MailEvent[] = kind
    ? [{ provider: 'mailgun', eventId: `${data.id}@${data.timestamp}`, kind, email: data.recipient, occurredAt: new Date(data.timestamp * 1000), detail: detail || data.event }]
    : []
  return { events, token }
}

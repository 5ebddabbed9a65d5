import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { z } from 'zod'
import { header, isFresh, jsonOf, malformed, notSigned, replayed, type MailEvent, type MailEventKind, type WebhookRequest } from '../mail-event.ts'

/**
 * SendGrid's signed Event Webhook (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
 * an ECDSA (P-256, SHA-256) signature of the timestamp header followed by the raw body, checked with the public key
 * SendGrid shows for the webhook (SENDGRID_WEBHOOK_PUBLIC_KEY, base64 DER as shown, or PEM). Refused: no or a wrong
 * signature, a timestamp older than SIGNATURE_MAX_AGE_MS, a signed payload already taken (the caller keeps them that
 * long).
 */
export const SIGNATURE_MAX_AGE_MS = 15 * 60_000
const SIGNATURE = 'x-twilio-email-event-webhook-signature'
const TIMESTAMP = 'x-twilio-email-event-webhook-timestamp'

const Event = z.object({
  email: z.string().min(3).max(320),
  timestamp: z.number(),
  event: z.string(),
  sg_event_id: z.string().min(1).max(200),
  type: z.string().optional(),
  reason: z.string().optional(),
  status: z.string().optional(),
}).passthrough()

/** The verification key, from the text SendGrid shows (base64 of the DER public key) or a PEM. */
export function sendgridKey(text: string): KeyObject {
  const trimmed = text.trim()
  return trimmed.includes('-----BEGIN') ? createPublicKey(trimmed) : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' })
}

export interface SendgridVerified {
  events: MailEvent[]
  /**
   * What was signed (timestamp and body), single use: the caller refuses it a second time. Not the signature: an ECDSA
   * signature can be rewritten into another valid one of the same bytes.
   */
  signed: string
}

export function verifySendgrid(request: WebhookRequest, key: KeyObject, now: Date): SendgridVerified {
  const signature = header(request, SIGNATURE)
  const timestamp = header(request, TIMESTAMP)
  if (!signature || !timestamp) throw notSigned('SendGrid', 'has no signature headers')
  if (!/^\d{1,12}$/.test(timestamp)) throw notSigned('SendGrid', 'has a malformed timestamp header')
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.body])
  let valid = false
  try {
    valid = verify('sha256', signed, key, Buffer.from(signature, 'base64'))
  } catch {
    valid = false
  }
  if (!valid) throw notSigned('SendGrid', 'is not signed with this installation\'s key')
  if (!isFresh(new Date(Number(timestamp) * 1000), now, SIGNATURE_MAX_AGE_MS)) throw replayed('SendGrid', 'was signed more than 15 minutes ago')
  const parsed = z.array(Event).max(10_000).safeParse(jsonOf('SendGrid', request.body))
  if (!parsed.success) throw malformed('SendGrid', `does not have SendGrid's shape (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`)
  const events: MailEvent[] = []
  for (const e of parsed.data) {
    // "bounce" is a hard bounce unless SendGrid says the receiving server only blocked it for now; "dropped" and
    // "deferred" are SendGrid's own decisions and retries, not a word from the recipient's server
    const kind: MailEventKind | null = e.event === 'spamreport' ? 'complaint' : e.event === 'bounce' ? (e.type === 'blocked' ? 'soft_bounce' : 'hard_bounce') : null
    if (kind) events.push({ provider: 'sendgrid', eventId: e.sg_event_id, kind, email: e.email, occurredAt: new Date(e.timestamp * 1000), detail: [e.status, e.reason].filter(Boolean).join(' ').slice(0, 300) || e.event })
  }
  return { events, signed: signed.toString('utf8') }
}

import { createHash, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { header, jsonOf, malformed, notSigned, type MailEvent, type MailEventKind, type WebhookRequest } from '../mail-event.ts'

/**
 * Postmark's bounce and spam-complaint webhooks (https://postmarkapp.com/developer/webhooks). Postmark does not sign
 * its payloads: it sends the HTTP Basic credentials written into the webhook's URL, over HTTPS, and those are checked
 * here (POSTMARK_WEBHOOK_AUTH, `user:password`). A replay needs them; a retried or replayed event is recorded once
 * (by Postmark's event ID).
 */
const Payload = z.object({
  RecordType: z.string(),
  ID: z.union([z.number(), z.string()]),
  Type: z.string().optional(),
  TypeCode: z.number().optional(),
  Email: z.string().min(3).max(320),
  BouncedAt: z.string().optional(),
  Description: z.string().optional(),
  Details: z.string().optional(),
}).passthrough()

// Postmark's bounce types (https://postmarkapp.com/developer/api/bounce-api#bounce-types) that say the address is dead,
// and those that say "not now"; the rest (auto-responders, challenge-response, API errors, unknown…) are not the
// mailbox saying no.
const HARD = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated'])
const SOFT = new Set(['SoftBounce', 'Transient', 'DnsError', 'Blocked'])

const digest = (text: string) => createHash('sha256').update(text).digest()

export function verifyPostmark(request: WebhookRequest, credentials: string, now: Date): MailEvent[] {
  const authorization = header(request, 'authorization')
  if (!authorization?.startsWith('Basic ')) throw notSigned('Postmark', 'comes without the webhook\'s credentials')
  const given = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8')
  // compared as digests: equal lengths, whatever was sent
  if (!timingSafeEqual(digest(given), digest(credentials))) throw notSigned('Postmark', 'comes with credentials that are not this installation\'s')
  const parsed = Payload.safeParse(jsonOf('Postmark', request.body))
  if (!parsed.success) throw malformed('Postmark', `does not have Postmark's shape (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`)
  const p = parsed.data
  const kind: MailEventKind | null =
    p.RecordType === 'SpamComplaint' || p.Type === 'SpamComplaint' ? 'complaint'
      : p.RecordType !== 'Bounce' ? null
        : HARD.has(p.Type ?? '') ? 'hard_bounce'
          : SOFT.has(p.Type ?? '') ? 'soft_bounce'
            : null
  if (!kind) return []
  const occurredAt = p.BouncedAt && Number.isFinite(Date.parse(p.BouncedAt)) ? new Date(p.BouncedAt) : now
  return [{ provider: 'postmark', eventId: String(p.ID), kind, email: p.Email, occurredAt, detail: [p.Type, p.Description].filter(Boolean).join(': ').slice(0, 300) }]
}

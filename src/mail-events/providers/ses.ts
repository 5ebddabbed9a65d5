import { createVerify } from 'node:crypto'
import { z } from 'zod'
import { isFresh, jsonOf, malformed, notSigned, replayed, type MailEvent, type WebhookRequest } from '../mail-event.ts'

/**
 * Amazon SES bounce and complaint notifications, delivered by Amazon SNS (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
 * SNS signs each message with the key of the certificate at SigningCertURL (which must be an https URL on an SNS
 * host): SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2, over the message's fields in a fixed order.
 * Refused: a bad signature, a certificate from elsewhere, a topic not in SES_SNS_TOPIC_ARNS, a message published more
 * than MESSAGE_MAX_AGE_MS ago (SNS retries within minutes; within that hour a replayed message is recorded once, by
 * its ids). A SubscriptionConfirmation, once verified, is confirmed by visiting its SubscribeURL (an SNS host too).
 */
export const MESSAGE_MAX_AGE_MS = 60 * 60_000
// SNS's own hosts only, region-shaped (sns.us-east-1.amazonaws.com), never another service's (an S3 bucket named "sns"
// answers at sns.s3.amazonaws.com)
const SNS_HOST = /^sns\.[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d\.amazonaws\.com(\.cn)?$/
const CERTIFICATE_PATH = /^\/SimpleNotificationService-[0-9a-f]+\.pem$/

const Envelope = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().min(1).max(300),
  Message: z.string().max(200_000),
  Timestamp: z.string(),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1).max(2000),
  SigningCertURL: z.string().max(1000),
  Subject: z.string().optional(),
  SubscribeURL: z.string().max(2000).optional(),
  Token: z.string().max(2000).optional(),
}).passthrough()
type Envelope = z.infer<typeof Envelope>

const Recipient = z.object({ emailAddress: z.string().min(3).max(320) }).passthrough()
const Notification = z.object({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  bounce: z.object({
    bounceType: z.string(),
    bounceSubType: z.string().optional(),
    bouncedRecipients: z.array(Recipient.extend({ status: z.string().optional(), diagnosticCode: z.string().optional() })),
    timestamp: z.string(),
    feedbackId: z.string(),
  }).passthrough().optional(),
  complaint: z.object({
    complainedRecipients: z.array(Recipient),
    timestamp: z.string(),
    feedbackId: z.string(),
    complaintFeedbackType: z.string().optional(),
  }).passthrough().optional(),
}).passthrough()

/** The fields SNS signs, in its order, per message type. */
function stringToSign(m: Envelope): string {
  const keys = m.Type === 'Notification'
    ? ['Message', 'MessageId', ...(m.Subject !== undefined ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type']
  return keys.map((k) => `${k}\n${String((m as Record<string, unknown>)[k] ?? '')}\n`).join('')
}

/** Whether a URL is an https URL on an SNS host (where certificates and subscription confirmations live). */
export function isSnsUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'https:' && SNS_HOST.test(u.hostname) && u.port === ''
  } catch {
    return false
  }
}

export type SesVerified =
  | { type: 'events'; events: MailEvent[] }
  | { type: 'subscribe'; subscribeUrl: string; topicArn: string }
  | { type: 'ignored'; why: string }

export interface SesOptions {
  /** Topics whose messages are accepted. */
  topicArns: readonly string[]
  /** The PEM certificate at an SNS certificate URL (fetched over https and kept, in production). */
  certificate: (url: string) => Promise<string>
}

export async function verifySes(request: WebhookRequest, options: SesOptions, now: Date): Promise<SesVerified> {
  const parsed = Envelope.safeParse(jsonOf('SNS', request.body))
  if (!parsed.success) throw notSigned('SNS', `is not a signed SNS message (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`)
  const m = parsed.data
  if (!isSnsUrl(m.SigningCertURL) || !CERTIFICATE_PATH.test(new URL(m.SigningCertURL).pathname)) {
    throw notSigned('SNS', 'names a signing certificate that is not on an SNS host')
  }
  let certificate: string
  try {
    certificate = await options.certificate(m.SigningCertURL)
  } catch (error) {
    throw notSigned('SNS', `names a signing certificate that could not be read (${(error as Error).message})`)
  }
  let valid = false
  try {
    valid = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(stringToSign(m), 'utf8').verify(certificate, m.Signature, 'base64')
  } catch {
    valid = false
  }
  if (!valid) throw notSigned('SNS', 'does not carry a valid SNS signature')
  if (!options.topicArns.includes(m.TopicArn)) throw notSigned('SNS', `comes from topic ${m.TopicArn}, which is not in SES_SNS_TOPIC_ARNS`)
  if (!isFresh(new Date(m.Timestamp), now, MESSAGE_MAX_AGE_MS)) throw replayed('SNS', 'was published more than an hour ago')

  if (m.Type === 'SubscriptionConfirmation') {
    if (!m.SubscribeURL || !isSnsUrl(m.SubscribeURL)) throw malformed('SNS', 'asks to confirm a subscription at a URL that is not on an SNS host')
    return { type: 'subscribe', subscribeUrl: m.SubscribeURL, topicArn: m.TopicArn }
  }
  if (m.Type === 'UnsubscribeConfirmation') return { type: 'ignored', why: 'unsubscribe confirmation' }

  let notification: z.infer<typeof Notification>
  try {
    notification = Notification.parse(JSON.parse(m.Message))
  } catch {
    throw malformed('SNS', 'carries a message that is not an SES notification')
  }
  const type = notification.notificationType ?? notification.eventType
  if (type === 'Bounce' && notification.bounce) {
    const b = notification.bounce
    // Permanent: the address is dead. Transient (a full mailbox, a message too large) and Undetermined: maybe later.
    const kind = b.bounceType === 'Permanent' ? 'hard_bounce' : 'soft_bounce'
    return {
      type: 'events',
      events: b.bouncedRecipients.map((r) => ({
        provider: 'ses', eventId: `${b.feedbackId}:${r.emailAddress.toLowerCase()}`, kind, email: r.emailAddress, occurredAt: new Date(b.timestamp),
        detail: [b.bounceType, b.bounceSubType, r.status, r.diagnosticCode].filter(Boolean).join(' ').slice(0, 300),
      })),
    }
  }
  // "not-spam": the recipient's provider says the message was marked as not spam; no complaint
  if (type === 'Complaint' && notification.complaint && notification.complaint.complaintFeedbackType !== 'not-spam') {
    const c = notification.complaint
    return {
      type: 'events',
      events: c.complainedRecipients.map((r) => ({
        provider: 'ses', eventId: `${c.feedbackId}:${r.emailAddress.toLowerCase()}`, kind: 'complaint', email: r.emailAddress, occurredAt: new Date(c.timestamp),
        detail: c.complaintFeedbackType ?? 'complaint',
      })),
    }
  }
  return { type: 'ignored', why: `SES ${type ?? 'unknown'} notification` }
}

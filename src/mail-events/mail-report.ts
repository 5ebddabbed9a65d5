import PostalMime from 'postal-mime'
import type { MailEventKind } from './mail-event.ts'

/**
 * Pure. Reads a report that came back to the sender's mailbox: a delivery status notification (RFC 3464, what an MTA
 * sends when it gives up on a message or delays it) or an abuse feedback report (ARF, RFC 5965, what a mailbox
 * provider's feedback loop sends when a recipient marks a message as spam). Mail servers that are not one of the
 * webhook providers report bounces and complaints this way only.
 */

export interface ReportedRecipient {
  /** As the report names it (Final-Recipient, else Original-Recipient), without its address type. */
  recipient: string
  kind: MailEventKind
  /** Status code and diagnostic, or the feedback type: short, for operators. */
  detail: string
}

export interface MailReport {
  /** The Message-ID of the message the report is about, from the copy or headers it returns (null when it has none). */
  aboutMessageId: string | null
  /** When the report says the events happened (Arrival-Date), else its Date header; null when neither reads. */
  occurredAt: Date | null
  /** The recipients whose outcome counts: failed for good (hard), failed for now (soft), or complained. */
  recipients: ReportedRecipient[]
  /** What was left out and why ("delayed: the server still tries"), for the operator. */
  ignored: string[]
}

/** Not a delivery status notification or a feedback report: an ordinary message, an out-of-office reply. */
export class NotAReport extends Error {
  override name = 'NotAReport'
}

// The parts a report returns the original message in: whole, or its headers only (RFC 3462, RFC 6533 for SMTPUTF8)
const RETURNED = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers'])
const COMPLAINTS = new Set(['abuse', 'fraud'])

const decode = (content: ArrayBuffer | Uint8Array | string) => (typeof content === 'string' ? content : new TextDecoder().decode(content))

// Control characters (an escape sequence for the operator's terminal, a line break for a log) are never kept.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]+/g

/** A block of header-like fields (a DSN's per-message or per-recipient group), by lower-case name, unfolded. */
async function fields(block: string): Promise<Map<string, string>> {
  const parsed = await PostalMime.parse(`${block.trim()}\r\n\r\n`)
  return new Map(parsed.headers.map((h) => [h.key, h.value.replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim()]))
}

/**
 * Whether a failure is for now rather than for good. By its status class, except where the class says little: Exim
 * reports every failure as 5.0.0, a retry timeout (a server down for days) included; then the SMTP reply in the
 * diagnostic (4xx) or Exim's own words decide.
 */
function isTemporary(code: string, diagnostic: string | undefined): boolean {
  if (code.startsWith('4')) return true
  if (!/^5\.0\.0$/.test(code) || !diagnostic) return false
  return /^smtp;\s*4\d\d\b/i.test(diagnostic) || /retry time ?out exceeded/i.test(diagnostic)
}

/** "rfc822; someone@example.org" → "someone@example.org" (RFC 3464 address-type; value). */
const address = (value: string | undefined) => value?.replace(/^[^;]*;/, '').trim().replace(/^<(.*)>$/, '$1') || undefined

const dateOf = (value: string | undefined) => {
  const at = value ? new Date(value) : null
  return at && Number.isFinite(at.getTime()) ? at : null
}

export async function readMailReport(raw: Buffer | string): Promise<MailReport> {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw
  const message = await PostalMime.parse(bytes, { forceRfc822Attachments: true })
  const contentType = message.headers.find((h) => h.key === 'content-type')?.value ?? ''
  const reportType = /^\s*multipart\/report\b/i.test(contentType) ? /report-type\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase() : undefined
  const part = (type: string) => message.attachments.find((a) => a.mimeType.toLowerCase() === type)
  // RFC 6533's reports for internationalised mail say "global-delivery-status" throughout
  const status = reportType === 'delivery-status' || reportType === 'global-delivery-status' ? part('message/delivery-status') ?? part('message/global-delivery-status') : undefined
  const feedback = reportType === 'feedback-report' ? part('message/feedback-report') : undefined
  if (!status && !feedback) throw new NotAReport(reportType ? `a ${reportType} report without its report part` : 'not a delivery status notification or a feedback report')

  const returned = message.attachments.find((a) => RETURNED.has(a.mimeType.toLowerCase()))
  const original = returned ? await PostalMime.parse(`${decode(returned.content).replace(/^\s+/, '')}${returned.mimeType.endsWith('headers') ? '\r\n\r\n' : ''}`) : null
  const recipients: ReportedRecipient[] = []
  const ignored: string[] = []
  let occurredAt = dateOf(message.date)

  if (status) {
    const [perMessage = '', ...perRecipient] = decode(status.content).split(/\r?\n[ \t]*\r?\n/).filter((b) => b.trim() !== '')
    occurredAt = dateOf((await fields(perMessage)).get('arrival-date')) ?? occurredAt
    for (const block of perRecipient) {
      const f = await fields(block)
      const recipient = address(f.get('final-recipient')) ?? address(f.get('original-recipient'))
      // "failed (permanent)": a comment may follow the action
      const action = (f.get('action') ?? '').replace(/\(.*$/, '').trim().toLowerCase()
      const code = /^([245])\.\d{1,3}\.\d{1,3}/.exec(f.get('status') ?? '')?.[0]
      if (!recipient) {
        ignored.push('a recipient group without a recipient')
        continue
      }
      // "delayed": the server still tries; "delivered", "relayed", "expanded": it went on
      if (action !== 'failed' || !code || code.startsWith('2')) {
        ignored.push(`${recipient}: ${action || 'no action'}${code ? ` ${code}` : ''}`)
        continue
      }
      const diagnostic = f.get('diagnostic-code')
      recipients.push({
        recipient, kind: isTemporary(code, diagnostic) ? 'soft_bounce' : 'hard_bounce',
        detail: [code, diagnostic?.replace(/^[^;]*;\s*/, '')].filter(Boolean).join(' ').slice(0, 300),
      })
    }
  } else if (feedback) {
    const f = await fields(decode(feedback.content))
    const type = (f.get('feedback-type') ?? '').toLowerCase()
    occurredAt = dateOf(f.get('arrival-date') ?? f.get('received-date')) ?? occurredAt
    // the complaining recipient: as the report names it, else as the returned copy was addressed
    const recipient = address(f.get('original-rcpt-to')) ?? original?.to?.[0]?.address?.replace(CONTROLS, '')
    if (!COMPLAINTS.has(type)) ignored.push(`feedback of type ${type || 'none'}`)
    else if (!recipient) ignored.push('a complaint that names no recipient')
    else recipients.push({ recipient, kind: 'complaint', detail: `feedback: ${type}` })
  }
  return { aboutMessageId: original?.messageId?.trim() || null, occurredAt, recipients, ignored }
}

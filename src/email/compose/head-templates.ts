import { randomBytes } from 'node:crypto'
import { foldLines } from 'nodemailer/lib/mime-funcs'
import { keptOrMade } from '../../runtime/bounded-cache.ts'
import type { OutgoingEmail } from '../transport/outgoing.ts'
import { composeHeads, isAsciiBody, type MessageHeads } from './raw-message.ts'

/** The header values that differ between two recipients of otherwise alike emails. */
interface PerMessage {
  to: string
  messageId: string
  unsubscribeUrl: string
}
type Field = keyof PerMessage

/**
 * The values nodemailer writes as they are (no encoded word, no angle brackets added, no punycode, no stripped
 * characters), so their header line is `Key: value` folded by nodemailer's own rule. A message with any other value
 * (an address with a quote, a non-ASCII domain) gets its headers from nodemailer directly.
 */
const AS_IS: Record<Field, RegExp> = {
  to: /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/,
  messageId: /^<[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+>$/,
  unsubscribeUrl: /^https?:\/\/[\x21-\x3b=\x3f-\x7e]+$/,
}
const FIELDS = Object.keys(AS_IS) as Field[]

/** nodemailer's Date header value (MimeNode#buildHeaders). */
const dateValue = (date: Date) => date.toUTCString().replace(/GMT/, '+0000')

/** A header block cut into fixed text and the fields written per message. */
type Piece = string | { field: Field | 'date'; prefix: string; suffix: string }

interface HeadTemplate {
  pieces: Piece[]
  boundary: string
  partHeads: [string, string]
}

/**
 * nodemailer's headers without a MIME build per message (MailComposer and its header encoding were ~14 % of a
 * worker's CPU): emails alike but for the recipient, the Message-ID, the unsubscribe URL and the date share one
 * header template, made once by nodemailer with stand-in values and cut where they appear; each message gets its own
 * values put back and each such line folded by nodemailer's foldLines. A template is used only after a second set
 * of stand-ins (long enough that nodemailer folds their lines) gave exactly nodemailer's own header block; if not,
 * or for a value outside `AS_IS`, nodemailer builds that message's headers. The multipart boundary is the template's
 * (random, one per template): a boundary need only be absent from the parts, and base64 has neither `_` nor `-`.
 *
 * @param limit templates kept; the oldest goes first (a day's digests need one per distinct subject)
 */
export function createHeadTemplates(limit = 1000): (message: OutgoingEmail, date: Date) => MessageHeads {
  const templates = new Map<string, HeadTemplate | null>()
  return (message, date) => {
    const values = { to: message.to, messageId: message.messageId, unsubscribeUrl: message.unsubscribeUrl ?? '' }
    const fields = FIELDS.filter((f) => f !== 'unsubscribeUrl' || message.unsubscribeUrl !== undefined)
    if (!fields.every((f) => AS_IS[f].test(values[f]))) return composeHeads(message, date)
    const shape = {
      from: message.from,
      subject: message.subject,
      listId: message.listId,
      unsubscribe: message.unsubscribeUrl !== undefined,
      textAscii: isAsciiBody(message.text),
      htmlAscii: isAsciiBody(message.html),
    }
    const template = keptOrMade(templates, JSON.stringify(shape), limit, () => prepare(shape))
    return template ? fill(template, values, date) : composeHeads(message, date)
  }
}

type Shape = Pick<OutgoingEmail, 'from' | 'subject' | 'listId'> & { unsubscribe: boolean; textAscii: boolean; htmlAscii: boolean }

function prepare(shape: Shape): HeadTemplate | null {
  const email = (values: PerMessage): OutgoingEmail => ({
    from: shape.from,
    subject: shape.subject,
    listId: shape.listId,
    to: values.to,
    messageId: values.messageId,
    ...(shape.unsubscribe ? { unsubscribeUrl: values.unsubscribeUrl } : {}),
    text: shape.textAscii ? 'a' : 'é',
    html: shape.htmlAscii ? 'a' : 'é',
  })
  const standIns = standInValues('a')
  const sample = composeHeads(email(standIns), new Date(0))
  const pieces = cut(sample.head, standIns)
  if (!pieces) return null
  const template = { pieces, boundary: sample.boundary, partHeads: sample.partHeads }
  // the check: a second set of values, filled in, must be nodemailer's own header block
  const check = standInValues('b')
  const date = new Date()
  const expected = composeHeads(email(check), date)
  const actual = fill(template, check, date)
  const same = actual.head === expected.head.replaceAll(expected.boundary, sample.boundary) && actual.partHeads.every((h, i) => h === expected.partHeads[i])
  return same ? template : null
}

/** Values unlike any real header; set `b`'s are long enough that nodemailer folds their lines. */
function standInValues(set: 'a' | 'b'): PerMessage {
  const nonce = `${set}${randomBytes(6).toString('hex')}${set === 'b' ? `.${'x'.repeat(70)}` : ''}`
  return { to: `${nonce}+to@slot.invalid`, messageId: `<${nonce}@slot.invalid>`, unsubscribeUrl: `https://slot.invalid/${nonce}?a=1&b='2'` }
}

/** The header block cut where the per-message fields are; null if a stand-in appears other than as a whole value. */
function cut(head: string, standIns: PerMessage): Piece[] | null {
  const pieces: Piece[] = []
  // one entry per header field, its folded continuation lines included
  for (const [i, line] of head.split(/\r\n(?![ \t])/).entries()) {
    const eol = i === 0 ? '' : '\r\n'
    const prefix = line.slice(0, line.indexOf(': ') + 2)
    const field = FIELDS.find((f) => line.includes(standIns[f]))
    if (field) {
      const [open, close] = field === 'unsubscribeUrl' ? ['<', '>'] : ['', '']
      if (line !== `${prefix}${open}${standIns[field]}${close}`) return null
      pieces.push(eol, { field, prefix: prefix + open, suffix: close })
    } else if (prefix === 'Date: ') {
      pieces.push(eol, { field: 'date', prefix, suffix: '' })
    } else {
      pieces.push(eol + line)
    }
  }
  return pieces
}

function fill(template: HeadTemplate, values: PerMessage, date: Date): MessageHeads {
  let head = ''
  for (const p of template.pieces) {
    head += typeof p === 'string' ? p : foldLines(p.prefix + (p.field === 'date' ? dateValue(date) : values[p.field]) + p.suffix, 76)
  }
  return { head, boundary: template.boundary, partHeads: template.partHeads }
}

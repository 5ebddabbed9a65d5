import { isAscii } from 'node:buffer'
import MailComposer from 'nodemailer/lib/mail-composer'
import type { SendMailOptions } from 'nodemailer'
import type { OutgoingEmail } from '../transport/outgoing.ts'

/**
 * The nodemailer options of one outgoing email: the single source of its headers for both ways of sending it, so the
 * slow path (nodemailer builds the MIME message) and the fast one (buildRawMessage) cannot drift apart.
 */
export function mailOptions(message: OutgoingEmail, date: Date): SendMailOptions {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    html: message.html,
    text: message.text,
    messageId: message.messageId,
    date,
    list: {
      id: { url: message.listId.id, comment: message.listId.name },
      // A nested array yields one List-Unsubscribe header (RFC 8058 wants exactly one).
      ...(message.unsubscribeUrl ? { unsubscribe: [[message.unsubscribeUrl]] } : {}),
    },
    headers: message.unsubscribeUrl ? { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
  } as SendMailOptions
}

/** What we use of nodemailer's MimeNode (its published types leave these out). */
interface Node {
  buildHeaders(): string
  addHeader(key: string, value: unknown): Node
  setHeader(key: string, value: unknown): Node
  childNodes: Node[]
  content?: string | Buffer
  boundary?: string | false
}

// Mirrors nodemailer's own List-* formatting (mailer/mail-message.js _getListHeaders / _formatListUrl) for the two
// list headers we send; the equivalence test parses both outputs and compares them.
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g
function formatListUrl(url: string): string {
  const clean = url.replace(CONTROLS, '').replace(/[\s<]+|[\s>]+/g, '')
  if (/^(https?|mailto|ftp):/.test(clean)) return `<${clean}>`
  if (/^[^@]+@[^@]+$/.test(clean)) return `<mailto:${clean}>`
  return `<http://${clean}>`
}
const quoteString = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`

const NON_ASCII = /[\u0080-\uFFFF]/

/** Whether a body is all ASCII (nodemailer decides a text part's charset by it). */
export const isAsciiBody = (body: string | Buffer): boolean => (typeof body === 'string' ? !NON_ASCII.test(body) : isAscii(body))

/** The length of `content` in base64 lines of 76 characters separated by CRLF (RFC 2045). */
function base64LinesLength(content: Buffer): number {
  const chars = Math.ceil(content.length / 3) * 4
  return chars === 0 ? 0 : chars + (Math.ceil(chars / 76) - 1) * 2
}

/**
 * Writes `content` at `pos` in base64 lines of 76 characters separated by CRLF (RFC 2045); returns the position after
 * it. The base64 text is written in one piece and then spread out line by line from the end (copyWithin), which is
 * three times faster than slicing and joining the string and leaves no per-line strings behind for the collector.
 */
function writeBase64Lines(out: Buffer, pos: number, content: Buffer): number {
  const b64 = content.toString('base64')
  const chars = out.write(b64, pos, 'latin1')
  const lines = Math.ceil(chars / 76)
  for (let k = lines - 1; k > 0; k--) {
    const from = pos + k * 76
    const to = pos + k * 78
    out.copyWithin(to, from, Math.min(from + 76, pos + chars))
    out[to - 2] = 0x0d
    out[to - 1] = 0x0a
  }
  return pos + base64LinesLength(content)
}

/** An email's headers as nodemailer writes them, and the parts' own headers (text first, then html). */
export interface MessageHeads {
  /** The root's header block, without the blank line that ends it. */
  head: string
  boundary: string
  /** The text and html parts' header blocks (Content-Type, Content-Transfer-Encoding: base64). */
  partHeads: [string, string]
}

/**
 * The headers of the complete message, from nodemailer's MimeNode, so From, To, Subject (RFC 2047 encoded words), Date,
 * Message-ID and MIME-Version are byte-for-byte what the default path writes; only the parts' transfer encoding
 * differs (base64, whose lines are always < 998 bytes).
 */
export function composeHeads(message: OutgoingEmail, date: Date): MessageHeads {
  const options = mailOptions(message, date)
  const list = options.list as { id: { url: string; comment: string }; unsubscribe?: string[][] }
  delete (options as { list?: unknown }).list
  // MailComposer only needs to know whether a body is ASCII (it decides the text part's charset parameter); tiny
  // stand-ins with the same property keep it from scanning 60 KB twice. The real bodies are encoded by the caller.
  options.text = isAsciiBody(message.text) ? 'a' : 'é'
  options.html = isAsciiBody(message.html) ? 'a' : 'é'
  const root = new MailComposer(options).compile() as unknown as Node
  // nodemailer adds list headers as prepared (already formatted) values; so do we, in the same order
  const comment = list.id.comment.replace(/\r?\n|\r/g, ' ')
  // a non-ASCII list name would need an encoded word: leave that (never the case for a configured sender) to nodemailer
  if (/[^\x20-\x7e]/.test(comment)) throw new RangeError('list name must be printable ASCII')
  root.addHeader('List-ID', { prepared: true, foldLines: true, value: `${quoteString(comment)} ${formatListUrl(list.id.url).replace(/^<[^:]+:\/{0,2}/, '<')}` })
  if (list.unsubscribe) root.addHeader('List-Unsubscribe', { prepared: true, foldLines: true, value: formatListUrl(list.unsubscribe[0]![0]!) })

  const head = root.buildHeaders()
  const boundary = root.boundary
  if (!boundary || root.childNodes.length === 0) throw new Error('expected a multipart/alternative message')
  if (root.childNodes.length !== 2) throw new Error('expected a text and an html part')
  const [text, html] = root.childNodes.map((child) => {
    child.setHeader('Content-Transfer-Encoding', 'base64')
    return child.buildHeaders()
  }) as [string, string]
  return { head, boundary, partHeads: [text, html] }
}

/** The message from its headers and its two bodies (UTF-8), each base64 encoded, written into one buffer. */
export function assembleMessage({ head, boundary, partHeads }: MessageHeads, text: Buffer, html: Buffer): Buffer {
  const beforeText = `${head}\r\n\r\n--${boundary}\r\n${partHeads[0]}\r\n\r\n`
  const beforeHtml = `\r\n--${boundary}\r\n${partHeads[1]}\r\n\r\n`
  const end = `\r\n--${boundary}--\r\n`
  const out = Buffer.allocUnsafe(
    Buffer.byteLength(beforeText) + base64LinesLength(text) + Buffer.byteLength(beforeHtml) + base64LinesLength(html) + Buffer.byteLength(end),
  )
  let pos = out.write(beforeText, 0, 'utf8')
  pos = writeBase64Lines(out, pos, text)
  pos += out.write(beforeHtml, pos, 'utf8')
  pos = writeBase64Lines(out, pos, html)
  pos += out.write(end, pos, 'utf8')
  if (pos !== out.length) throw new Error(`message assembly wrote ${pos} of ${out.length} bytes`)
  return out
}

/**
 * The complete RFC 5322 message, built in one pass without nodemailer's streaming encoders (its quoted-printable
 * stream costs ~2 ms for a 60 KB digest, the dominant cost of a send): nodemailer's own headers and base64 bodies.
 *
 * @param heads where the headers come from: composeHeads, or the same headers from templates (createHeadTemplates)
 */
export function buildRawMessage(message: OutgoingEmail, date: Date, heads: typeof composeHeads = composeHeads): Buffer {
  const utf8 = (body: string | Buffer) => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
  return assembleMessage(heads(message, date), utf8(message.text), utf8(message.html))
}

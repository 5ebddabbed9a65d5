import nodemailer, { type TransportOptions } from 'nodemailer'
import { createHeadTemplates } from './head-templates.ts'
import { buildRawMessage, mailOptions } from './raw-message.ts'
import { useFastDataStream } from './smtp-data-stream.ts'
import type { DkimOptions, Mailer } from './outgoing.ts'
import { createSmtpPool } from './smtp-pool.ts'

/** How a failed send should be handled: `permanent` (SMTP 5xx) suppresses the address; `transient` is retried. */
export function classifySmtpError(error: unknown): 'permanent' | 'transient' {
  const code = (error as { responseCode?: unknown }).responseCode
  return typeof code === 'number' && code >= 500 && code < 600 ? 'permanent' : 'transient'
}

/**
 * Two pools of reused SMTP connections, created lazily: nodemailer's transport for `send` (it builds the MIME
 * message), and `createSmtpPool` for `sendFast`, which hands the prebuilt message straight to nodemailer's
 * SMTPConnection. With `dkim`, both sign every message.
 */
export function createSmtpMailer(smtpUrl: string, options: { maxConnections?: number; dkim?: DkimOptions } = {}): Mailer {
  useFastDataStream()
  const maxConnections = options.maxConnections ?? 5
  const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }
  const transport = nodemailer.createTransport({
    ...(options.dkim ? { dkim: options.dkim } : {}),
    url: smtpUrl,
    pool: true,
    maxConnections,
    maxMessages: Infinity,
    ...timeouts,
  } as TransportOptions)
  const pool = createSmtpPool(smtpUrl, { maxConnections, ...(options.dkim ? { dkim: options.dkim } : {}), ...timeouts })
  const heads = createHeadTemplates()
  return {
    async send(message) {
      const info = await transport.sendMail(mailOptions(message, new Date()))
      return { messageId: info.messageId, response: String(info.response ?? '') }
    },
    async sendFast(message) {
      const raw = buildRawMessage(message, new Date(), heads)
      const { response } = await pool.send({ from: envelopeAddress(message.from), to: [message.to] }, raw)
      return { messageId: message.messageId, response }
    },
    close: () => {
      transport.close()
      pool.close()
    },
  }
}

/** The bare address of `Name <addr@example.org>` (or of a bare address), for the SMTP envelope. */
function envelopeAddress(from: string): string {
  const match = /<([^<>]+)>\s*$/.exec(from)
  return (match ? match[1]! : from).trim()
}

import { createHeadTemplates } from '../compose/head-templates.ts'
import { buildRawMessage } from '../compose/raw-message.ts'
import type { DkimOptions, Mailer } from './outgoing.ts'
import { createSmtpPool } from './smtp-pool.ts'

/** How a failed send should be handled: `permanent` (SMTP 5xx) suppresses the address; `transient` is retried. */
export function classifySmtpError(error: unknown): 'permanent' | 'transient' {
  const code = (error as { responseCode?: unknown }).responseCode
  return typeof code === 'number' && code >= 500 && code < 600 ? 'permanent' : 'transient'
}

/**
 * The one way an email leaves: built by buildRawMessage (headers from templates of nodemailer's own, base64 bodies)
 * and handed to `createSmtpPool`, reused SMTP connections of nodemailer's SMTPConnection. With `dkim`, every message
 * is signed. (nodemailer's own transport, which builds quoted-printable bodies with streaming encoders, several times
 * slower per message, is no longer a second path: the tests keep it as the reference the built messages match.)
 */
export function createSmtpMailer(smtpUrl: string, options: { maxConnections?: number; dkim?: DkimOptions; returnPath?: string } = {}): Mailer {
  const pool = createSmtpPool(smtpUrl, {
    maxConnections: options.maxConnections ?? 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    ...(options.dkim ? { dkim: options.dkim } : {}),
  })
  const heads = createHeadTemplates()
  return {
    async send(message) {
      const raw = buildRawMessage(message, new Date(), heads)
      // the envelope's sender gets the mail servers' reports: the return path when one is set, else the From address
      const { response } = await pool.send({ from: options.returnPath ?? envelopeAddress(message.from), to: [message.to] }, raw)
      return { messageId: message.messageId, response }
    },
    close: () => pool.close(),
  }
}

/** The bare address of `Name <addr@example.org>` (or of a bare address), for the SMTP envelope. */
function envelopeAddress(from: string): string {
  const match = /<([^<>]+)>\s*$/.exec(from)
  return (match ? match[1]! : from).trim()
}

import nodemailer, { type SendMailOptions, type TransportOptions } from 'nodemailer'

export interface OutgoingEmail {
  from: string
  to: string
  subject: string
  html: string
  text: string
  /** `<id@domain>`, fixed per delivery so retries of one delivery carry the same Message-ID. */
  messageId: string
  /** List-ID (RFC 2919): a stable identifier such as `digest.example.org` and a human label. */
  listId: { id: string; name: string }
  /** Adds List-Unsubscribe and RFC 8058 List-Unsubscribe-Post (digests and other list mail). */
  unsubscribeUrl?: string
}

export interface SendResult {
  messageId: string
  response: string
}

export interface Mailer {
  send(message: OutgoingEmail): Promise<SendResult>
  close(): void
}

/** How a failed send should be handled: `permanent` (SMTP 5xx) suppresses the address; `transient` is retried. */
export function classifySmtpError(error: unknown): 'permanent' | 'transient' {
  const code = (error as { responseCode?: unknown }).responseCode
  return typeof code === 'number' && code >= 500 && code < 600 ? 'permanent' : 'transient'
}

/** A pooled nodemailer transport: connections are reused across sends instead of one TCP+SMTP handshake per email. */
export function createSmtpMailer(smtpUrl: string, options: { maxConnections?: number } = {}): Mailer {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: Infinity,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as TransportOptions)
  return {
    async send(message) {
      const info = await transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        html: message.html,
        text: message.text,
        messageId: message.messageId,
        date: new Date(),
        list: {
          id: { url: message.listId.id, comment: message.listId.name },
          // A nested array yields one List-Unsubscribe header (RFC 8058 wants exactly one).
          ...(message.unsubscribeUrl ? { unsubscribe: [[message.unsubscribeUrl]] } : {}),
        },
        headers: message.unsubscribeUrl ? { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
      } as SendMailOptions)
      return { messageId: info.messageId, response: String(info.response ?? '') }
    },
    close: () => transport.close(),
  }
}

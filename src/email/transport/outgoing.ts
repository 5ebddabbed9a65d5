/**
 * What leaves: an email as the send path hands it to a Mailer, the Mailer itself, and its DKIM settings. Types only,
 * in a module of their own, so that the mailer and the parts it is built from (message assembly, header templates,
 * the SMTP pool) all read them without importing each other.
 */
export interface OutgoingEmail {
  from: string
  to: string
  subject: string
  /** The bodies as strings, or already encoded as UTF-8 (Renderer#renderDigest). */
  html: string | Buffer
  text: string | Buffer
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
  /**
   * Every email — confirmations, notices, digests — leaves here: assembled in one pass by buildRawMessage
   * (nodemailer's own headers, base64 bodies) and sent over the pooled SMTP connections.
   */
  send(message: OutgoingEmail): Promise<SendResult>
  close(): void
}

export interface DkimOptions {
  domainName: string
  keySelector: string
  privateKey: string
}


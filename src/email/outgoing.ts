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
  /** nodemailer builds the MIME message (quoted-printable bodies): the reference path. */
  send(message: OutgoingEmail): Promise<SendResult>
  /**
   * The same email, same headers and content, assembled in one pass by buildRawMessage (base64 bodies): the fan-out
   * path, several times cheaper per message. Optional so test doubles may implement `send` only.
   */
  sendFast?(message: OutgoingEmail): Promise<SendResult>
  close(): void
}

export interface DkimOptions {
  domainName: string
  keySelector: string
  privateKey: string
}


import DKIM from 'nodemailer/lib/dkim'
import { parseConnectionUrl } from 'nodemailer/lib/shared'
import SMTPConnection from 'nodemailer/lib/smtp-connection'
import type { DkimOptions } from './outgoing.ts'

export interface PoolOptions {
  maxConnections: number
  dkim?: DkimOptions
  connectionTimeout?: number
  greetingTimeout?: number
  socketTimeout?: number
  /** A connection unused this long is replaced when next needed (below the 5 minutes RFC 5321 asks servers to wait). */
  idleTimeout?: number
}

/** An SMTP reply that refused this message only: the session stays usable after RSET. */
const refusedMessageOnly = (error: SMTPConnection.SMTPError) =>
  (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') && error.responseCode !== 421

interface Slot {
  connection: SMTPConnection | null
  lastUsed: number
}

/**
 * Sends messages that are already built, byte for byte, over at most `maxConnections` reused SMTP sessions.
 * Everything SMTP is nodemailer's SMTPConnection (greeting, EHLO, STARTTLS, AUTH, the transaction, DATA encoding,
 * errors with their reply codes); what this adds is only the pooling. nodemailer's own pooled transport wraps every
 * message in a Mail object, a MIME node and a stream pipeline before it reaches the same SMTPConnection — ~0.5 ms
 * per message, measured, that a prebuilt message does not need.
 *
 * A failed send rejects with SMTPConnection's error. A refusal of the message (5xx/4xx to MAIL, RCPT or DATA)
 * resets the session and keeps it; anything else (network, timeout, 421) drops the connection, and the next send
 * opens a new one. There is no requeueing here: the caller's retry decides.
 */
export function createSmtpPool(smtpUrl: string, options: PoolOptions) {
  // the URL's host, port, TLS and credentials, read the way nodemailer's transports read them
  const { auth, ...fromUrl } = parseConnectionUrl(smtpUrl) as SMTPConnection.Options & { auth?: SMTPConnection.Credentials }
  const connectionOptions: SMTPConnection.Options = {
    ...fromUrl,
    connectionTimeout: options.connectionTimeout,
    greetingTimeout: options.greetingTimeout,
    socketTimeout: options.socketTimeout,
  }
  const idleTimeout = options.idleTimeout ?? 4 * 60_000
  const dkim = options.dkim ? new DKIM(options.dkim) : null
  let slotCount = 0
  const free: Slot[] = []
  const waiting: { resolve: (slot: Slot) => void; reject: (error: Error) => void }[] = []
  let closed = false

  function acquire(): Promise<Slot> {
    if (closed) return Promise.reject(new Error('SMTP pool is closed'))
    const slot = free.pop()
    if (slot) return Promise.resolve(slot)
    if (slotCount < options.maxConnections) {
      slotCount++
      return Promise.resolve({ connection: null, lastUsed: 0 })
    }
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }))
  }

  function release(slot: Slot): void {
    slot.lastUsed = Date.now()
    if (closed) {
      // closed while this send was in flight: the session ends now that its transaction has
      slot.connection?.quit()
      slot.connection = null
      return
    }
    const next = waiting.shift()
    if (next) next.resolve(slot)
    else free.push(slot)
  }

  function drop(slot: Slot): void {
    slot.connection?.close()
    slot.connection = null
  }

  function open(slot: Slot): Promise<SMTPConnection> {
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection(connectionOptions)
      let settled = false
      const fail = (error: Error) => {
        if (settled) return
        settled = true
        connection.close()
        reject(error)
      }
      // After the handshake errors reach the send callback too; the listener keeps an idle connection's error
      // (the server hanging up) from becoming an uncaught exception.
      connection.on('error', fail)
      connection.once('end', () => {
        if (slot.connection === connection) slot.connection = null
        fail(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }))
      })
      connection.connect((error) => {
        if (error) return fail(error)
        const ready = () => {
          if (settled) return
          settled = true
          slot.connection = connection
          resolve(connection)
        }
        if (auth && connection.allowsAuth) connection.login(auth, (loginError) => (loginError ? fail(loginError) : ready()))
        else ready()
      })
    })
  }

  async function connectionOf(slot: Slot): Promise<SMTPConnection> {
    if (slot.connection && Date.now() - slot.lastUsed > idleTimeout) drop(slot)
    return slot.connection ?? open(slot)
  }

  return {
    /** Sends `raw` (a complete RFC 5322 message) to the envelope's recipients; resolves with the server's reply. */
    async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<{ response: string }> {
      const slot = await acquire()
      try {
        const connection = await connectionOf(slot)
        const message = dkim ? dkim.sign(raw) : raw
        try {
          const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
            connection.send(dkim ? envelope : { ...envelope, size: raw.length }, message, (error, sent) => (error ? reject(error) : resolve(sent))),
          )
          return { response: String(info.response ?? '') }
        } catch (error) {
          if (refusedMessageOnly(error as SMTPConnection.SMTPError) && slot.connection === connection) {
            await new Promise<void>((resolve) => connection.reset((resetError) => { if (resetError) drop(slot); resolve() }))
          } else {
            drop(slot)
          }
          throw error
        }
      } finally {
        release(slot)
      }
    },

    /** Ends idle sessions at once and busy ones when their message is through; later sends are refused. */
    close(): void {
      closed = true
      for (const w of waiting.splice(0)) w.reject(new Error('SMTP pool is closed'))
      for (const slot of free.splice(0)) {
        slot.connection?.quit()
        slot.connection = null
      }
    },
  }
}
export type SmtpPool = ReturnType<typeof createSmtpPool>

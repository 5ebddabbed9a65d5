import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { classifySmtpError } from '../../../src/email/transport/mailer.ts'
import { createSmtpPool, type SmtpPool } from '../../../src/email/transport/smtp-pool.ts'

/** A real SMTP server that counts connections and keeps each accepted message's envelope and bytes. */
async function startServer(options: Partial<SMTPServerOptions> = {}) {
  const received: { to: string[]; raw: string }[] = []
  let connections = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      connections++
      callback()
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('refused')) return callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }))
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('latin1') })
        callback()
      })
    },
    ...options,
  })
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  return {
    port,
    received,
    get connections() {
      return connections
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const message = (n: number) => Buffer.from(`From: a@paperboy.test\r\nTo: r${n}@example.com\r\nSubject: ${n}\r\n\r\n.line starting with a dot\r\nbody ${n}\r\n`)
const envelope = (to: string) => ({ from: 'a@paperboy.test', to: [to] })

let cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})
function track<T extends { close(): unknown }>(thing: T): T {
  cleanup.push(() => thing.close() as Promise<void> | void)
  return thing
}

describe('SMTP pool for prebuilt messages', () => {
  it('sends every message, byte for byte, over no more than maxConnections sessions', async () => {
    const server = track(await startServer())
    const pool: SmtpPool = track(createSmtpPool(`smtp://127.0.0.1:${server.port}`, { maxConnections: 3 }))
    const replies = await Promise.all(Array.from({ length: 40 }, (_, n) => pool.send(envelope(`r${n}@example.com`), message(n))))
    expect(replies.every((r) => r.response.startsWith('250'))).toBe(true)
    expect(server.received).toHaveLength(40)
    expect(server.connections).toBeLessThanOrEqual(3)
    const seven = server.received.find((m) => m.to[0] === 'r7@example.com')!
    // the server undoes the dot-stuffing: what arrives is the message as built
    expect(seven.raw).toBe(message(7).toString('latin1'))
  })

  it('keeps the session after the server refuses one recipient, and reports the reply code', async () => {
    const server = track(await startServer())
    const pool = track(createSmtpPool(`smtp://127.0.0.1:${server.port}`, { maxConnections: 1 }))
    await pool.send(envelope('first@example.com'), message(1))
    const refused = await pool.send(envelope('refused@example.com'), message(2)).catch((e: unknown) => e)
    expect((refused as { responseCode?: number }).responseCode).toBe(550)
    expect(classifySmtpError(refused)).toBe('permanent')
    await pool.send(envelope('after@example.com'), message(3))
    expect(server.received.map((m) => m.to[0])).toEqual(['first@example.com', 'after@example.com'])
    expect(server.connections).toBe(1)
  })

  it('opens a new session when the server has closed an idle one', async () => {
    const server = track(await startServer({ socketTimeout: 200 }))
    const pool = track(createSmtpPool(`smtp://127.0.0.1:${server.port}`, { maxConnections: 1 }))
    await pool.send(envelope('before@example.com'), message(1))
    await new Promise((r) => setTimeout(r, 600)) // the server times the idle session out
    await pool.send(envelope('after@example.com'), message(2))
    expect(server.received.map((m) => m.to[0])).toEqual(['before@example.com', 'after@example.com'])
    expect(server.connections).toBe(2)
  })

  it('replaces a session it has left unused for longer than idleTimeout, before the server would drop it', async () => {
    const server = track(await startServer())
    const pool = track(createSmtpPool(`smtp://127.0.0.1:${server.port}`, { maxConnections: 1, idleTimeout: 100 }))
    await pool.send(envelope('first@example.com'), message(1))
    await pool.send(envelope('soon@example.com'), message(2)) // still fresh: same session
    expect(server.connections).toBe(1)
    await new Promise((r) => setTimeout(r, 300))
    await pool.send(envelope('later@example.com'), message(3))
    expect(server.connections).toBe(2)
    expect(server.received.map((m) => m.to[0])).toEqual(['first@example.com', 'soon@example.com', 'later@example.com'])
  })

  it('logs in with the credentials of the URL, and fails clearly with wrong ones', async () => {
    const server = track(await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'paperboy' && auth.password === 's3cret') return callback(null, { user: 'paperboy' })
        callback(new Error('Invalid username or password'))
      },
    }))
    const good = track(createSmtpPool(`smtp://paperboy:s3cret@127.0.0.1:${server.port}`, { maxConnections: 1 }))
    await good.send(envelope('authed@example.com'), message(1))
    expect(server.received).toHaveLength(1)

    const bad = track(createSmtpPool(`smtp://paperboy:wrong@127.0.0.1:${server.port}`, { maxConnections: 1 }))
    const error = await bad.send(envelope('nope@example.com'), message(2)).catch((e: unknown) => e)
    expect((error as { code?: string }).code).toBe('EAUTH')
    expect(server.received).toHaveLength(1)
  })

  it('rejects with a transient error when no server listens, and then works once one does', async () => {
    const server = await startServer()
    const port = server.port
    await server.close()
    const pool = track(createSmtpPool(`smtp://127.0.0.1:${port}`, { maxConnections: 2, connectionTimeout: 2_000 }))
    const error = await pool.send(envelope('down@example.com'), message(1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(classifySmtpError(error)).toBe('transient')
    // nothing is left waiting or leaking: a second send fails the same way
    expect(classifySmtpError(await pool.send(envelope('down@example.com'), message(2)).catch((e: unknown) => e))).toBe('transient')
  })

  it('lets a send in flight finish when closed, then ends its session', async () => {
    let ended = 0
    const server = track(await startServer({ onClose: () => { ended++ } }))
    const pool = createSmtpPool(`smtp://127.0.0.1:${server.port}`, { maxConnections: 1 })
    const sending = pool.send(envelope('inflight@example.com'), message(1))
    pool.close() // before its session is even open
    await expect(sending).resolves.toMatchObject({ response: expect.stringMatching(/^250/) })
    await expect.poll(() => ended, { timeout: 2_000 }).toBe(1) // and no session is left open
    expect(server.received.map((m) => m.to[0])).toEqual(['inflight@example.com'])
  })

  it('refuses sends after close', async () => {
    const server = track(await startServer())
    const pool = createSmtpPool(`smtp://127.0.0.1:${server.port}`, { maxConnections: 1 })
    await pool.send(envelope('one@example.com'), message(1))
    pool.close()
    await expect(pool.send(envelope('two@example.com'), message(2))).rejects.toThrow(/closed/)
  })
})

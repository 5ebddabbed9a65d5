import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface CapturedMessage {
  /** The envelope's sender (MAIL FROM): where reports of the message go back to. */
  envelopeFrom: string
  envelopeTo: string[]
  raw: string
  parsed: ParsedMail
}

/**
 * What the next DATA commands answer, in order: e.g. ['451', '550'], then accept again. 'drop' destroys the TCP
 * connection in the middle of the DATA (after the first chunk of the message arrived), without any answer.
 */
type Scripted = '451' | '421' | '550' | 'drop'

/**
 * A real SMTP server in the test process: it speaks SMTP to nodemailer over TCP and keeps what it accepted.
 * Tests can script failures for the next messages.
 */
export async function startSmtpSink() {
  const messages: CapturedMessage[] = []
  const script: Scripted[] = []
  const waiters: (() => void)[] = []
  /** Delay before answering each DATA (a slow server): keeps sends in flight long enough to crash in the middle. */
  let acceptDelayMs = 0
  let dropped = 0
  /** Every DATA the server saw, accepted or not, with the Message-ID it carried (when its headers arrived). */
  const attempts: { at: number; to: string[]; outcome: 'accepted' | Scripted; messageId: string | null }[] = []
  const messageIdOf = (raw: string) => /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1] ?? null

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      if (script[0] === 'drop') {
        script.shift()
        // smtp-server keeps its connections in a set; the session id is the connection id.
        const connection = [...(server as unknown as { connections: Set<{ id: string; _socket: import('node:net').Socket }> }).connections].find((c) => c.id === session.id)
        stream.once('data', (chunk: Buffer) => {
          dropped++
          attempts.push({ at: Date.now(), to: session.envelope.rcptTo.map((r) => r.address), outcome: 'drop', messageId: messageIdOf(chunk.toString('utf8')) })
          connection?._socket.destroy()
        })
        stream.on('data', () => {})
        return
      }
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', async () => {
        if (acceptDelayMs > 0) await new Promise((r) => setTimeout(r, acceptDelayMs))
        // A scripted drop is for a DATA that has not started yet.
        const next = script[0] === 'drop' ? undefined : script.shift()
        attempts.push({ at: Date.now(), to: session.envelope.rcptTo.map((r) => r.address), outcome: next ?? 'accepted', messageId: messageIdOf(Buffer.concat(chunks).toString('utf8')) })
        if (next) {
          const error = new Error(next === '550' ? 'Mailbox unavailable' : 'Try again later') as Error & { responseCode: number }
          error.responseCode = Number(next)
          return callback(error)
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        const from = session.envelope.mailFrom
        messages.push({ envelopeFrom: from ? from.address : '', envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, parsed: await simpleParser(raw) })
        callback()
        for (const w of waiters.splice(0)) w()
      })
    },
  })
  // A client that dies mid-session (a killed worker) resets its connection: that is the client's problem, not ours.
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    attempts,
    failNext: (...responses: Scripted[]) => script.push(...responses),
    /** Answers each DATA only after `ms` (0 = at once). */
    setAcceptDelay: (ms: number) => {
      acceptDelayMs = ms
    },
    /** Connections destroyed mid-DATA by a scripted 'drop'. */
    get dropped() {
      return dropped
    },
    to: (address: string) => messages.filter((m) => m.envelopeTo.includes(address)),
    /** Resolves when `count` messages to the address have arrived, or rejects after timeoutMs. */
    async waitFor(address: string, count = 1, timeoutMs = 10_000): Promise<CapturedMessage[]> {
      const deadline = Date.now() + timeoutMs
      while (messages.filter((m) => m.envelopeTo.includes(address)).length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} message(s) to ${address}`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 100)
        })
      }
      return messages.filter((m) => m.envelopeTo.includes(address))
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>

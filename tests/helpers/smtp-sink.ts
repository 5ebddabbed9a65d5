import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface CapturedMessage {
  envelopeTo: string[]
  raw: string
  parsed: ParsedMail
}

/** What the next DATA commands answer, in order: e.g. ['451', '550'], then accept again. */
type Scripted = '451' | '421' | '550'

/**
 * A real SMTP server in the test process: it speaks SMTP to nodemailer over TCP and keeps what it accepted.
 * Tests can script failures for the next messages.
 */
export async function startSmtpSink() {
  const messages: CapturedMessage[] = []
  const script: Scripted[] = []
  const waiters: (() => void)[] = []

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', async () => {
        const next = script.shift()
        if (next) {
          const error = new Error(next === '550' ? 'Mailbox unavailable' : 'Try again later') as Error & { responseCode: number }
          error.responseCode = Number(next)
          return callback(error)
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        messages.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, parsed: await simpleParser(raw) })
        callback()
        for (const w of waiters.splice(0)) w()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    failNext: (...responses: Scripted[]) => script.push(...responses),
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

import { SMTPServer } from 'smtp-server'

/**
 * A real SMTP server that counts what it accepts, cheaply: per recipient address, per run label, with the receive
 * time of each Message-ID (for latency) and the full raw text only for a chosen sample of addresses.
 */
export async function startCountingSink() {
  let counts = new Map<string, number>()
  let received = new Map<string, number>()
  let sample = new Set<string>()
  let samples = new Map<string, string[]>()
  let total = 0
  let bytes = 0
  let first = 0
  let last = 0
  // a relay that throttles: "421 slow down" to one message in `refuseEvery` (0: none), counted, never accepted
  let refuseEvery = 0
  let arrivals = 0
  let refused = 0

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 20 * 1024 * 1024,
    maxClients: 1000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      let size = 0
      stream.on('data', (c: Buffer) => {
        chunks.push(c)
        size += c.length
      })
      stream.on('end', () => {
        if (refuseEvery > 0 && ++arrivals % refuseEvery === 0) {
          refused++
          const error = new Error('4.7.0 Too many messages, slow down') as Error & { responseCode: number }
          error.responseCode = 421
          return callback(error)
        }
        const at = Date.now()
        if (!first) first = at
        last = at
        total++
        bytes += size
        const head = chunks[0]!.subarray(0, 4096).toString('latin1')
        const id = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(head)?.[1]
        if (id) received.set(id, at)
        for (const r of session.envelope.rcptTo) {
          counts.set(r.address, (counts.get(r.address) ?? 0) + 1)
          if (sample.has(r.address)) {
            const list = samples.get(r.address) ?? samples.set(r.address, []).get(r.address)!
            list.push(Buffer.concat(chunks).toString('utf8'))
          }
        }
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Starts a fresh tally (one per measured run); `keep` lists addresses whose raw messages are kept. */
    reset(keep: Iterable<string> = []) {
      counts = new Map()
      received = new Map()
      sample = new Set(keep)
      samples = new Map()
      total = 0
      bytes = 0
      first = 0
      last = 0
    },
    snapshot: () => ({ counts, received, samples, total, bytes, first, last, refused }),
    /** From now on, answers 421 to one message in `every` (0: accepts all again). */
    refuse(every: number) {
      refuseEvery = every
      arrivals = 0
      refused = 0
    },
    get total() {
      return total
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
export type CountingSink = Awaited<ReturnType<typeof startCountingSink>>

// The raw ceiling: one already-built message sent over and over to the sink, by nodemailer's pooled SMTP transport
// (`nodemailer`, the ceiling the targets are measured against) or by the workers' own SMTP path (`paperboy`: the
// SMTPConnection pool of src/email/transport/smtp-pool.ts), for comparison.
// Child process: argv = smtpUrl, rawFile, count, maxConnections, inFlight, mode. Prints one JSON line when done.
import { readFileSync } from 'node:fs'
import nodemailer, { type TransportOptions } from 'nodemailer'
import { createSmtpPool } from '../../src/email/transport/smtp-pool.ts'

const [smtpUrl, rawFile, countArg, connArg, inFlightArg, mode = 'nodemailer'] = process.argv.slice(2)
const raw = readFileSync(rawFile!)
const count = Number(countArg)
const maxConnections = Number(connArg)
type Envelope = { from: string; to: string[] }

/** The workers' path: prebuilt bytes through the SMTPConnection pool. */
function workersPath() {
  const pool = createSmtpPool(smtpUrl!, { maxConnections })
  return { sendMail: ({ envelope }: { envelope: Envelope; raw: Buffer }) => pool.send(envelope, raw), close: () => pool.close() }
}
const transport = mode === 'paperboy'
  ? workersPath()
  : nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections, maxMessages: Infinity } as TransportOptions)
let next = 0
let failed = 0
const started = performance.now()
const cpuAtStart = process.cpuUsage()
const lane = async () => {
  while (next < count) {
    const i = next++
    try {
      await transport.sendMail({ envelope: { from: 'digest@bench.test', to: [`ceiling-${i % 1000}@ceiling.bench`] }, raw })
    } catch {
      failed++
    }
  }
}
await Promise.all(Array.from({ length: Number(inFlightArg) }, lane))
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuAtStart)
transport.close()
console.log(JSON.stringify({ sent: count - failed, failed, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }))
process.exit(0)

// The raw ceiling: nodemailer's pooled SMTP transport sending one already-built message, over and over, to the sink.
// Child process: argv = smtpUrl, rawFile, count, maxConnections, inFlight. Prints one JSON line when done.
import { readFileSync } from 'node:fs'
import nodemailer, { type TransportOptions } from 'nodemailer'

const [smtpUrl, rawFile, countArg, connArg, inFlightArg] = process.argv.slice(2)
const raw = readFileSync(rawFile!)
const count = Number(countArg)
const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: Number(connArg), maxMessages: Infinity } as TransportOptions)
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

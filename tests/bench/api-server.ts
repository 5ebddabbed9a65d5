// The real API (real routes, database, Redis) for the subscribe benchmark, with request logging off, as a child
// process so the load generator does not share its event loop. Prints {"port": n} once listening.
import pino from 'pino'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createDeps } from '../../src/deps.ts'

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' })
const logger = pino({ level: 'silent' })
const deps = await createDeps(config, { databaseUrl: config.DATABASE_URL!, smtpUrl: config.SMTP_URL!, appSecret: config.APP_SECRET! }, logger)
const app = await buildApp(deps, { logger: false })
await app.listen({ port: 0, host: '127.0.0.1' })
console.log(JSON.stringify({ port: (app.server.address() as { port: number }).port }))
const stop = async () => {
  await app.close().catch(() => {})
  await deps.close().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

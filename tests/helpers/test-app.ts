import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createDeps, type Deps, type Runtime } from '../../src/deps.ts'
import { startWorkers, type RunningWorkers } from '../../workers/workers.ts'
import { TEST_APP_SECRET, TEST_DATABASE_URL, TEST_REDIS_URL } from './env.ts'
import { freePort } from './processes.ts'
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts'

export const PUBLIC_URL = 'http://paperboy.test'

/**
 * The real app on the real Postgres and Redis, sending over real SMTP to a sink in this process. Each call gets its
 * own BullMQ prefix, so tests never see each other's jobs.
 *
 * `listen: true` also serves it over HTTP on 127.0.0.1 (for a real browser): PUBLIC_URL is then that address, so
 * every link in emails and pages leads back to this app; `url` holds it.
 */
export async function buildTestApp(options: { workers?: boolean; env?: Record<string, string>; listen?: boolean; logs?: Record<string, unknown>[]; runtime?: Pick<Runtime, 'snsGet'> } = {}) {
  const smtp = await startSmtpSink()
  const port = options.listen ? await freePort() : undefined
  const url = port ? `http://127.0.0.1:${port}` : PUBLIC_URL
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: TEST_DATABASE_URL,
    SMTP_URL: smtp.url,
    PUBLIC_URL: url,
    APP_SECRET: TEST_APP_SECRET,
    MAIL_FROM: 'Paperboy Test <digest@paperboy.test>',
    // No test may reach the real arXiv API; the lookup has tests of its own against recorded answers.
    ARXIV_LOOKUP: 'false',
    ...options.env,
  })
  // `logs` collects what the service logs at warn and above, as objects (a test reads its events from there).
  const logs = options.logs
  const logger = logs
    ? pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const deps: Deps = await createDeps(
    config,
    { databaseUrl: TEST_DATABASE_URL, smtpUrl: smtp.url, appSecret: TEST_APP_SECRET, queuePrefix: `test-${randomUUID()}`, retryDelayMs: 200, ...options.runtime },
    logger,
  )
  const app = await buildApp(deps)
  if (port) await app.listen({ port, host: '127.0.0.1' })
  let workers: RunningWorkers | undefined
  if (options.workers !== false) workers = await startWorkers(deps, { schedule: false })
  return {
    app,
    deps,
    smtp,
    url,
    prisma: deps.prisma,
    async close() {
      await app.close()
      await workers?.close()
      for (const queue of [deps.queues.send, deps.queues.plan, deps.queues.ingest, deps.queues.enrich]) await queue.obliterate({ force: true }).catch(() => {})
      await deps.close()
      await smtp.close()
    },
  }
}
export type TestApp = Awaited<ReturnType<typeof buildTestApp>>

let counter = 0
/** A unique address per call, so every test owns its records. */
export const anEmail = (label = 'reader') => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomUUID().slice(0, 6)}@example.org`

/** The first link in a text part that starts with PUBLIC_URL + path. */
export function linkIn(text: string, path: string): string {
  const match = new RegExp(`${PUBLIC_URL.replace(/[.]/g, '\\.')}${path}[^\\s]+`).exec(text)
  if (!match) throw new Error(`no ${path} link in:\n${text}`)
  return match[0]
}
export const pathOf = (url: string) => url.slice(PUBLIC_URL.length)

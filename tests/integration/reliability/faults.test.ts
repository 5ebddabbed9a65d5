import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../src/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { createDeps, type Deps } from '../../../src/deps.ts'
import { emailHash } from '../../../src/subscribers/email-address.ts'
import { TEST_APP_SECRET, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/env.ts'
import { recordFigures } from '../../helpers/figures.ts'
import { freePort, killAll, startRedis, type RedisChild } from '../../helpers/processes.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/** SMTP answering 4xx, dropping the connection mid-DATA or refusing with 5xx; Postgres or Redis gone during subscribe. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const figures: Record<string, unknown> = {}

let t: TestApp
const logs: Record<string, unknown>[] = []
beforeAll(async () => {
  t = await buildTestApp({ logs })
})
afterAll(async () => {
  await t.close()
  await killAll()
  recordFigures('faults', figures)
})

const subscribe = (app: TestApp['app'], email: string, remoteAddress = '192.0.2.10') =>
  app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email }, remoteAddress })

async function deliveryOf(email: string) {
  return t.prisma.delivery.findFirstOrThrow({ where: { subscriber: { email } }, orderBy: { createdAt: 'desc' } })
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('SMTP faults', () => {
  it('retries 4xx answers and connections dropped mid-DATA with growing delays until delivered, with one Message-ID', async () => {
    const email = anEmail('flaky')
    const attemptsBefore = t.smtp.attempts.length
    t.smtp.failNext('drop', '451', 'drop', '421')
    expect((await subscribe(t.app, email)).statusCode).toBe(202)
    const [message] = await t.smtp.waitFor(email, 1, 20_000)
    const delivery = await until('sent', async () => {
      const d = await deliveryOf(email)
      return d.status === 'sent' && d
    })
    expect(t.smtp.dropped).toBeGreaterThanOrEqual(2)
    expect(delivery).toMatchObject({ status: 'sent', attempts: 5 })
    expect(t.smtp.to(email)).toHaveLength(1)
    expect(`<${message!.parsed.messageId!.replace(/^<|>$/g, '')}>`).toBe(delivery.messageId)

    // Every attempt the server saw carried the row's Message-ID, and the waits between attempts grew (backoff).
    const attempts = t.smtp.attempts.slice(attemptsBefore).filter((a) => a.to.includes(email))
    expect(attempts.map((a) => a.outcome)).toEqual(['drop', '451', 'drop', '421', 'accepted'])
    for (const a of attempts) if (a.messageId) expect(a.messageId).toBe(delivery.messageId)
    expect(attempts.filter((a) => a.messageId).length).toBeGreaterThanOrEqual(3)
    // Each failure scheduled the next attempt with exponential backoff from 200 ms (the test app's first delay), as the
    // worker logged it; the wall-clock gaps (polling, the machine's load) are printed, not asserted.
    const scheduled = logs.filter((l) => l.event === 'job.failed' && l.jobId === `send-${delivery.id}`).map((l) => l.retryInMs)
    expect(scheduled).toEqual([200, 400, 800, 1600])
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at)
    figures.smtpRetries = { scripted: ['drop', '451', 'drop', '421'], attempts: attempts.length, scheduledMs: scheduled, gapsMs: gaps }
  }, 40_000)

  it('marks a 5xx as bounced, suppresses the address, does not retry, and later subscribes send nothing', async () => {
    const email = anEmail('bounce')
    t.smtp.failNext('550')
    expect((await subscribe(t.app, email)).statusCode).toBe(202)
    const delivery = await until('bounced', async () => {
      const d = await deliveryOf(email)
      return d.status === 'bounced' && d
    })
    expect(delivery.attempts).toBe(1)
    const subscriber = await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })
    expect(subscriber.status).toBe('bounced')
    expect(await t.prisma.suppression.count({ where: { emailHash: emailHash(email) } })).toBe(1)
    await sleep(1_000)
    expect(t.smtp.to(email)).toHaveLength(0)
    expect((await t.prisma.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).attempts).toBe(1)

    // The same 202, no new email, even after the row is erased (the suppression keys on a hash of the address).
    await t.prisma.subscriber.delete({ where: { email } })
    const again = await subscribe(t.app, email.toUpperCase(), '192.0.2.11')
    expect(again.statusCode).toBe(202)
    expect(await t.prisma.delivery.count({ where: { subscriber: { email } } })).toBe(0)
  }, 30_000)
})

describe('Postgres ending an idle connection (a restart, a failover, an administrator)', () => {
  it('logs it, keeps the process up, and the next query gets a new connection; once closing, only at debug level', async () => {
    const lines: { event?: string; msg?: string; level?: number; code?: string }[] = []
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, DATABASE_URL: TEST_DATABASE_URL, SMTP_URL: t.smtp.url, APP_SECRET: TEST_APP_SECRET })
    const deps = await createDeps(config, { databaseUrl: TEST_DATABASE_URL, smtpUrl: t.smtp.url, appSecret: TEST_APP_SECRET, queuePrefix: `rel-idle-${randomUUID().slice(0, 8)}` }, logger)
    const lost = () => lines.filter((l) => l.event === 'db.idle_connection_lost')
    try {
      // Only the plain-SQL path has run (as in a worker before its first Prisma query): one idle pooled connection.
      const { rows: [own] } = await deps.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      await t.deps.pool.query('SELECT pg_terminate_backend($1)', [own!.pid])
      const logged = await until('the lost connection to be logged', async () => lost()[0])
      expect(logged).toMatchObject({ level: 40, code: '57P01', msg: expect.stringMatching(/PostgreSQL ended an idle pooled connection/) })
      // by code and message: the error's pg client is not dumped into the log
      expect(JSON.stringify(logged)).not.toMatch(/"client"/)
      const { rows: [next] } = await deps.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      expect(next!.pid).not.toBe(own!.pid)

      // npm start's PostgreSQL gets the same Ctrl-C as the process: once closing, its goodbyes are no warnings
      deps.beginClose()
      await t.deps.pool.query('SELECT pg_terminate_backend($1)', [next!.pid])
      const quiet = await until('the second lost connection to be logged', async () => lost()[1])
      expect(quiet).toMatchObject({ level: 20, code: '57P01', msg: expect.stringMatching(/while closing/) })
    } finally {
      await deps.queues.send.obliterate({ force: true }).catch(() => {})
      await deps.close()
    }
  })
})

describe('Postgres unavailable', () => {
  let deps: Deps
  let app: Awaited<ReturnType<typeof buildApp>>
  beforeAll(async () => {
    // An app whose database is a server that is not there (never the shared Postgres): what a DB outage looks like.
    const nowhere = `postgresql://postgres@127.0.0.1:${await freePort()}/paperboy_nowhere`
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, DATABASE_URL: nowhere, SMTP_URL: t.smtp.url, APP_SECRET: TEST_APP_SECRET })
    deps = await createDeps(config, { databaseUrl: nowhere, smtpUrl: t.smtp.url, appSecret: TEST_APP_SECRET, queuePrefix: `rel-nopg-${randomUUID().slice(0, 8)}` }, pino({ level: 'silent' }))
    app = await buildApp(deps)
  })
  afterAll(async () => {
    await app.close()
    await deps.queues.send.obliterate({ force: true }).catch(() => {})
    await deps.close().catch(() => {})
  })

  it('answers subscribe with a 503 that says so, as JSON and as a page, and queues nothing', async () => {
    const response = await subscribe(app as never, anEmail('nopg'))
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' })
    expect(response.json().message).toMatch(/database is unavailable.*nothing was changed/i)
    expect(response.body).not.toMatch(/ECONNREFUSED|prisma|at .*\.ts:\d+/i)
    const page = await app.inject({ method: 'POST', url: '/subscribe', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload: `email=${encodeURIComponent(anEmail('nopg-form'))}`, remoteAddress: '192.0.2.20' })
    expect(page.statusCode).toBe(503)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.body).toContain('The database is unavailable right now')
    expect(await deps.queues.send.count()).toBe(0)
  })

  it('reports it on /readyz (503, postgres: false) while /healthz stays up', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ status: 'unavailable', postgres: false, redis: true })
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })
})

describe("on a Redis of its own: the rate limit's pipelining, and Redis going away", () => {
  let redis: RedisChild
  let deps: Deps
  let app: Awaited<ReturnType<typeof buildApp>>
  beforeAll(async () => {
    redis = await startRedis()
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: redis.url, DATABASE_URL: TEST_DATABASE_URL, SMTP_URL: t.smtp.url, APP_SECRET: TEST_APP_SECRET })
    deps = await createDeps(config, { databaseUrl: TEST_DATABASE_URL, smtpUrl: t.smtp.url, appSecret: TEST_APP_SECRET, queuePrefix: `rel-noredis-${randomUUID().slice(0, 8)}` }, pino({ level: 'silent' }))
    app = await buildApp(deps)
  })
  afterAll(async () => {
    await app.close()
    await deps.close().catch(() => {})
    await redis.stop()
  })

  it('gets the rate limit scripts of requests served together to Redis in one write, not one write each', async () => {
    const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await deps.redis.info('stats'))![1])
    const before = await reads()
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => subscribe(app as never, anEmail('pipelined'), `192.0.2.${100 + i}`)))
    expect(responses.map((r) => r.statusCode)).toEqual(Array(40).fill(202))
    // Every request went through the limiter (it counted each client once)...
    expect(new Set(responses.map((r) => r.headers['x-ratelimit-remaining']))).toEqual(new Set(['19']))
    // ...but Redis read far fewer than 40 commands' worth of writes: these, the INFO calls and the queued confirmations.
    expect((await reads()) - before).toBeLessThan(20)
  })

  it('answers 503 while Redis is down, writes no row, reports it on /readyz, and recovers when Redis is back', async () => {
    const before = anEmail('redis-up')
    expect((await subscribe(app as never, before, '192.0.2.30')).statusCode).toBe(202)
    await redis.stop()

    const email = anEmail('redis-down')
    const counts = async () => ({ subscribers: await t.prisma.subscriber.count(), deliveries: await t.prisma.delivery.count() })
    const rowsBefore = await counts()
    const response = await subscribe(app as never, email, '192.0.2.31')
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    expect(response.json().message).toMatch(/mail queue is unavailable.*nothing was changed/i)
    expect(await t.prisma.subscriber.findUnique({ where: { email } })).toBeNull()
    expect(await counts()).toEqual(rowsBefore)
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ status: 'unavailable', postgres: true, redis: false })

    await redis.restart()
    await until('readyz 200', async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, 15_000)
    // The rate limit's own connection comes back too: the limiter counts requests again. (A skipped limiter, as while
    // Redis was down, reports all 20 remaining.)
    const recovered = await until('a subscribe counted by the rate limit', async () => {
      const response = await subscribe(app as never, email, '192.0.2.32')
      return Number(response.headers['x-ratelimit-remaining']) < 20 && response
    })
    expect(recovered.statusCode).toBe(202)
    expect(await t.prisma.subscriber.findUnique({ where: { email } })).not.toBeNull()
    expect(await deps.queues.send.count()).toBe(1)
  }, 40_000)
})

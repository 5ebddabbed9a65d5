import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../src/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { createDeps, type Deps } from '../../../src/deps.ts'
import { emailHash } from '../../../src/subscribers/email-address.ts'
import { NOTICES_PER_MONTH } from '../../../src/subscribers/subscriber.repository.ts'
import { TEST_APP_SECRET, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/env.ts'
import { recordFigures } from '../../helpers/figures.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/** Subscription bombing, enumeration and concurrency on the subscribe routes. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const figures: Record<string, unknown> = {}
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => {
  await t.close()
  recordFigures('abuse', figures)
})

let ipCounter = 0
/** A fresh client address per call (TEST-NET-3 and 10/8), so rate-limit counters never leak between tests. */
const anIp = () => `10.${Math.floor(++ipCounter / 65536) % 256}.${Math.floor(ipCounter / 256) % 256}.${ipCounter % 256}`

const api = (email: string, remoteAddress: string, app = t.app) =>
  app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email }, remoteAddress })
const form = (email: string, remoteAddress: string, app = t.app) =>
  app.inject({ method: 'POST', url: '/subscribe', headers: FORM, payload: `email=${encodeURIComponent(email)}`, remoteAddress })

describe('per-address throttle', () => {
  it('sends at most one confirmation a day to an address, however often it is submitted', async () => {
    const email = anEmail('bomb-day')
    for (let i = 0; i < 6; i++) expect((await api(i % 2 ? email.toUpperCase() : email, anIp())).statusCode).toBe(202)
    await t.smtp.waitFor(email, 1)
    await sleep(800)
    expect(t.smtp.to(email)).toHaveLength(1)
    expect(await t.prisma.delivery.count({ where: { subscriber: { email } } })).toBe(1)
  })

  it(`caps notices at ${NOTICES_PER_MONTH} in 30 days, each a day apart`, async () => {
    expect(NOTICES_PER_MONTH).toBe(4)
    const notices = async (email: string, daysAgo: number[]) => {
      const subscriber = await t.prisma.subscriber.create({ data: { email } })
      for (const d of daysAgo) {
        const id = randomUUID()
        await t.prisma.delivery.create({ data: { id, kind: 'confirmation', status: 'sent', subscriberId: subscriber.id, messageId: `<${id}@paperboy.test>`, createdAt: new Date(Date.now() - d * 24 * 3600_000) } })
      }
      return subscriber
    }
    // Four in the last 30 days: the fifth is refused, silently (same 202).
    const capped = await notices(anEmail('bomb-month'), [2, 9, 16, 23])
    expect((await api(capped.email, anIp())).statusCode).toBe(202)
    expect(await t.prisma.delivery.count({ where: { subscriberId: capped.id } })).toBe(4)
    // Three in 30 days and the fourth 31 days ago: one more is allowed.
    const allowed = await notices(anEmail('bomb-month-ok'), [2, 9, 16, 31])
    expect((await api(allowed.email, anIp())).statusCode).toBe(202)
    expect(await t.prisma.delivery.count({ where: { subscriberId: allowed.id } })).toBe(5)
  })
})

describe('rate limit per client IP', () => {
  it('allows 20 subscribe requests a minute from one IP across both routes, then answers 429 with Retry-After', async () => {
    const ip = anIp()
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((i % 2 ? await form(anEmail('rl'), ip) : await api(anEmail('rl'), ip)).statusCode)
    expect(statuses).toEqual(Array(20).fill(202))

    const json = await api(anEmail('rl-over'), ip)
    expect(json.statusCode).toBe(429)
    expect(Number(json.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(json.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(json.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests' })
    expect(json.json().message).toMatch(/Too many subscribe requests.*at most 20 a minute.*try again in/i)
    const page = await form(anEmail('rl-over'), ip)
    expect(page.statusCode).toBe(429)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.headers['retry-after']).toBeTruthy()
    expect(page.body).toContain('Too many subscribe requests')
    // Nothing was written for the refused requests.
    expect(await t.prisma.subscriber.count({ where: { email: { startsWith: 'rl-over-' } } })).toBe(0)

    // Another client is not affected; other routes are not limited.
    expect((await api(anEmail('rl-other'), anIp())).statusCode).toBe(202)
    for (let i = 0; i < 25; i++) expect((await t.app.inject({ method: 'GET', url: '/api/topics', remoteAddress: ip })).statusCode).toBe(200)
    figures.rateLimit = { perMinute: 20, allowed: statuses.length, refusedWith429: 2 }
  })

  it('holds across API processes sharing Redis (one counter per installation)', async () => {
    // A second API on the same Redis and the same QUEUE_PREFIX, i.e. another process of this installation.
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, DATABASE_URL: TEST_DATABASE_URL, SMTP_URL: t.smtp.url, APP_SECRET: TEST_APP_SECRET })
    const deps2: Deps = await createDeps(config, { databaseUrl: TEST_DATABASE_URL, smtpUrl: t.smtp.url, appSecret: TEST_APP_SECRET, queuePrefix: t.deps.queuePrefix }, pino({ level: 'silent' }))
    const app2 = await buildApp(deps2)
    try {
      const ip = anIp()
      for (let i = 0; i < 10; i++) expect((await api(anEmail('rl-a'), ip)).statusCode).toBe(202)
      for (let i = 0; i < 10; i++) expect((await api(anEmail('rl-b'), ip, app2)).statusCode).toBe(202)
      expect((await api(anEmail('rl-b'), ip, app2)).statusCode).toBe(429)
      expect((await api(anEmail('rl-a'), ip)).statusCode).toBe(429)
    } finally {
      await app2.close()
      await deps2.close()
    }
  })

  it('is configurable: SUBSCRIBE_RATE_LIMIT=3 refuses the fourth request', async () => {
    const limited = await buildTestApp({ workers: false, env: { SUBSCRIBE_RATE_LIMIT: '3' } })
    try {
      const ip = anIp()
      const codes = []
      for (let i = 0; i < 4; i++) codes.push((await api(anEmail('rl3'), ip, limited.app)).statusCode)
      expect(codes).toEqual([202, 202, 202, 429])
    } finally {
      await limited.close()
    }
  })
})

describe('200 concurrent subscribes of one address', () => {
  it('make one row, one email, and no 5xx (from 200 clients)', async () => {
    const email = anEmail('race')
    const variants = [email, email.toUpperCase(), ` ${email} `, email.replace('@', '@').replace(/example\.org$/, 'EXAMPLE.org')]
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => api(variants[i % variants.length]!, anIp())))
    const codes = responses.map((r) => r.statusCode)
    expect(codes.filter((c) => c >= 500), JSON.stringify(responses.find((r) => r.statusCode >= 500)?.json())).toEqual([])
    expect(new Set(codes)).toEqual(new Set([202]))
    expect(new Set(responses.map((r) => r.body)).size).toBe(1)
    expect(await t.prisma.subscriber.count({ where: { email } })).toBe(1)
    expect(await t.prisma.delivery.count({ where: { subscriber: { email } } })).toBe(1)
    await t.smtp.waitFor(email, 1)
    await sleep(1_000)
    expect(t.smtp.to(email)).toHaveLength(1)
    figures.concurrentSubscribes = { requests: 200, rows: 1, emails: 1, fiveHundreds: 0 }
  }, 30_000)

  it('from one client: 20 accepted, the rest 429, never a 5xx, still one row and one email', async () => {
    const email = anEmail('race-one-ip')
    const ip = anIp()
    const responses = await Promise.all(Array.from({ length: 200 }, () => api(email, ip)))
    const codes = responses.map((r) => r.statusCode)
    expect(codes.filter((c) => c >= 500)).toEqual([])
    expect(codes.filter((c) => c === 202)).toHaveLength(20)
    expect(codes.filter((c) => c === 429)).toHaveLength(180)
    expect(await t.prisma.subscriber.count({ where: { email } })).toBe(1)
    await t.smtp.waitFor(email, 1)
    await sleep(500)
    expect(t.smtp.to(email)).toHaveLength(1)
  }, 30_000)
})

describe('concurrent subscribes of different addresses', () => {
  it('decide each address on its own, in arrival order, when one statement writes them together', async () => {
    const fresh = anEmail('mix-new')
    const active = await t.prisma.subscriber.create({ data: { email: anEmail('mix-active'), status: 'active', confirmedAt: new Date(), topics: ['agents'] } })
    const suppressed = anEmail('mix-suppressed')
    await t.prisma.suppression.create({ data: { emailHash: emailHash(suppressed), reason: 'bounce' } })
    const throttled = anEmail('mix-throttled')
    expect((await api(throttled, anIp())).statusCode).toBe(202) // its one notice for today
    const sent = () => t.prisma.delivery.findMany({ where: { subscriber: { email: { in: [fresh, active.email, suppressed, throttled] } } }, select: { kind: true, subscriber: { select: { email: true } } } })
    expect(await sent()).toHaveLength(1)

    const withTopics = (email: string, topics: string[]) =>
      t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email, topics }, remoteAddress: anIp() })
    const responses = await Promise.all([
      withTopics(fresh, ['robotics']),
      withTopics(active.email, ['robotics']),
      withTopics(suppressed, ['robotics']),
      withTopics(throttled, ['robotics']),
      withTopics(fresh, ['code']),
      withTopics(throttled, ['efficiency']),
    ])
    expect(responses.map((r) => r.statusCode)).toEqual(Array(6).fill(202))
    expect(new Set(responses.map((r) => r.body)).size).toBe(1)

    const kinds = Object.fromEntries((await sent()).map((d) => [d.subscriber.email, d.kind]))
    // new: one confirmation (the second request is throttled by the first); active: "already subscribed", choices
    // untouched; suppressed: nothing, not even a row; throttled: nothing more, but its choices follow the last request
    expect(kinds).toEqual({ [fresh]: 'confirmation', [active.email]: 'already_subscribed', [throttled]: 'confirmation' })
    expect((await sent()).filter((d) => d.subscriber.email === fresh)).toHaveLength(1)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email: fresh } })).topics).toEqual(['code'])
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email: active.email } })).topics).toEqual(['agents'])
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email: throttled } })).topics).toEqual(['efficiency'])
    expect(await t.prisma.subscriber.findUnique({ where: { email: suppressed } })).toBeNull()
  })

  it('share send jobs (fewer jobs than requests) and each address gets its one confirmation', async () => {
    const emails = Array.from({ length: 60 }, () => anEmail('together'))
    const responses = await Promise.all(emails.map((email) => api(email, anIp())))
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([202]))
    const ids = new Set((await t.prisma.delivery.findMany({ where: { subscriber: { email: { in: emails } } }, select: { id: true } })).map((d) => d.id))
    expect(ids.size).toBe(60)
    const jobs = await t.deps.queues.send.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])
    const holding = jobs.filter((job) => job?.data.deliveryIds.some((id) => ids.has(id)))
    // every delivery is in exactly one job
    expect(holding.flatMap((job) => job.data.deliveryIds.filter((id) => ids.has(id))).sort()).toEqual([...ids].sort())
    expect(holding.length).toBeLessThan(60)
    for (const email of emails) await t.smtp.waitFor(email, 1)
    await sleep(300)
    for (const email of emails) expect(t.smtp.to(email)).toHaveLength(1)
    figures.concurrentDistinctSubscribes = { requests: 60, sendJobs: holding.length }
  }, 30_000)
})

describe('no enumeration', () => {
  it('answers identically for new, pending, active, unsubscribed, bounced and suppressed addresses', async () => {
    const states: Record<string, string> = { new: anEmail('enum-new') }
    for (const status of ['pending', 'active', 'unsubscribed', 'bounced'] as const) {
      const email = anEmail(`enum-${status}`)
      await t.prisma.subscriber.create({ data: { email, status, ...(status === 'active' ? { confirmedAt: new Date() } : {}) } })
      states[status] = email
    }
    const suppressed = anEmail('enum-suppressed')
    await t.prisma.suppression.create({ data: { emailHash: emailHash(suppressed), reason: 'bounce' } })
    states.suppressed = suppressed
    // Throttled: an address that got its confirmation a minute ago.
    const throttled = anEmail('enum-throttled')
    expect((await api(throttled, anIp())).statusCode).toBe(202)
    states.throttled = throttled

    const shape = (r: Awaited<ReturnType<typeof api>>) => ({
      status: r.statusCode,
      body: r.body,
      type: r.headers['content-type'],
      length: r.headers['content-length'],
      cookie: r.headers['set-cookie'] ?? null,
    })
    const jsonAnswers = new Map<string, unknown>()
    const formAnswers = new Map<string, unknown>()
    for (const [state, email] of Object.entries(states)) {
      jsonAnswers.set(state, shape(await api(email, anIp())))
      formAnswers.set(state, shape(await form(email, anIp())))
    }
    const distinct = (m: Map<string, unknown>) => new Set([...m.values()].map((v) => JSON.stringify(v)))
    expect(distinct(jsonAnswers).size, JSON.stringify([...jsonAnswers])).toBe(1)
    expect(distinct(formAnswers).size, JSON.stringify([...formAnswers])).toBe(1)
    expect((jsonAnswers.get('new') as { status: number }).status).toBe(202)
    expect((formAnswers.get('new') as { status: number }).status).toBe(202)
    figures.enumeration = { states: Object.keys(states), routes: 2, distinctAnswers: 1 }
  })
})

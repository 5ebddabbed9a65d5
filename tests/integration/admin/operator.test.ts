import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JUNE_12, pauseEveryoneElse, uniqueDay } from '../../helpers/papers.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
const day = uniqueDay()

// A stand-in for the Hugging Face API: the real June 12 listing, served as the requested day.
let source: Server
let sourceUrl = ''
let t: TestApp
beforeAll(async () => {
  const items = JSON.parse(readFileSync(JUNE_12, 'utf8')) as { paper: { id: string; submittedOnDailyAt: string } }[]
  source = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    const date = url.searchParams.get('date')!
    const page = Number(url.searchParams.get('p') ?? 0)
    const body = page > 0 ? [] : items.map((i) => ({ ...i, paper: { ...i.paper, id: `${i.paper.id}-op${date}`, submittedOnDailyAt: `${date}T00:00:00.000Z` } }))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve))
  sourceUrl = `http://127.0.0.1:${(source.address() as { port: number }).port}`
  t = await buildTestApp({ env: { ADMIN_TOKEN, HF_API_URL: sourceUrl } })
})
afterAll(async () => {
  await t.close()
  await new Promise((resolve) => source.close(resolve))
})

describe('the admin API', () => {
  it('refuses a missing or wrong token with a 401 and a challenge', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: `Basic ${Buffer.from('x:nope').toString('base64')}` }]) {
      const r = await t.app.inject({ method: 'GET', url: '/api/admin/stats', headers })
      expect(r.statusCode).toBe(401)
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(r.json().code).toBe('UNAUTHORIZED')
    }
  })

  it('ingests a day from the source, sends its edition once, and reports progress and stats', async () => {
    const ingest = await t.app.inject({ method: 'POST', url: '/api/admin/ingest', headers: auth, payload: { date: day } })
    expect(ingest.statusCode).toBe(200)
    expect(ingest.json()).toMatchObject({ days: [day], fetched: 30, inserted: 30 })

    await pauseEveryoneElse(t.prisma)
    const reader = await t.prisma.subscriber.create({ data: { email: anEmail('op'), status: 'active', papersPerEmail: 2 } })
    const send = await t.app.inject({ method: 'POST', url: '/api/admin/send', headers: auth, payload: { date: day } })
    expect(send.statusCode).toBe(202)
    expect(send.json().planned).toBeGreaterThanOrEqual(1)
    await t.smtp.waitFor(reader.email)
    const again = await t.app.inject({ method: 'POST', url: '/api/admin/send', headers: auth, payload: { date: day } })
    expect(again.json().planned).toBe(0)

    const deadline = Date.now() + 10_000
    let progress: Record<string, number> = {}
    while (Date.now() < deadline) {
      progress = (await t.app.inject({ method: 'GET', url: `/api/admin/editions/${day}`, headers: auth })).json().deliveries
      if (!progress.pending && !progress.sending) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(progress.sent).toBeGreaterThanOrEqual(1)

    const stats = (await t.app.inject({ method: 'GET', url: '/api/admin/stats', headers: auth })).json()
    expect(stats.subscribers.active).toBeGreaterThanOrEqual(1)
    expect(stats.deliveries.digest.sent).toBeGreaterThanOrEqual(1)
    expect(stats.papers.total).toBeGreaterThanOrEqual(30)
    // the day's papers wait for their arXiv lookup (no worker looks them up in this test)
    expect(stats.papers.arxiv.pending).toBeGreaterThanOrEqual(30)
    const page = await t.app.inject({ method: 'GET', url: '/admin', headers: { ...auth, accept: 'text/html' } })
    expect(page.body).toMatch(/arXiv lookup: [^.]*pending \d+/)
  })

  it('rejects a bad date with a 400 naming it', async () => {
    for (const date of ['2026-02-30', 'today', '']) {
      const r = await t.app.inject({ method: 'POST', url: '/api/admin/send', headers: auth, payload: { date } })
      expect(r.statusCode).toBe(400)
      expect(r.json().message).toMatch(/date must be a calendar date/)
    }
  })

  it('searches subscribers, exports one and erases it', async () => {
    const email = anEmail('admin-search')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', topics: ['agents'] } })
    const found = await t.app.inject({ method: 'GET', url: `/api/admin/subscribers?q=${encodeURIComponent(email.slice(0, 30))}&status=active`, headers: auth })
    expect(found.statusCode).toBe(200)
    expect(found.json().subscribers.map((s: { email: string }) => s.email)).toContain(email)

    const exported = await t.app.inject({ method: 'GET', url: `/api/admin/subscribers/${subscriber.id}/export`, headers: auth })
    expect(exported.json().subscriber).toMatchObject({ email, topics: ['agents'] })

    const erased = await t.app.inject({ method: 'DELETE', url: `/api/admin/subscribers/${subscriber.id}`, headers: auth })
    expect(erased.json()).toEqual({ status: 'erased' })
    expect(await t.prisma.subscriber.findUnique({ where: { id: subscriber.id } })).toBeNull()
    expect((await t.app.inject({ method: 'DELETE', url: `/api/admin/subscribers/${subscriber.id}`, headers: auth })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'DELETE', url: '/api/admin/subscribers/not-a-uuid', headers: auth })).statusCode).toBe(400)
  })
})

describe('operator tools', () => {
  it('serves Prometheus metrics behind the token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401)
    const r = await t.app.inject({ method: 'GET', url: '/metrics', headers: auth })
    expect(r.statusCode).toBe(200)
    expect(r.headers['content-type']).toContain('text/plain')
    for (const name of ['paperboy_papers_ingested', 'paperboy_subscribers{status="active"}', 'paperboy_deliveries{kind="digest",status="sent"}', 'paperboy_queue_jobs{queue="email-send",state="waiting"}', 'paperboy_smtp_errors{class="permanent",',
      'paperboy_mail_rate{kind="bounce",window="yesterday"}', 'paperboy_mail_rate{kind="complaint",window="7d"}']) {
      expect(r.body).toContain(name)
    }
  })

  it('counts SMTP errors by class and reply code', async () => {
    const smtpErrors = async () => {
      const body = (await t.app.inject({ method: 'GET', url: '/metrics', headers: auth })).body
      return Object.fromEntries([...body.matchAll(/^paperboy_smtp_errors\{class="(\w+)",code="(\w+)"\} (\d+)$/gm)].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]))
    }
    const before = await smtpErrors()
    const subscriber = await t.prisma.subscriber.create({ data: { email: anEmail('smtp-codes') } })
    const failedWith = async (status: 'failed' | 'bounced', lastError: string) => {
      const id = randomUUID()
      await t.prisma.delivery.create({ data: { id, kind: 'confirmation', status, lastError, subscriberId: subscriber.id, messageId: `<${id}@paperboy.test>` } })
    }
    await failedWith('bounced', "Can't send mail - all recipients were rejected: 550 5.1.1 <nobody@example.org>: Recipient address rejected")
    await failedWith('failed', 'Message failed: 451 4.3.0 Try again later')
    await failedWith('failed', 'Message failed: 421 4.7.0 Too many connections from 10.0.0.550')
    await failedWith('failed', 'Connection closed unexpectedly')
    const after = await smtpErrors()
    const grew = (key: string) => (after[key] ?? 0) - (before[key] ?? 0)
    expect([grew('permanent 550'), grew('transient 451'), grew('transient 421'), grew('transient none')]).toEqual([1, 1, 1, 1])
  })

  it('serves the queue dashboard to a browser that logs in with the token', async () => {
    const challenge = await t.app.inject({ method: 'GET', url: '/admin/queues', headers: { accept: 'text/html' } })
    expect(challenge.statusCode).toBe(401)
    expect(challenge.headers['www-authenticate']).toMatch(/^Basic/)
    const page = await t.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` } })
    expect(page.statusCode).toBe(200)
    expect(page.body).toMatch(/<html/i)
    const api = await t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: auth })
    expect(api.statusCode).toBe(200)
    expect(api.json().queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['email-send', 'digest-plan', 'paper-ingest']))
  })

  it('documents the JSON API in OpenAPI from the same schemas, without the pages', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/docs/json' })
    expect(r.statusCode).toBe(200)
    const spec = r.json()
    expect(spec.openapi).toMatch(/^3\./)
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/subscriptions', '/api/preferences/{token}', '/api/topics', '/api/admin/send']))
    expect(spec.paths['/api/subscriptions'].post.requestBody.content['application/json'].schema.required).toEqual(['email'])
    expect(Object.keys(spec.paths)).not.toContain('/subscribe')
    expect((await t.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400)
  })
})

describe('the admin page', () => {
  const basic = { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}`, accept: 'text/html' }
  const form = { 'content-type': 'application/x-www-form-urlencoded' }

  it('asks a browser to log in, then shows counts and the day\'s controls', async () => {
    const challenge = await t.app.inject({ method: 'GET', url: '/admin', headers: { accept: 'text/html' } })
    expect(challenge.statusCode).toBe(401)
    expect(challenge.headers['www-authenticate']).toMatch(/^Basic/)
    const page = await t.app.inject({ method: 'GET', url: '/admin', headers: basic })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Paperboy operations')
    expect(page.body).toContain('action="/admin/send"')
    expect(page.body).toMatch(/<td>active<\/td><td>\d+<\/td>/)
    // fourteen days of bounce and complaint rates against the 0.3 % line, today first
    expect(page.body).toContain('Bounces and complaints, last 14 days')
    expect([...page.body.matchAll(/<tr><td>(\d{4}-\d{2}-\d{2})<\/td><td>\d+<\/td><td>\d+<\/td><td>\d+\.\d{2} %/g)].map((m) => m[1])).toHaveLength(14)
  })

  it('runs a send from its form, and refuses the same form posted from another site', async () => {
    const date = uniqueDay()
    const crossSite = await t.app.inject({ method: 'POST', url: '/admin/send', headers: { ...basic, ...form, origin: 'https://evil.example' }, payload: `date=${date}` })
    expect(crossSite.statusCode).toBe(403)
    const fetchMeta = await t.app.inject({ method: 'POST', url: '/admin/send', headers: { ...basic, ...form, 'sec-fetch-site': 'cross-site' }, payload: `date=${date}` })
    expect(fetchMeta.statusCode).toBe(403)
    expect(await t.prisma.edition.findUnique({ where: { date: new Date(`${date}T00:00:00Z`) } })).toBeNull()

    const sameSite = await t.app.inject({ method: 'POST', url: '/admin/send', headers: { ...basic, ...form, 'sec-fetch-site': 'same-origin' }, payload: `date=${date}` })
    expect(sameSite.statusCode).toBe(200)
    expect(sameSite.body).toMatch(/Queued \d+ new digests for /)
    expect(await t.prisma.edition.findUnique({ where: { date: new Date(`${date}T00:00:00Z`) } })).not.toBeNull()

    const bad = await t.app.inject({ method: 'POST', url: '/admin/send', headers: { ...basic, ...form, origin: 'http://paperboy.test' }, payload: 'date=yesterday' })
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('date must be a calendar date')
  })
})

describe('without ADMIN_TOKEN', () => {
  it('keeps the admin API, metrics and queue dashboard switched off', async () => {
    const plain = await buildTestApp({ workers: false })
    try {
      for (const url of ['/api/admin/stats', '/metrics', '/admin/queues', '/admin']) {
        const r = await plain.app.inject({ method: 'GET', url, headers: auth })
        expect(r.statusCode, url).toBe(404)
      }
    } finally {
      await plain.close()
    }
  })
})

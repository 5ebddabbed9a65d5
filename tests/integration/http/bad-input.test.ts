import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signLink } from '../../../src/links/tokens.ts'
import { TEST_APP_SECRET } from '../../helpers/env.ts'
import { anEmail, buildTestApp, pathOf, type TestApp } from '../../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  // No workers: these requests must not produce emails anyway, and queued jobs are checked directly.
  t = await buildTestApp({ workers: false })
})
afterAll(async () => {
  await t.close()
})

const countRows = async () => ({
  subscribers: await t.prisma.subscriber.count(),
  deliveries: await t.prisma.delivery.count(),
  jobs: await t.deps.queues.send.count(),
})

describe('bad input on POST /api/subscriptions', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a missing email', { topics: [] }, /email/],
    ['an address without @', { email: 'not-an-address' }, /email must look like name@example\.org/],
    ['an address with a space', { email: 'a b@example.org' }, /spaces/],
    ['an address with a bad domain', { email: 'a@-bad-.org' }, /domain/],
    ['a domain without a dot', { email: 'a@localhost' }, /domain/],
    ['an oversized input', { email: `${'a'.repeat(400)}@example.org` }, /too long/],
    ['an address over 254 characters', { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.org` }, /at most 254/],
    ['a name part over 64 characters', { email: `${'a'.repeat(65)}@example.org` }, /64/],
    ['an unknown topic', { email: 'x@example.org', topics: ['agents', 'astrology'] }, /unknown topic\(s\): astrology/],
    ['topics that are not a list', { email: 'x@example.org', topics: 'agents' }, /topics/],
    ['an empty keyword', { email: 'x@example.org', keywords: ['  '] }, /must not be empty/],
    ['a keyword of stop words only', { email: 'x@example.org', keywords: ['the and of'] }, /no searchable words/],
    ['too many keywords', { email: 'x@example.org', keywords: Array.from({ length: 21 }, (_, i) => `kw${i}`) }, /at most 20/],
    ['an unknown time zone', { email: 'x@example.org', timezone: 'Mars/Olympus' }, /IANA time zone/],
    ['an unexpected field', { email: 'x@example.org', topic: ['agents'] }, /topic/],
  ]
  for (const [name, payload, message] of cases) {
    it(`rejects ${name} with a 400 that says what is wrong and writes nothing`, async () => {
      const before = await countRows()
      const response = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: payload as object })
      expect(response.statusCode).toBe(400)
      const body = response.json()
      expect(body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', error: 'Bad Request' })
      expect(body.message).toMatch(message)
      expect(body.requestId).toBeTruthy()
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/) // no stack trace
      expect(await countRows()).toEqual(before)
    })
  }

  it('rejects malformed JSON with a 400', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/subscriptions', headers: { 'content-type': 'application/json' }, payload: '{"email": "x@example.org",' })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toMatch(/not valid JSON/)
  })

  it('rejects a body over 16 KiB with a 413', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'x@example.org', keywords: ['x'.repeat(20_000)] } })
    expect(response.statusCode).toBe(413)
    expect(response.json().code).toBe('FST_ERR_CTP_BODY_TOO_LARGE')
  })

  it('rejects an unsupported content type with a 415', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/subscriptions', headers: { 'content-type': 'application/xml' }, payload: '<email>x@example.org</email>' })
    expect(response.statusCode).toBe(415)
    expect(response.json().message).toMatch(/Unsupported Media Type/i)
  })

  it('rejects a plain-text body with a 400 asking for an object', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/subscriptions', headers: { 'content-type': 'text/plain' }, payload: 'x@example.org' })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toMatch(/expected object/)
  })

  it('normalises case and Unicode domains so variants are one subscriber', async () => {
    const local = anEmail('idn').split('@')[0]!
    for (const email of [`${local}@Bücher.Example`, `${local.toUpperCase()}@xn--bcher-kva.example`]) {
      expect((await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email } })).statusCode).toBe(202)
    }
    const rows = await t.prisma.subscriber.findMany({ where: { email: { startsWith: local } } })
    expect(rows.map((r) => r.email)).toEqual([`${local}@xn--bcher-kva.example`])
  })
})

describe('bad input on the subscribe form', () => {
  it('answers a bad address with a 400 page that says what is wrong and writes nothing', async () => {
    const before = await countRows()
    const response = await t.app.inject({
      method: 'POST', url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'email=nobody&topics=agents',
    })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('text/html')
    expect(response.body).toContain('email must look like name@example.org')
    expect(await countRows()).toEqual(before)
  })

  it('answers a form with an unknown topic with a 400 page', async () => {
    const response = await t.app.inject({
      method: 'POST', url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'email=someone%40example.org&topics=%3Cscript%3E',
    })
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('unknown topic(s): &lt;script&gt;')
    expect(response.body).not.toContain('<script>')
  })
})

describe('bad and tampered tokens', () => {
  const someId = '3f1b0a52-7c55-4b1e-9d7a-0d2a4c3e9b10'

  it('rejects a tampered confirm token with a 400 page and changes nothing', async () => {
    const email = anEmail('tamper')
    const subscriber = await t.prisma.subscriber.create({ data: { email } })
    const good = signLink(TEST_APP_SECRET, 'confirm', subscriber.id, new Date(Date.now() + 3600_000))
    const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA')
    for (const method of ['GET', 'POST'] as const) {
      const response = await t.app.inject({ method, url: `/confirm/${tampered}`, headers: { accept: 'text/html' } })
      expect(response.statusCode).toBe(400)
      expect(response.body).toContain('This link is not valid')
    }
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('pending')
  })

  it('rejects an expired confirm token with a 410 that says to subscribe again', async () => {
    const email = anEmail('expired')
    const subscriber = await t.prisma.subscriber.create({ data: { email } })
    const expired = signLink(TEST_APP_SECRET, 'confirm', subscriber.id, new Date(Date.now() - 1000))
    const response = await t.app.inject({ method: 'POST', url: `/confirm/${expired}` })
    expect(response.statusCode).toBe(410)
    expect(response.json()).toMatchObject({ code: 'LINK_EXPIRED' })
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('pending')
  })

  it('refuses a token signed for another purpose', async () => {
    const email = anEmail('purpose')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active' } })
    const unsubscribe = signLink(TEST_APP_SECRET, 'unsubscribe', subscriber.id)
    const manage = await t.app.inject({ method: 'PUT', url: `/api/preferences/${unsubscribe}`, payload: { paused: true } })
    expect(manage.statusCode).toBe(400)
    expect(manage.json().code).toBe('LINK_INVALID')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).paused).toBe(false)
  })

  it('refuses a token signed with another key', async () => {
    const forged = signLink('another-secret-another-secret-another-secret', 'manage', someId)
    const response = await t.app.inject({ method: 'GET', url: `/api/preferences/${forged}` })
    expect(response.statusCode).toBe(400)
  })

  it('answers garbage tokens with a 4xx, never a 500', async () => {
    for (const token of ['x', '...', 'a.b.c', '%00', 'é', 'A'.repeat(600), `${'A'.repeat(40)}.${'B'.repeat(43)}`]) {
      for (const url of [`/confirm/${encodeURIComponent(token)}`, `/preferences/${encodeURIComponent(token)}`, `/unsubscribe/${encodeURIComponent(token)}`]) {
        const response = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })
        expect(response.statusCode, `${url} → ${response.body}`).toBeGreaterThanOrEqual(400)
        expect(response.statusCode).toBeLessThan(500)
      }
    }
  })
})

/** Posts an HTML form as a browser does. */
const postForm = (url: string, payload: string) =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload })

describe('bad input on preferences', () => {
  it('rejects invalid values with a 400 naming each field and changes nothing', async () => {
    const email = anEmail('prefs-bad')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', topics: ['agents'] } })
    const token = pathOf(t.deps.links.manage(subscriber.id)).split('/')[2]!
    const response = await t.app.inject({
      method: 'PUT', url: `/api/preferences/${token}`,
      payload: { topics: ['robotics'], papersPerEmail: 0, sendHour: 24, frequency: 'hourly', timezone: 'Nowhere/City' },
    })
    expect(response.statusCode).toBe(400)
    const paths = response.json().issues.map((i: { path: string }) => i.path)
    expect(paths).toEqual(expect.arrayContaining(['body.papersPerEmail', 'body.sendHour', 'body.frequency', 'body.timezone']))
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).topics).toEqual(['agents'])
  })

  it('rejects an unknown arXiv category with a 400 naming it, from the API and the form, and changes nothing', async () => {
    const email = anEmail('prefs-category')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', categories: ['cs.CL'] } })
    const manage = pathOf(t.deps.links.manage(subscriber.id))
    const token = manage.split('/')[2]!
    const api = await t.app.inject({ method: 'PUT', url: `/api/preferences/${token}`, payload: { categories: ['cs.RO', 'cs.XY', 'robots'] } })
    expect(api.statusCode).toBe(400)
    expect(api.json().message).toContain('unknown arXiv categories: cs.XY, robots (GET /api/categories lists them)')
    const form = await postForm(manage, 'categories=cs.RO&moreCategories=cs.XY&papersPerEmail=10&minUpvotes=0&frequency=daily&weeklyDay=1&sendHour=8&timezone=UTC')
    expect(form.statusCode).toBe(400)
    expect(form.body).toContain('unknown arXiv category: cs.XY')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).categories).toEqual(['cs.CL'])
  })

  it('rejects a preferences form with a bad number with a 400 page and changes nothing', async () => {
    const email = anEmail('prefs-form-bad')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active' } })
    const manage = pathOf(t.deps.links.manage(subscriber.id))
    const response = await postForm(manage, 'papersPerEmail=lots&minUpvotes=0&frequency=daily&weeklyDay=1&sendHour=8&timezone=UTC')
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('papersPerEmail')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).papersPerEmail).toBe(10)
  })

  it('refuses to delete without the confirmation box ticked', async () => {
    const email = anEmail('prefs-delete')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active' } })
    const manage = pathOf(t.deps.links.manage(subscriber.id))
    const response = await t.app.inject({ method: 'POST', url: `${manage}/delete`, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload: '' })
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('tick the box')
    expect(await t.prisma.subscriber.findUnique({ where: { email } })).not.toBeNull()
  })

  it('answers unknown routes with a 404 in the format the client asked for', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/api/nothing-here' })
    expect(json.statusCode).toBe(404)
    expect(json.json()).toMatchObject({ code: 'NOT_FOUND' })
    const page = await t.app.inject({ method: 'GET', url: '/nothing-here', headers: { accept: 'text/html' } })
    expect(page.statusCode).toBe(404)
    expect(page.headers['content-type']).toContain('text/html')
  })
})

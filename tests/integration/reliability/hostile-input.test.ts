import { writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../src/config.ts'
import { createRenderer } from '../../../src/email/rendering/render.ts'
import { recordFigures } from '../../helpers/figures.ts'
import { CRLF_STRINGS, HOSTILE_STRINGS, liveMarkup } from '../../helpers/hostile.ts'
import { JUNE_12, uniqueDay, untilEditionSettled } from '../../helpers/papers.ts'
import { anEmail, buildTestApp, pathOf, type TestApp } from '../../helpers/test-app.ts'

/**
 * Hostile text in every field that reaches an email, a page or a header; hostile addresses; the admin API's guard;
 * GDPR export and erase; security headers; state changes only by POST.
 */
const ADMIN_TOKEN = 'admin-token-for-reliability-tests'
const figures: Record<string, unknown> = {}
let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ env: { ADMIN_TOKEN } })
})
afterAll(async () => {
  await t.close()
  recordFigures('hostileInput', figures)
})

const headerBlock = (raw: string) => raw.split(/\r\n\r\n/)[0]!
const headerNames = (raw: string) => headerBlock(raw).replace(/\r\n[ \t]+/g, ' ').split('\r\n').map((l) => l.slice(0, l.indexOf(':')).toLowerCase())

/** `baseline`: the same template without hostile values; its own tags (and the layout's one script src) are allowed. */
function expectNoLiveMarkup(html: string, baseline: { tags: Set<string>; scripts: number }, where: string) {
  const baselineTags = baseline.tags
  const found = liveMarkup(html)
  expect(found.scripts, `${where}: <script>`).toBe(baseline.scripts)
  expect(found.eventHandlers, `${where}: on* attributes`).toEqual([])
  expect(found.badUrls, `${where}: dangerous URLs`).toEqual([])
  const extra = [...found.tags].filter((tag) => !baselineTags.has(tag))
  expect(extra, `${where}: tags the template does not have`).toEqual([])
}

const untilSettled = (date: string, timeoutMs = 30_000) => untilEditionSettled(t.deps.digestService, date, timeoutMs)

describe('hostile text in papers and keyword filters', () => {
  it('never becomes live markup in digests or pages, nor a header of its own', async () => {
    const template = JSON.parse(readFileSync(JUNE_12, 'utf8'))[0]
    const n = HOSTILE_STRINGS.length
    // NULs go in too: ingest drops them (PostgreSQL text cannot hold U+0000), checked on its own below.
    const pick = (i: number) => HOSTILE_STRINGS[i % n]!
    // Three papers-days, so each digest (at most 50 papers) holds all of its day's papers.
    const days = [uniqueDay(), uniqueDay(), uniqueDay()]
    const [day1] = days as [string]
    const tag = randomUUID().slice(0, 8)
    // Every hostile string appears once in each field: title, abstract, AI summary, author, organization, GitHub URL.
    const items = Array.from({ length: n }, (_, i) => ({
      ...template,
      organization: { name: 'org', fullname: pick(i + 5) },
      paper: {
        ...template.paper,
        id: `hostile-${tag}-${i}`,
        submittedOnDailyAt: `${days[i % 3]}T00:00:00.000Z`,
        upvotes: 1000 - i,
        title: pick(i),
        summary: pick(i + 1),
        ai_summary: pick(i + 2),
        authors: [{ name: pick(i + 3) }, { name: 'Ada Lovelace' }],
        githubRepo: pick(i + 4),
        organization: { name: 'org', fullname: pick(i + 5) },
      },
    }))
    const file = path.join(tmpdir(), `hostile-${tag}.json`)
    await writeFile(file, JSON.stringify(items))
    const ingest = await t.deps.ingestService.ingestFile(file)
    expect(ingest.skipped).toBe(0)

    // A clean digest first: the template's own tags are the baseline.
    const reader = await t.prisma.subscriber.create({ data: { email: anEmail('hostile'), status: 'active', confirmedAt: new Date(), papersPerEmail: 50 } })
    await t.prisma.subscriber.updateMany({ where: { status: 'active', id: { not: reader.id } }, data: { paused: true } })
    const clean = await t.deps.deliveryService.composeDigest(reader, day1, [])
    const cleanPaper = { number: 1, paperId: '1', feedbackUrl: 'https://paperboy.example/feedback/1/t', title: 'T', url: 'https://huggingface.co/papers/1', authors: 'A', organization: 'O', upvotes: 1, githubUrl: 'https://github.com/a/b', githubStars: 1, category: 'cs.CL', summary: 'S', matched: 'm' }
    const baseline = liveMarkup((await createRenderer()).render({ template: 'digest', data: { ...clean, papers: [cleanPaper] } }).html)
    expect(baseline.scripts).toBe(0)

    for (const day of days) {
      await t.deps.digestService.sendEdition(day)
      await untilSettled(day)
    }
    const messages = t.smtp.to(reader.email)
    expect(messages).toHaveLength(3)
    let papersSeen = 0
    for (const m of messages) {
      expectNoLiveMarkup(m.parsed.html as string, baseline, `digest ${m.parsed.subject}`)
      // Header injection: the hostile title is in the Subject, but no header was added and no one else got it.
      expect(headerNames(m.raw)).not.toContain('bcc')
      expect(headerNames(m.raw)).not.toContain('x-injected')
      expect(headerNames(m.raw).filter((h) => h === 'subject')).toHaveLength(1)
      expect(m.envelopeTo).toEqual([reader.email])
      papersSeen += (m.parsed.text!.match(/^\d+\. /gm) ?? []).length
    }
    expect(papersSeen).toBe(n)

    // "View in browser" pages of both.
    for (const day of days) {
      const view = await t.app.inject({ method: 'GET', url: pathOf(t.deps.links.view(reader.id, day)) })
      expect(view.statusCode).toBe(200)
      expectNoLiveMarkup(view.body, baseline, `view ${day}`)
    }

    // Keyword filters: each hostile string is either refused with a 400 or stored and shown escaped.
    const manage = pathOf(t.deps.links.manage(reader.id))
    const token = manage.split('/')[2]!
    let keywordsAccepted = 0
    let keywordsRefused = 0
    const pageTags = liveMarkup((await t.app.inject({ method: 'GET', url: manage })).body)
    expect(pageTags.scripts).toBe(1) // the layout's <script src="/assets/app.js">
    for (let i = 0; i < n; i += 10) {
      const keywords = HOSTILE_STRINGS.slice(i, i + 10)
      const put = await t.app.inject({ method: 'PUT', url: `/api/preferences/${token}`, payload: { keywords } })
      expect(put.statusCode, put.body).toBeLessThan(500)
      for (const k of keywords) {
        const one = await t.app.inject({ method: 'PUT', url: `/api/preferences/${token}`, payload: { keywords: [k] } })
        expect(one.statusCode).toBeLessThan(500)
        if (one.statusCode === 200) {
          keywordsAccepted++
          const page = await t.app.inject({ method: 'GET', url: manage })
          expect(page.statusCode).toBe(200)
          expectNoLiveMarkup(page.body, pageTags, `preferences with keyword ${JSON.stringify(k).slice(0, 40)}`)
        } else keywordsRefused++
      }
    }
    // Subscribe form and API with hostile values: a 400 page or JSON, never live markup, never a 5xx.
    let formTried = 0
    for (const s of HOSTILE_STRINGS) {
      for (const payload of [`email=${encodeURIComponent(s)}`, `email=x%40example.org&topics=${encodeURIComponent(s)}`, `email=x%40example.org&timezone=${encodeURIComponent(s)}`]) {
        const r = await t.app.inject({ method: 'POST', url: '/subscribe', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload, remoteAddress: `172.16.${formTried % 250}.${Math.floor(formTried / 250) + 1}` })
        formTried++
        expect(r.statusCode).toBeLessThan(500)
        if (r.headers['content-type']?.toString().includes('html')) expectNoLiveMarkup(r.body, pageTags, `subscribe form ${JSON.stringify(s).slice(0, 40)}`)
      }
    }
    figures.hostileText = { strings: n, fieldsPerPaper: 6, digests: messages.length, papersChecked: papersSeen, keywordsAccepted, keywordsRefused, subscribeFormsTried: formTried }
  }, 120_000)

  it('refuses CR/LF in MAIL_FROM and in addresses, so no header can be injected through them', () => {
    for (const s of CRLF_STRINGS) {
      expect(() => loadConfig({ MAIL_FROM: `${s} <digest@example.org>` }), s).toThrow(ConfigError)
      expect(() => loadConfig({ MAIL_FROM: `Paperboy <digest@example.org>${s}` }), s).toThrow(ConfigError)
    }
    expect(() => loadConfig({ MAIL_FROM: 'Paperboy <digest@example.org>\r\nBcc: x@evil.test' })).toThrow(/MAIL_FROM/)
    figures.crlfStrings = CRLF_STRINGS.length
  })
})

describe('email addresses', () => {
  const api = (email: unknown, ip = '198.51.100.7') => t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email }, remoteAddress: ip })

  it('refuses addresses a mail server would refuse, each with a clear message', async () => {
    const bad: [string, RegExp][] = [
      ['a@b@example.org', /characters that are not allowed/],
      ['.a@example.org', /not allowed before the @/],
      ['a.@example.org', /not allowed before the @/],
      ['a..b@example.org', /not allowed before the @/],
      ['"quoted"@example.org', /not allowed before the @/],
      ['a@example..org', /domain/],
      ['a@example.123', /domain/],
      ['a@[127.0.0.1]', /domain/],
      ['a@-example.org', /domain/],
      ['a@example-.org', /domain/],
      [`a@${'b'.repeat(64)}.org`, /domain/],
      ['a\r\nBcc: x@evil.test@example.org', /spaces or line breaks/],
      ['victim@example.org\nBcc: x@evil.test', /spaces or line breaks/],
      ['a@example.org,b@example.org', /not valid|not allowed/],
      ['a@exa mple.org', /spaces/],
      ['a\u0000@example.org', /not allowed/],
      ['<a@example.org>', /not allowed|not valid/],
      ['Name <a@example.org>', /spaces/],
    ]
    for (const [email, message] of bad) {
      const r = await api(email)
      expect(r.statusCode, email).toBe(400)
      expect(r.json().message, email).toMatch(message)
    }
    figures.badAddresses = bad.length
  })

  it('accepts IDN domains and RFC 5322 local parts, stored normalised, case variants one subscriber', async () => {
    const local = `idn-${randomUUID().slice(0, 8)}`
    for (const [email, stored] of [
      [`${local}@münchen.example`, `${local}@xn--mnchen-3ya.example`],
      [`${local.toUpperCase()}@MÜNCHEN.example`, `${local}@xn--mnchen-3ya.example`],
      [`${local}+tag@例え.テスト`, `${local}+tag@xn--r8jz45g.xn--zckzah`],
      [`o'brien.${local}@example.org`, `o'brien.${local}@example.org`],
    ] as const) {
      expect((await api(email, '198.51.100.8')).statusCode, email).toBe(202)
      expect(await t.prisma.subscriber.count({ where: { email: stored } }), email).toBe(1)
    }
    expect(await t.prisma.subscriber.count({ where: { email: { contains: local } } })).toBe(3)
  })
})

describe('admin API guard, GDPR export and erase', () => {
  it('answers 401 without or with a wrong token, 404 when ADMIN_TOKEN is unset', async () => {
    const urls = ['/api/admin/stats', '/api/admin/subscribers', `/api/admin/subscribers/${randomUUID()}/export`]
    for (const url of urls) {
      for (const authorization of [undefined, 'Bearer', 'Bearer ', `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `bearer ${ADMIN_TOKEN}`, ADMIN_TOKEN, `Basic ${Buffer.from('admin:wrong-token-wrong-token').toString('base64')}`]) {
        const r = await t.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })
        expect(r.statusCode, `${url} ${authorization}`).toBe(401)
        expect(r.json().code).toBe('UNAUTHORIZED')
      }
    }
    expect((await t.app.inject({ method: 'DELETE', url: `/api/admin/subscribers/${randomUUID()}` })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/stats', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode).toBe(200)
    const disabled = await buildTestApp({ workers: false })
    try {
      for (const url of urls) {
        const r = await disabled.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        expect(r.statusCode).toBe(404)
      }
    } finally {
      await disabled.close()
    }
  })

  it('exports and erases from the preferences page and from the admin API; erase kills every link', async () => {
    for (const via of ['page', 'admin'] as const) {
      const email = anEmail(`gdpr-${via}`)
      const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', confirmedAt: new Date(), keywords: ['world model'] } })
      const id = randomUUID()
      await t.prisma.delivery.create({ data: { id, kind: 'confirmation', status: 'sent', subscriberId: subscriber.id, messageId: `<${id}@paperboy.test>` } })
      const manage = pathOf(t.deps.links.manage(subscriber.id))
      const token = manage.split('/')[2]!
      const links = [manage, `/api/preferences/${token}`, `/api/preferences/${token}/export`, pathOf(t.deps.links.unsubscribe(subscriber.id)), pathOf(t.deps.links.view(subscriber.id, '2026-06-12'))]
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

      const exported = via === 'page'
        ? await t.app.inject({ method: 'GET', url: `/api/preferences/${token}/export` })
        : await t.app.inject({ method: 'GET', url: `/api/admin/subscribers/${subscriber.id}/export`, headers: admin })
      expect(exported.statusCode).toBe(200)
      expect(exported.json().subscriber.email).toBe(email)
      expect(exported.json().emails).toHaveLength(1)

      const erased = via === 'page'
        ? await t.app.inject({ method: 'POST', url: `${manage}/delete`, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload: 'confirm=yes' })
        : await t.app.inject({ method: 'DELETE', url: `/api/admin/subscribers/${subscriber.id}`, headers: admin })
      expect(erased.statusCode).toBe(200)
      expect(await t.prisma.subscriber.findUnique({ where: { id: subscriber.id } })).toBeNull()
      expect(await t.prisma.delivery.count({ where: { subscriberId: subscriber.id } })).toBe(0)
      const rows = await t.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM subscribers WHERE email = ${email}`
      expect(rows[0]!.n).toBe(0)
      for (const url of links) {
        for (const method of ['GET', 'POST'] as const) {
          const r = await t.app.inject({ method, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined })
          expect(r.statusCode, `${method} ${url}`).toBeGreaterThanOrEqual(400)
          expect(r.statusCode, `${method} ${url}`).toBeLessThan(500)
        }
      }
      expect((await t.app.inject({ method: 'GET', url: `/api/admin/subscribers/${subscriber.id}/export`, headers: admin })).statusCode).toBe(404)
    }
  })
})

describe('pages: security headers and state changes', () => {
  it('asks browsers to upgrade insecure requests when the service is public over https', async () => {
    const secure = await buildTestApp({ workers: false, env: { PUBLIC_URL: 'https://papers.example.org' } })
    try {
      const r = await secure.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } })
      expect(String(r.headers['content-security-policy'])).toContain('upgrade-insecure-requests')
    } finally {
      await secure.close()
    }
  })

  it('send CSP, nosniff, frame-ancestors and friends on every page', async () => {
    const subscriber = await t.prisma.subscriber.create({ data: { email: anEmail('headers'), status: 'active' } })
    const pages = ['/', pathOf(t.deps.links.manage(subscriber.id)), pathOf(t.deps.links.unsubscribe(subscriber.id)), pathOf(t.deps.links.confirm(subscriber.id, new Date())), '/no-such-page']
    for (const url of pages) {
      const r = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })
      const csp = String(r.headers['content-security-policy'])
      expect(csp, url).toContain("default-src 'self'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("object-src 'none'")
      expect(csp).toContain("base-uri 'self'")
      expect(csp).toContain("form-action 'self'")
      expect(csp).not.toContain('unsafe-inline')
      // PUBLIC_URL is plain http here: upgrading the page's own requests to https would break its CSS.
      expect(csp).not.toContain('upgrade-insecure-requests')
      expect(r.headers['x-content-type-options']).toBe('nosniff')
      expect(r.headers['x-frame-options']).toBe('SAMEORIGIN')
      expect(r.headers['referrer-policy']).toBe('no-referrer')
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin')
      expect(r.headers['set-cookie']).toBeUndefined()
      // No inline script or style in the page itself (the CSP would block them anyway).
      expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i)
      expect(r.body).not.toMatch(/\son[a-z]+\s*=/i)
    }
  })

  it('sends the same security headers on the JSON API, on errors and on every request of a burst, without X-Powered-By', async () => {
    const requests = [
      ...Array.from({ length: 3 }, (_, i) => ({ method: 'POST' as const, url: '/api/subscriptions', payload: { email: anEmail(`headers-api-${i}`), topics: ['agents'] } })),
      { method: 'POST' as const, url: '/api/subscriptions', payload: { email: 'not an address' } },
      { method: 'GET' as const, url: '/api/no-such-route' },
    ]
    const responses = await Promise.all(requests.map((r) => t.app.inject(r)))
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 400, 404])
    for (const r of responses) {
      expect(String(r.headers['content-security-policy'])).toContain("default-src 'self'")
      expect(r.headers['x-content-type-options']).toBe('nosniff')
      expect(r.headers['x-frame-options']).toBe('SAMEORIGIN')
      expect(r.headers['strict-transport-security']).toMatch(/^max-age=\d+/)
      expect(r.headers['x-powered-by']).toBeUndefined()
    }
  })

  it('changes nothing on GET; every form posts; the signed token in the path is the only capability', async () => {
    const pending = await t.prisma.subscriber.create({ data: { email: anEmail('csrf-pending') } })
    const active = await t.prisma.subscriber.create({ data: { email: anEmail('csrf-active'), status: 'active' } })
    const gets = [pathOf(t.deps.links.confirm(pending.id, new Date())), pathOf(t.deps.links.unsubscribe(active.id)), pathOf(t.deps.links.manage(active.id))]
    for (const url of gets) {
      for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })).statusCode).toBe(200)
      // A prefetching mail scanner sends HEAD too.
      expect((await t.app.inject({ method: 'HEAD', url })).statusCode).toBeLessThan(500)
    }
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { id: pending.id } })).status).toBe('pending')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { id: active.id } })).status).toBe('active')
    // Every form on the pages posts to a path holding the token; none uses GET.
    for (const url of ['/', ...gets]) {
      const body = (await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })).body
      const forms = [...body.matchAll(/<form\b[^>]*>/gi)].map((m) => m[0])
      expect(forms.length, url).toBeGreaterThan(0)
      for (const f of forms) expect(f, url).toMatch(/method="post"/i)
    }
    // Query strings cannot smuggle a state change into a GET.
    await t.app.inject({ method: 'GET', url: `${gets[1]}?List-Unsubscribe=One-Click` })
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { id: active.id } })).status).toBe('active')
    // A cross-site form post needs the token: without it there is nothing to hit.
    const tokenless = await t.app.inject({ method: 'POST', url: '/unsubscribe/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })
    expect(tokenless.statusCode).toBeGreaterThanOrEqual(400)
    expect(tokenless.statusCode).toBeLessThan(500)
  })
})

describe('a NUL byte from the papers source', () => {
  it('is dropped, not fatal to the day', async () => {
    const template = JSON.parse(readFileSync(JUNE_12, 'utf8'))[0]
    const day = uniqueDay()
    const id = `nul-${randomUUID().slice(0, 8)}`
    const file = path.join(tmpdir(), `${id}.json`)
    await writeFile(file, JSON.stringify([
      { ...template, paper: { ...template.paper, id, submittedOnDailyAt: `${day}T00:00:00.000Z`, title: 'A\u0000title' } },
      { ...template, paper: { ...template.paper, id: `${id}-ok`, submittedOnDailyAt: `${day}T00:00:00.000Z` } },
    ]))
    const result = await t.deps.ingestService.ingestFile(file)
    expect(result.inserted).toBe(2)
    expect((await t.prisma.paper.findUniqueOrThrow({ where: { id } })).title).toBe('Atitle')
  })
})

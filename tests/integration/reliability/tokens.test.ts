import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signLink, type LinkPurpose } from '../../../src/links/tokens.ts'
import { TEST_APP_SECRET } from '../../helpers/env.ts'
import { recordFigures } from '../../helpers/figures.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/**
 * Thousands of mutated tokens against every route that takes one: bit flips, truncations, extensions, tokens of
 * another purpose, of an erased or unknown subscriber, expired, signed with another key, and payload/MAC splices.
 * None may be accepted (2xx) and none may cause a 5xx; nothing may change.
 */
let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ workers: false })
})
afterAll(async () => {
  await t.close()
})

type Route = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: (token: string) => string; purpose: LinkPurpose; body?: string; json?: object }
const DAY = '2026-06-12'
const ROUTES: Route[] = [
  { method: 'GET', path: (x) => `/confirm/${x}`, purpose: 'confirm' },
  { method: 'POST', path: (x) => `/confirm/${x}`, purpose: 'confirm' },
  { method: 'GET', path: (x) => `/unsubscribe/${x}`, purpose: 'unsubscribe' },
  { method: 'POST', path: (x) => `/unsubscribe/${x}`, purpose: 'unsubscribe', body: 'List-Unsubscribe=One-Click' },
  { method: 'GET', path: (x) => `/preferences/${x}`, purpose: 'manage' },
  { method: 'POST', path: (x) => `/preferences/${x}`, purpose: 'manage', body: 'papersPerEmail=5&minUpvotes=0&frequency=daily&weeklyDay=1&sendHour=8&timezone=UTC&paused=on' },
  { method: 'POST', path: (x) => `/preferences/${x}/resubscribe`, purpose: 'manage', body: '' },
  { method: 'POST', path: (x) => `/preferences/${x}/delete`, purpose: 'manage', body: 'confirm=yes' },
  { method: 'GET', path: (x) => `/api/preferences/${x}`, purpose: 'manage' },
  { method: 'PUT', path: (x) => `/api/preferences/${x}`, purpose: 'manage', json: { paused: true } },
  { method: 'GET', path: (x) => `/api/preferences/${x}/export`, purpose: 'manage' },
  { method: 'DELETE', path: (x) => `/api/preferences/${x}`, purpose: 'manage' },
  { method: 'GET', path: (x) => `/digests/${x}/${DAY}`, purpose: 'view' },
]
const PURPOSES: LinkPurpose[] = ['confirm', 'manage', 'unsubscribe', 'view']
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function inject(route: Route, token: string) {
  const url = route.path(encodeURIComponent(token))
  if (route.json) return t.app.inject({ method: route.method, url, payload: route.json })
  if (route.body !== undefined) return t.app.inject({ method: route.method, url, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload: route.body })
  return t.app.inject({ method: route.method, url, headers: { accept: 'text/html' } })
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
}

/** Every mutation of a valid token that must be refused. */
function mutations(valid: string, random: () => number): string[] {
  const out = new Set<string>()
  const [payload, mac] = valid.split('.') as [string, string]
  // Bit flips in the decoded payload and MAC, re-encoded (so the format is right and only the content is wrong).
  for (const [part, other, first] of [[payload, mac, true], [mac, payload, false]] as const) {
    const bytes = Buffer.from(part, 'base64url')
    for (let i = 0; i < bytes.length; i++) {
      const flipped = Buffer.from(bytes)
      flipped[i] = flipped[i]! ^ (1 << Math.floor(random() * 8))
      const encoded = flipped.toString('base64url')
      out.add(first ? `${encoded}.${other}` : `${other}.${encoded}`)
    }
  }
  // Character substitutions in the token text.
  for (let i = 0; i < valid.length; i++) {
    if (valid[i] === '.') continue
    let c = B64[Math.floor(random() * 64)]!
    if (c === valid[i]) c = c === 'A' ? 'B' : 'A'
    out.add(valid.slice(0, i) + c + valid.slice(i + 1))
  }
  // Truncations and extensions.
  for (let n = 0; n < valid.length; n += 3) out.add(valid.slice(0, n))
  for (const extra of ['A', '=', '==', '.', '.x', '%00', ' ', '\n', '/', '..', valid]) out.add(valid + extra)
  out.add(`${payload}.`)
  out.add(`.${mac}`)
  out.add(payload)
  out.add(mac)
  out.add(`${mac}.${payload}`)
  out.add(valid.toUpperCase())
  out.add(valid.toLowerCase())
  out.add(`${payload}=.${mac}`)
  out.add(`${payload}.${mac}=`)
  out.add(valid.replace(/-/g, '+').replace(/_/g, '/'))
  out.delete(valid)
  return [...out]
}

describe('mutated tokens on every route that takes one', () => {
  it('accepts none, answers every one with a 4xx (never a 5xx), and changes nothing', async () => {
    const pending = await t.prisma.subscriber.create({ data: { email: anEmail('tok-pending') } })
    const active = await t.prisma.subscriber.create({ data: { email: anEmail('tok-active'), status: 'active', confirmedAt: new Date(), papersPerEmail: 10 } })
    const erased = await t.prisma.subscriber.create({ data: { email: anEmail('tok-erased'), status: 'active' } })
    await t.prisma.subscriber.delete({ where: { id: erased.id } })
    const unknownId = '3f1b0a52-7c55-4b1e-9d7a-0d2a4c3e9b10'
    const future = new Date(Date.now() + 3600_000)
    const valid = (purpose: LinkPurpose, id: string) => signLink(TEST_APP_SECRET, purpose, id, purpose === 'confirm' ? future : undefined)

    // Controls: the valid tokens are accepted, so the refusals below are refusals of the mutation.
    expect((await t.app.inject({ method: 'GET', url: `/confirm/${valid('confirm', pending.id)}` })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: `/api/preferences/${valid('manage', active.id)}` })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: `/unsubscribe/${valid('unsubscribe', active.id)}` })).statusCode).toBe(200)

    const random = rng(20260612)
    const cases: { route: Route; token: string; kind: string }[] = []
    for (const route of ROUTES) {
      const owner = route.purpose === 'confirm' ? pending.id : active.id
      const good = valid(route.purpose, owner)
      for (const token of mutations(good, random)) cases.push({ route, token, kind: 'mutated' })
      for (const purpose of PURPOSES) if (purpose !== route.purpose) cases.push({ route, token: valid(purpose, owner), kind: 'other-purpose' })
      cases.push({ route, token: valid(route.purpose, erased.id), kind: 'erased-subscriber' })
      cases.push({ route, token: valid(route.purpose, unknownId), kind: 'unknown-subscriber' })
      cases.push({ route, token: signLink(TEST_APP_SECRET, route.purpose, owner, new Date(Date.now() - 1000)), kind: 'expired' })
      cases.push({ route, token: signLink('another-secret-another-secret-another-secret', route.purpose, owner), kind: 'other-key' })
      // Splice: the payload naming the other subscriber with this subscriber's MAC.
      const other = valid(route.purpose, owner === pending.id ? active.id : pending.id)
      cases.push({ route, token: `${other.split('.')[0]}.${good.split('.')[1]}`, kind: 'other-subscriber-splice' })
      cases.push({ route, token: 'A'.repeat(513), kind: 'oversized' })
    }

    const accepted: string[] = []
    const serverErrors: string[] = []
    const byKind: Record<string, number> = {}
    for (let i = 0; i < cases.length; i += 50) {
      const slice = cases.slice(i, i + 50)
      const responses = await Promise.all(slice.map((c) => inject(c.route, c.token)))
      responses.forEach((r, j) => {
        const c = slice[j]!
        byKind[c.kind] = (byKind[c.kind] ?? 0) + 1
        const label = `${c.route.method} ${c.route.path('…')} [${c.kind}] ${JSON.stringify(c.token).slice(0, 80)} → ${r.statusCode}`
        if (r.statusCode < 400) accepted.push(label)
        if (r.statusCode >= 500) serverErrors.push(`${label} ${r.body.slice(0, 200)}`)
      })
    }
    expect(cases.length).toBeGreaterThan(3000)
    expect(accepted).toEqual([])
    expect(serverErrors).toEqual([])

    // Nothing changed.
    expect(await t.prisma.subscriber.findUniqueOrThrow({ where: { id: pending.id } })).toMatchObject({ status: 'pending' })
    expect(await t.prisma.subscriber.findUniqueOrThrow({ where: { id: active.id } })).toMatchObject({ status: 'active', paused: false, papersPerEmail: 10 })
    recordFigures('tokens', { tokensTried: cases.length, routes: ROUTES.length, byKind, accepted: accepted.length, serverErrors: serverErrors.length })
  }, 120_000)
})

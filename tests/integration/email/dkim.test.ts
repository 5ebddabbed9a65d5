import { generateKeyPairSync, verify } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ env: { DKIM_DOMAIN: 'paperboy.test', DKIM_SELECTOR: 'pb2026', DKIM_PRIVATE_KEY: pem } })
})
afterAll(async () => {
  await t.close()
})

describe('DKIM', () => {
  it('signs every message with the configured domain and selector, verifiably', async () => {
    const email = anEmail('dkim')
    await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email } })
    const [message] = await t.smtp.waitFor(email)
    const headerBlock = message!.raw.split('\r\n\r\n')[0]!
    const unfolded = headerBlock.replace(/\r\n[ \t]+/g, ' ')
    const signature = /^DKIM-Signature: (.*)$/im.exec(unfolded)?.[1]
    expect(signature).toBeDefined()
    const tags = Object.fromEntries(signature!.split(/;\s*/).map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]))
    expect(tags).toMatchObject({ d: 'paperboy.test', s: 'pb2026', a: 'rsa-sha256' })
    expect(tags.h).toMatch(/from/i)
    // The signature verifies with the public key over the signed headers (relaxed canonicalisation), as a receiver would.
    const lines = headerBlock.split(/\r\n(?![ \t])/)
    const canon = (line: string) => {
      const i = line.indexOf(':')
      return `${line.slice(0, i).toLowerCase().trim()}:${line.slice(i + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim()}`
    }
    const pick = new Map<string, string[]>()
    for (const line of lines) {
      const name = line.slice(0, line.indexOf(':')).toLowerCase()
      pick.set(name, [...(pick.get(name) ?? []), line])
    }
    const signed = (tags.h as string).split(':').map((h) => h.trim().toLowerCase()).map((h) => {
      const list = pick.get(h) ?? []
      return list.length ? canon(list.pop()!) : null
    }).filter((x): x is string => x !== null)
    const dkimLine = lines.find((l) => /^dkim-signature:/i.test(l))!
    const withoutB = canon(dkimLine).replace(/b=[^;]*$/, 'b=').replace(/b=[^;]*;/, 'b=;')
    const data = [...signed, withoutB].join('\r\n')
    const ok = verify('sha256', Buffer.from(data), publicKey, Buffer.from((tags.b as string).replace(/\s+/g, ''), 'base64'))
    expect(ok).toBe(true)
  })

  it('wants all three DKIM settings or none', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'paperboy.test' })).toThrowError(/DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together/)
  })
})

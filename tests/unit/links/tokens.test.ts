import { createLinks } from '../../../src/links/urls.ts'
import { describe, expect, it } from 'vitest'
import { signLink, verifyLink } from '../../../src/links/tokens.ts'

const secret = 'unit-secret-unit-secret-unit-secret-unit'
const id = '0b7d3c9e-2f4a-4c61-9a8e-5d2f1b3c4a5e'
const now = new Date('2026-11-25T12:00:00Z')

describe('verifyLink', () => {
  it('accepts a token it signed, for the same purpose', () => {
    expect(verifyLink(secret, signLink(secret, 'manage', id), 'manage', now)).toEqual({ ok: true, subscriberId: id })
  })

  it('rejects an unsubscribe token used as a manage token', () => {
    expect(verifyLink(secret, signLink(secret, 'unsubscribe', id), 'manage', now)).toEqual({ ok: false, reason: 'wrong-purpose' })
  })

  it('rejects a token signed with another secret', () => {
    expect(verifyLink(secret, signLink(`${secret}x`, 'manage', id), 'manage', now)).toEqual({ ok: false, reason: 'bad-signature' })
  })

  it('expires confirm tokens at their expiry and not before', () => {
    const token = signLink(secret, 'confirm', id, new Date(now.getTime() + 1000))
    expect(verifyLink(secret, token, 'confirm', now).ok).toBe(true)
    expect(verifyLink(secret, token, 'confirm', new Date(now.getTime() + 1000))).toEqual({ ok: false, reason: 'expired' })
  })

  it('rejects a payload swapped for another subscriber under the original signature', () => {
    const token = signLink(secret, 'manage', id)
    const other = Buffer.from(`manage.${id.replace('0b7d', 'ffff')}.0`).toString('base64url')
    expect(verifyLink(secret, `${other}.${token.split('.')[1]}`, 'manage', now)).toEqual({ ok: false, reason: 'bad-signature' })
  })

  it('rejects every single-character mutation of a valid token', () => {
    const token = signLink(secret, 'unsubscribe', id)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'
    let tried = 0
    for (let i = 0; i < token.length; i++) {
      for (const c of ['A', 'z', '_', '.', alphabet[(alphabet.indexOf(token[i]!) + 1) % alphabet.length]!]) {
        const mutated = token.slice(0, i) + c + token.slice(i + 1)
        if (mutated === token) continue
        tried++
        expect(verifyLink(secret, mutated, 'unsubscribe', now).ok, mutated).toBe(false)
      }
    }
    expect(tried).toBeGreaterThan(token.length * 3)
  })

  it('binds a vote link to its paper: the same token does not vote on another paper, nor without one', () => {
    const expires = new Date(now.getTime() + 3600_000)
    const token = signLink(secret, 'vote', id, expires, '2606.12345')
    expect(verifyLink(secret, token, 'vote', now, '2606.12345')).toEqual({ ok: true, subscriberId: id })
    expect(verifyLink(secret, token, 'vote', now, '2606.12346')).toEqual({ ok: false, reason: 'bad-signature' })
    expect(verifyLink(secret, token, 'vote', new Date(expires.getTime() + 1000), '2606.12345')).toEqual({ ok: false, reason: 'expired' })
    // a vote is always on a paper, and only a vote is
    expect(verifyLink(secret, token, 'vote', now)).toEqual({ ok: false, reason: 'malformed' })
    expect(() => signLink(secret, 'vote', id, expires)).toThrow(/needs subject/)
    expect(() => signLink(secret, 'manage', id, undefined, '2606.12345')).toThrow(/takes no subject/)
    expect(verifyLink(secret, signLink(secret, 'manage', id), 'manage', now, '2606.12345')).toEqual({ ok: false, reason: 'malformed' })
  })

  it('gives a digest’s vote links from its date: the same links whenever it is rendered, working through the 60th day after it', () => {
    const links = createLinks('https://p.example', secret)
    const url = links.vote(id, 'hep-th/9901001', '2026-06-12')
    expect(links.vote(id, 'hep-th/9901001', '2026-06-12')).toBe(url)
    const [, encodedPaper, token] = /^https:\/\/p\.example\/feedback\/([^/]+)\/([^/]+)$/.exec(url)!
    expect(decodeURIComponent(encodedPaper!)).toBe('hep-th/9901001')
    const at = (iso: string) => verifyLink(secret, token!, 'vote', new Date(iso), 'hep-th/9901001').ok
    expect(at('2026-08-11T23:59:59Z')).toBe(true)
    expect(at('2026-08-12T00:00:00Z')).toBe(false)
  })

  it.each(['', '.', 'abc', 'a.b.c', '!!!.???', 'x'.repeat(600)])('calls %j malformed or bad, never throws', (token) => {
    const result = verifyLink(secret, token, 'manage', now)
    expect(result.ok).toBe(false)
  })
})

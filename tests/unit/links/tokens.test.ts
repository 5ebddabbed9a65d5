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
    expect(verifyLink(secret, token, 'vote', now)).toEqual({ ok: false, reason: 'bad-signature' })
    expect(verifyLink(secret, token, 'vote', new Date(expires.getTime() + 1000), '2606.12345')).toEqual({ ok: false, reason: 'expired' })
    // a link without a paper is not a vote on any paper
    expect(verifyLink(secret, signLink(secret, 'vote', id, expires), 'vote', now, '2606.12345').ok).toBe(false)
  })

  it.each(['', '.', 'abc', 'a.b.c', '!!!.???', 'x'.repeat(600)])('calls %j malformed or bad, never throws', (token) => {
    const result = verifyLink(secret, token, 'manage', now)
    expect(result.ok).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { emailHash, parseEmailAddress } from '../../../src/subscribers/email-address.ts'

describe('parseEmailAddress', () => {
  it.each([
    ['Ada@Example.ORG', 'ada@example.org'],
    ['  ada@example.org  ', 'ada@example.org'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ["o'brien@example.org", "o'brien@example.org"],
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
    ['user@XN--BCHER-KVA.example', 'user@xn--bcher-kva.example'],
    ['user@example.org.', 'user@example.org'],
  ])('accepts %j as %j', (input, expected) => {
    expect(parseEmailAddress(input)).toEqual({ ok: true, email: expected })
  })

  it.each([
    ['', /empty/],
    ['plainaddress', /name@example\.org/],
    ['@example.org', /name@example\.org/],
    ['user@', /name@example\.org/],
    ['a b@example.org', /spaces/],
    ['user@example.org\r\nBcc: victim@example.org', /spaces or line breaks/],
    ['.user@example.org', /not allowed/],
    ['us..er@example.org', /not allowed/],
    ['"quoted"@example.org', /not allowed/],
    ['user@localhost', /domain/],
    ['user@-example.org', /domain/],
    ['user@example.123', /domain/],
    ['user@exa_mple.org', /domain/],
    [`${'a'.repeat(65)}@example.org`, /64/],
  ])('rejects %j', (input, reason) => {
    const result = parseEmailAddress(input)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(reason)
  })

  it('hashes the normalised address, so suppression survives case differences', () => {
    const a = parseEmailAddress('Ada@Example.org')
    const b = parseEmailAddress('ada@EXAMPLE.org')
    expect(a.ok && b.ok && emailHash(a.email) === emailHash(b.email)).toBe(true)
  })
})

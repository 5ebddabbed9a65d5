import { createHash } from 'node:crypto'
import { domainToASCII } from 'node:url'

/**
 * Pure. Validates an address the way a mail server would accept it (RFC 5321 limits, RFC 5322 dot-atom local part)
 * and normalises it so case variants and Unicode/punycode spellings of a domain are one subscriber.
 */
export type ParsedEmail = { ok: true; email: string } | { ok: false; reason: string }

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
const DOT_ATOM = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`)
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

export function parseEmailAddress(input: string): ParsedEmail {
  const trimmed = input.trim()
  if (trimmed.length === 0) return { ok: false, reason: 'is empty' }
  if (trimmed.length > 320) return { ok: false, reason: 'is too long (an address has at most 254 characters)' }
  if (/[\s\r\n]/.test(trimmed)) return { ok: false, reason: 'must not contain spaces or line breaks' }
  const at = trimmed.lastIndexOf('@')
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, reason: 'must look like name@example.org' }
  const local = trimmed.slice(0, at)
  const domainInput = trimmed.slice(at + 1).replace(/\.$/, '')
  if (local.length > 64) return { ok: false, reason: 'has a name part longer than 64 characters' }
  if (!DOT_ATOM.test(local)) return { ok: false, reason: 'has characters that are not allowed before the @' }
  const domain = domainToASCII(domainInput.toLowerCase())
  if (!domain) return { ok: false, reason: 'has a domain that is not valid' }
  const labels = domain.split('.')
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    return { ok: false, reason: 'has a domain that is not valid (e.g. example.org)' }
  }
  const email = `${local.toLowerCase()}@${domain}`
  if (email.length > 254) return { ok: false, reason: 'is too long (an address has at most 254 characters)' }
  return { ok: true, email }
}

/** The key of the suppression list: survives an erase without keeping the address. */
export function emailHash(normalisedEmail: string): string {
  return createHash('sha256').update(normalisedEmail).digest('hex')
}

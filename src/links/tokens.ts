import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Pure. Signed, purpose-bound links: a token proves "the holder may do PURPOSE for SUBSCRIBER" (and, for a vote, on
 * that one paper: the paper's id is signed with the rest and travels beside the token in the link).
 * token = base64url(`${purpose}.${subscriberId}.${expiresAtEpochSeconds | 0}`) + '.' + base64url(HMAC-SHA256)
 * where the HMAC covers the payload, and for a vote a line break and the paper's id after it.
 * A token dies with its subscriber row: erase deletes the row, so verification finds nobody.
 */
export type LinkPurpose = 'confirm' | 'manage' | 'unsubscribe' | 'view' | 'vote'
export type VerifyResult =
  | { ok: true; subscriberId: string }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired' }

const PURPOSES: readonly LinkPurpose[] = ['confirm', 'manage', 'unsubscribe', 'view', 'vote']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const B64URL = /^[A-Za-z0-9_-]+$/

export const CONFIRM_TTL_MS = 7 * 24 * 3600 * 1000

/** What a token is about besides its subscriber (a vote's paper id), signed with it; a line break never occurs in it. */
function mac(secret: string, payload: string, subject: string | undefined): Buffer {
  return createHmac('sha256', secret).update(subject === undefined ? payload : `${payload}\n${subject}`).digest()
}

export function signLink(secret: string, purpose: LinkPurpose, subscriberId: string, expiresAt?: Date, subject?: string): string {
  if ((purpose === 'vote') !== (subject !== undefined)) throw new Error(`a ${purpose} link ${subject === undefined ? 'needs' : 'takes no'} subject`)
  const exp = expiresAt ? Math.floor(expiresAt.getTime() / 1000) : 0
  const payload = `${purpose}.${subscriberId}.${exp}`
  return `${Buffer.from(payload).toString('base64url')}.${mac(secret, payload, subject).toString('base64url')}`
}

export function verifyLink(secret: string, token: string, purpose: LinkPurpose, now: Date, subject?: string): VerifyResult {
  // a vote is always on one paper; no other link is about anything but its subscriber
  if (token.length > 512 || (purpose === 'vote') !== (subject !== undefined)) return { ok: false, reason: 'malformed' }
  const [encodedPayload, encodedMac, ...rest] = token.split('.')
  if (!encodedPayload || !encodedMac || rest.length > 0) return { ok: false, reason: 'malformed' }
  if (!B64URL.test(encodedPayload) || !B64URL.test(encodedMac)) return { ok: false, reason: 'malformed' }
  const payloadBytes = Buffer.from(encodedPayload, 'base64url')
  const given = Buffer.from(encodedMac, 'base64url')
  // base64 ignores the spare low bits of its last character, so several spellings decode alike: accept only ours.
  if (payloadBytes.toString('base64url') !== encodedPayload || given.toString('base64url') !== encodedMac) {
    return { ok: false, reason: 'malformed' }
  }
  const payload = payloadBytes.toString('utf8')
  const expected = mac(secret, payload, subject)
  // Length check first: timingSafeEqual throws on unequal lengths.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' }
  // Only a token we signed gets this far, so its fields are well-formed unless the format changed.
  const [tokenPurpose, subscriberId, expText] = payload.split('.')
  if (!PURPOSES.includes(tokenPurpose as LinkPurpose) || !subscriberId || !UUID.test(subscriberId) || !/^\d+$/.test(expText ?? '')) {
    return { ok: false, reason: 'malformed' }
  }
  if (tokenPurpose !== purpose) return { ok: false, reason: 'wrong-purpose' }
  const exp = Number(expText)
  if (exp !== 0 && exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired' }
  return { ok: true, subscriberId }
}

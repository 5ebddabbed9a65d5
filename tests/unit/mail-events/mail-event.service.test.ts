import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createMailEventService } from '../../../src/mail-events/mail-event.service.ts'
import type { MailEventRepository } from '../../../src/mail-events/mail-event.repository.ts'
import { mailgunSignature } from '../../helpers/providers.ts'

const KEY = 'key-0123456789abcdef0123'
const now = new Date('2026-12-06T10:00:00Z')

/** Redis as the single-use marks use it: SET … NX and DEL. */
function fakeRedis() {
  const keys = new Set<string>()
  return {
    status: 'ready' as const,
    keys,
    set: async (key: string) => (keys.has(key) ? null : (keys.add(key), 'OK')),
    del: async (key: string) => Number(keys.delete(key)),
  }
}

function service(record: MailEventRepository['record'], redis = fakeRedis()) {
  const events = { record, dailyRates: async () => [] } as unknown as MailEventRepository
  return {
    redis,
    service: createMailEventService({ events, secrets: { sesTopicArns: [], mailgunSigningKey: KEY }, snsGet: async () => ({ status: 404, text: '' }), redis: redis as never, logger: pino({ level: 'silent' }), now: () => now }),
  }
}

const payload = () => Buffer.from(JSON.stringify({
  signature: mailgunSignature(KEY, now),
  'event-data': { event: 'failed', id: randomUUID(), timestamp: now.getTime() / 1000, severity: 'permanent', recipient: 'a@example.org' },
}))

describe('a signed payload used once', () => {
  it('is taken back when recording fails, so the provider\'s retry is taken, not refused as a replay', async () => {
    let fail = true
    const recorded: unknown[] = []
    const { service: s, redis } = service(async (events) => {
      if (fail) throw new Error('database unavailable')
      recorded.push(...events)
      return events.map(() => 'suppressed' as const)
    })
    const body = payload()
    await expect(s.handle('mailgun', { headers: {}, body })).rejects.toThrow('database unavailable')
    expect(redis.keys.size).toBe(0)
    fail = false
    await expect(s.handle('mailgun', { headers: {}, body })).resolves.toEqual({ recorded: { suppressed: 1 } })
    expect(recorded).toHaveLength(1)
    // and once recorded, the same signed payload again is a replay
    await expect(s.handle('mailgun', { headers: {}, body })).rejects.toMatchObject({ statusCode: 409 })
  })
})

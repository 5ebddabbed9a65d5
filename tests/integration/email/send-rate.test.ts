import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDigestRepository } from '../../../src/digests/digest.repository.ts'
import { asksToSlowDown, createSendGate, parseDomainRates, UNLIMITED } from '../../../src/email/transport/send-rate.ts'
import { TEST_REDIS_URL } from '../../helpers/env.ts'
import { JUNE_12, relabelledListing, uniqueDay, untilEditionSettled } from '../../helpers/papers.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/**
 * The fleet's shared send rate, on the real Redis: gates of two "workers" share one timeline; the clock is given
 * (microseconds), and each gate's sleeps are recorded instead of slept, so what is checked is the schedule itself.
 */
const redis = new Redis(TEST_REDIS_URL)
afterAll(() => redis.quit())

const T = 1_900_000_000_000_000 // a fixed time, in microseconds
function gates(perSecond: number, perDomain = new Map<string, number>(), pauseMs = 2000) {
  const prefix = `test-rate-${randomUUID()}`
  const slept: number[][] = []
  const clock = { now: T }
  const make = () => {
    const mine: number[] = []
    slept.push(mine)
    return createSendGate(redis, prefix, { perSecond, perDomain, pauseMs }, { nowUs: () => clock.now, sleep: async (ms) => void mine.push(ms) })
  }
  return { a: make(), b: make(), slept, clock }
}

describe('the shared send rate', () => {
  it('gives two workers one timeline: at 100 a second, one slot every 10 ms between them', async () => {
    const { a, b, slept } = gates(100)
    for (let i = 0; i < 5; i++) {
      await a.wait('example.org')
      await b.wait('example.org')
    }
    // the first slot is now (no sleep); then 10 ms apart, alternating between the two workers
    expect(slept[0]).toEqual([20, 40, 60, 80])
    expect(slept[1]).toEqual([10, 30, 50, 70, 90])
  })

  it('paces a domain with a rate of its own within the fleet\'s rate', async () => {
    const { a, slept } = gates(100, parseDomainRates('gmail.com=10'))
    await a.wait('gmail.com')
    await a.wait('example.org')
    await a.wait('GMAIL.com')
    await a.wait('example.org')
    // gmail: now, then 100 ms later; the others take the fleet's next slots (10 ms apart), not held back by gmail's
    expect(slept[0]).toEqual([10, 100, 30])
  })

  it('pauses every worker when a relay asks to slow down, and no longer; a pause at most once per 50 pause lengths', async () => {
    const { a, b, slept, clock } = gates(100, new Map(), 2000)
    await a.wait('example.org')
    await b.slowDown()
    await a.wait('example.org')
    clock.now = T + 2_500_000
    await b.wait('example.org')
    expect(slept[0]).toEqual([2000])
    expect(slept[1]).toEqual([])
    // another 421 soon after: no second pause
    await a.slowDown()
    await b.wait('example.org')
    expect(slept[1]).toEqual([10])
    // one 100 s after the first: a pause again
    clock.now = T + 100_000_000
    await a.slowDown()
    await b.wait('example.org')
    expect(slept[1]).toEqual([10, 2000])
  })

  it('sends without waiting, and says so, when Redis answers with an error', async () => {
    const problems: string[] = []
    const failing = { eval: async () => { throw new Error('OOM command not allowed') } }
    const gate = createSendGate(failing as never, 'x', { perSecond: 10, perDomain: new Map(), pauseMs: 1 }, { onError: (e) => void problems.push(e.message), sleep: async () => { throw new Error('no wait expected') } })
    await gate.wait('example.org')
    await gate.slowDown()
    expect(problems).toEqual(['OOM command not allowed', 'OOM command not allowed'])
  })

  it('costs nothing without a limit', async () => {
    const calls: string[] = []
    const gate = createSendGate({ eval: async () => void calls.push('eval') } as never, 'x', { perSecond: 0, perDomain: new Map(), pauseMs: 1 })
    expect(gate).toBe(UNLIMITED)
    await gate.wait('example.org')
    expect(calls).toEqual([])
  })

  it('hears "slow down" in 421, 451 and SES\'s 454 throttling, and in no other reply', () => {
    expect([421, 451, 454].map((responseCode) => asksToSlowDown({ responseCode }))).toEqual([true, true, true])
    expect([450, 452, 550, undefined].map((responseCode) => asksToSlowDown({ responseCode }))).toEqual([false, false, false, false])
  })

  it('refuses a domain rate it cannot read, saying what it expects', () => {
    expect(() => parseDomainRates('gmail.com=fast')).toThrow(/domain=messages-per-second/)
    expect(parseDomainRates(' gmail.com=20 , yahoo.com=2.5 ')).toEqual(new Map([['gmail.com', 20], ['yahoo.com', 2.5]]))
  })
})

describe('sending under a limit', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ env: { SEND_RATE: '200', SLOW_DOWN_PAUSE_MS: '300' } })
  })
  afterAll(() => t?.close())

  it('pauses the fleet on a 421, then sends the refused digest once, with every other one', async () => {
    const day = uniqueDay()
    await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
    const readers = await Promise.all(Array.from({ length: 6 }, () =>
      t.prisma.subscriber.create({ data: { email: anEmail('rate'), status: 'active', confirmedAt: new Date(), papersPerEmail: 2 } })))
    const digests = createDigestRepository(t.prisma, 'paperboy.test')
    const ids = (await Promise.all(readers.map((r) => digests.createDigestDelivery(r.id, day)))).map((id) => id!)
    t.smtp.failNext('421')
    // the gate's clock is Redis'
    const [seconds, micros] = await redis.time()
    const before = Number(seconds) * 1_000_000 + Number(micros)
    await t.deps.queues.enqueueSends(ids)
    await untilEditionSettled(t.deps.digestService, day)
    // the pause every worker reads was set by the refused message
    const pausedUntil = Number(await redis.get(`${t.deps.queuePrefix}:send-rate:pause`))
    expect(pausedUntil).toBeGreaterThan(before + 300_000)
    // and messages take slots of the fleet's timeline: the refused one's retry took one after the pause (5 ms each)
    expect(Number(await redis.get(`${t.deps.queuePrefix}:send-rate`))).toBeGreaterThanOrEqual(pausedUntil + 5_000)
    for (const r of readers) expect(t.smtp.to(r.email), r.email).toHaveLength(1)
    expect(await t.prisma.delivery.count({ where: { id: { in: ids }, status: 'sent' } })).toBe(6)
  })
})

import type { Redis } from 'ioredis'

/**
 * The send rate every worker process shares: SEND_RATE messages a second across the fleet, and optionally per
 * recipient domain (SEND_RATE_DOMAINS, e.g. `gmail.com=20`). Each message reserves the next free slot of a timeline
 * kept in Redis (the generic cell rate algorithm without burst: one slot every 1/rate seconds) and waits for it, so the
 * fleet slows down and never drops or fails a delivery because of the limit. A relay's 421/451 ("slow down") pauses
 * the whole fleet for `pauseMs`, not the one connection that heard it (at most one pause per PAUSE_COOLDOWN_FACTOR pause
 * lengths).
 */
export interface SendRate {
  /** Messages a second across every worker; 0 = no limit. */
  perSecond: number
  /** Per recipient domain (lower case), messages a second. */
  perDomain: ReadonlyMap<string, number>
  /** How long a 421/451 pauses the fleet. */
  pauseMs: number
}

export interface SendGate {
  /** Waits until this message to `domain` may go. */
  wait(domain: string): Promise<void>
  /** A relay asked to slow down: every worker waits `pauseMs` before its next message (unless a pause began lately). */
  slowDown(): Promise<void>
}

/** No limit: nothing to wait for, no Redis round trip. */
export const UNLIMITED: SendGate = { wait: async () => {}, slowDown: async () => {} }

// Times in microseconds. The fleet's clock is Redis' (TIME), unless the caller gives one (tests).
const RESERVE = `
local now = tonumber(ARGV[3])
if now == 0 then local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local fleet = now
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > fleet then fleet = paused end
local gi = tonumber(ARGV[1])
local di = tonumber(ARGV[2])
if gi > 0 then local g = tonumber(redis.call('GET', KEYS[1]) or '0'); if g > fleet then fleet = g end end
local slot = fleet
if di > 0 then local d = tonumber(redis.call('GET', KEYS[2]) or '0'); if d > slot then slot = d end end
-- the message takes the fleet's next slot even when its domain makes it go later: a slow domain must not hold back
-- every other one (the fleet can then run a little ahead of its rate while domain-paced messages catch up)
if gi > 0 then redis.call('SET', KEYS[1], fleet + gi, 'PX', 600000) end
if di > 0 then redis.call('SET', KEYS[2], slot + di, 'PX', 600000) end
-- integer replies: exact (microsecond times stay below 2^53)
return {slot, now}
`
// A pause starts only when none started within the cooldown: a relay that keeps refusing a share of messages gets a
// pause now and then, not one after another (back to back, they held the fleet at a quarter of its rate, refusing 1 in 100; one per 20 lengths, at 93 %; one per
// 50, at 95 %).
const PAUSE = `
local now = tonumber(ARGV[2])
if now == 0 then local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local started = tonumber(redis.call('GET', KEYS[2]) or '0')
if started > 0 and now - started < tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[2], now, 'PX', 600000)
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', 600000)
return now + tonumber(ARGV[1])
`
/** Pauses start at most once per this many pause lengths: at most 2 % of the time goes to pauses. */
export const PAUSE_COOLDOWN_FACTOR = 50

type GateRedis = Pick<Redis, 'eval'>

export interface GateOptions {
  /** Microseconds since the epoch; the default (0) takes Redis' clock. */
  nowUs?: () => number
  sleep?: (ms: number) => Promise<void>
  /**
   * Redis answered with an error (out of memory, read-only after a failover): the message goes without waiting, and
   * this says so. A limit that fails must not fail the send.
   */
  onError?: (error: Error) => void
}

/** Parses SEND_RATE_DOMAINS: `gmail.com=20,yahoo.com=5`. */
export function parseDomainRates(text: string): Map<string, number> {
  const rates = new Map<string, number>()
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z0-9.-]+\.[a-z]{2,})=(\d+(?:\.\d+)?)$/i.exec(part)
    if (!match || Number(match[2]) <= 0) throw new Error(`"${part}" is not domain=messages-per-second (e.g. gmail.com=20)`)
    rates.set(match[1]!.toLowerCase(), Number(match[2]))
  }
  return rates
}

export function createSendGate(redis: GateRedis, prefix: string, rate: SendRate, options: GateOptions = {}): SendGate {
  if (rate.perSecond <= 0 && rate.perDomain.size === 0) return UNLIMITED
  const now = options.nowUs ?? (() => 0)
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const interval = (perSecond: number) => (perSecond > 0 ? Math.ceil(1_000_000 / perSecond) : 0)
  const globalInterval = interval(rate.perSecond)
  const keys = {
    global: `${prefix}:send-rate`,
    pause: `${prefix}:send-rate:pause`,
    pauseStarted: `${prefix}:send-rate:pause-started`,
    domain: (d: string) => `${prefix}:send-rate:domain:${d}`,
  }

  return {
    async wait(domain) {
      const d = domain.toLowerCase()
      const domainInterval = interval(rate.perDomain.get(d) ?? 0)
      let reserved: [number, number]
      try {
        reserved = (await redis.eval(RESERVE, 3, keys.global, keys.domain(d), keys.pause, globalInterval, domainInterval, now())) as [number, number]
      } catch (error) {
        options.onError?.(error as Error)
        return
      }
      const waitMs = (reserved[0] - reserved[1]) / 1000
      if (waitMs >= 1) await sleep(waitMs)
    },
    async slowDown() {
      await redis.eval(PAUSE, 2, keys.pause, keys.pauseStarted, rate.pauseMs * 1000, now(), rate.pauseMs * 1000 * PAUSE_COOLDOWN_FACTOR)
        .catch((error: Error) => options.onError?.(error))
    },
  }
}

/**
 * Whether an SMTP error asks the sender to slow down: 421 (service not available, too many connections), 451 (local
 * error, often a rate limit), 454 (Amazon SES: "Throttling failure: Maximum sending rate exceeded").
 */
export function asksToSlowDown(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode
  return code === 421 || code === 451 || code === 454
}

/** The recipient's domain, lower case. */
export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase()

import type { Logger } from 'pino'
import { answered, createHttpGet, defaultSleep, HttpUnavailableError, type HttpGetOptions } from '../runtime/http-get.ts'
import { ArxivApiError, ArxivFeedError, parseArxivFeed, type ArxivEntry } from './arxiv-feed.ts'

/**
 * Looks papers up on the arXiv export API by id (`/api/query?id_list=…`), politely: at most one request per
 * `minIntervalMs` (arXiv asks for 3 s) through `gate`, which every process shares when it is the Redis one, a
 * descriptive User-Agent, timeouts and retries with backoff. One call is one batch of ids; the API answers for the
 * ids it knows and leaves the others out.
 */

/** arXiv's own limit per id_list query is far higher; 100 keeps a URL short and an answer quick. */
export const ARXIV_BATCH = 100

export interface ArxivLookup {
  found: Map<string, ArxivEntry>
  /** Well-formed ids the API does not know (yet). */
  missing: string[]
  /** Ids the API refused as malformed. */
  invalid: string[]
  requests: number
}

/** Waits until this process may send the next request; shared by every worker process when backed by Redis. */
export interface RequestGate {
  wait(): Promise<void>
}

export class ArxivUnavailableError extends Error {
  override name = 'ArxivUnavailableError'
}

export interface ArxivClientOptions extends Omit<HttpGetOptions, 'headers' | 'retryEvent' | 'beforeRequest'> {
  /** e.g. https://export.arxiv.org (ARXIV_API_URL). */
  baseUrl: string
  userAgent: string
  gate: RequestGate
  logger?: Logger
}

// What an id may hold to be sent at all (new-style 2607.22535, old-style cond-mat/0102536): anything else would
// change the query's meaning. Whether it is an id arXiv knows, arXiv says.
const SENDABLE = /^[A-Za-z0-9][A-Za-z0-9./-]{0,63}$/

export const isSendableId = (id: string): boolean => SENDABLE.test(id)

type Answer = { entries: ArxivEntry[] } | { refused: string } | { unreadable: string }

export function createArxivClient(options: ArxivClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '')
  const get = createHttpGet({
    ...options,
    headers: { 'user-agent': options.userAgent, accept: 'application/atom+xml' },
    // Every attempt, retries included, waits for its turn: a retry is a request too. Its timeout starts after.
    beforeRequest: () => options.gate.wait(),
    retryEvent: 'arxiv.retry',
  })

  /**
   * One request for `ids`: the feed; or the API's refusal of one id's format; or `unreadable`, a feed the API sent
   * that cannot be read for this batch (an error naming none of its ids, XML that does not parse), which something in
   * the batch may cause. An answer that is not a feed at all (an HTML error page) is the API being unavailable.
   */
  async function query(ids: string[], signal: AbortSignal | undefined): Promise<Answer> {
    const url = `${base}/api/query?id_list=${ids.map(encodeURIComponent).join(',')}&max_results=${ids.length}`
    let answer
    try {
      answer = await get(url, {}, signal)
    } catch (error) {
      if (error instanceof HttpUnavailableError) throw new ArxivUnavailableError(`arXiv API unavailable: ${error.message}`, { cause: error })
      throw error
    }
    try {
      const feed = parseArxivFeed(answer.text)
      if (answer.status !== 200) throw new ArxivUnavailableError(`arXiv API ${answered(answer.status, answer.statusText, answer.text)} to GET ${answer.url}`)
      if (feed.skipped.length > 0) options.logger?.warn({ event: 'arxiv.entries_skipped', skipped: feed.skipped.slice(0, 5) }, 'malformed arXiv entries skipped')
      return { entries: feed.entries }
    } catch (error) {
      // "incorrect_id_format_for_abc": one bad id fails the whole batch; the caller drops it and asks again.
      if (error instanceof ArxivApiError) {
        const refused = /^incorrect_id_format_for_(.+)$/.exec(error.code)?.[1]
        if (refused && ids.includes(refused)) return { refused }
        return { unreadable: `the API's error ${error.code}: ${error.message}` }
      }
      if (error instanceof ArxivFeedError) {
        if (answer.text.includes('<feed')) return { unreadable: error.message }
        throw new ArxivUnavailableError(`arXiv API answered GET ${answer.url} (HTTP ${answer.status}) with something that is not a feed: ${error.message}`, { cause: error })
      }
      throw error
    }
  }

  /** Sendable ids: a batch whose answer cannot be read is halved until the id that causes it stands alone. */
  async function lookupSendable(ids: string[], signal: AbortSignal | undefined): Promise<ArxivLookup> {
    const result: ArxivLookup = { found: new Map(), missing: [], invalid: [], requests: 0 }
    let asked = ids
    while (asked.length > 0) {
      result.requests++
      const answer = await query(asked, signal)
      if ('refused' in answer) {
        result.invalid.push(answer.refused)
        asked = asked.filter((id) => id !== answer.refused)
        continue
      }
      if ('unreadable' in answer) {
        if (asked.length === 1) {
          options.logger?.warn({ event: 'arxiv.unreadable', id: asked[0], problem: answer.unreadable }, 'the arXiv API cannot answer for this paper')
          result.invalid.push(asked[0]!)
          return result
        }
        const half = Math.ceil(asked.length / 2)
        for (const part of [asked.slice(0, half), asked.slice(half)]) {
          const sub = await lookupSendable(part, signal)
          for (const [id, entry] of sub.found) result.found.set(id, entry)
          result.missing.push(...sub.missing)
          result.invalid.push(...sub.invalid)
          result.requests += sub.requests
        }
        return result
      }
      for (const entry of answer.entries) if (asked.includes(entry.id)) result.found.set(entry.id, entry)
      result.missing.push(...asked.filter((id) => !result.found.has(id)))
      return result
    }
    return result
  }

  return {
    /**
     * Looks up at most ARXIV_BATCH ids (versionless). Throws ArxivUnavailableError when the API cannot answer, and
     * `signal`'s reason as soon as it aborts.
     */
    async lookup(ids: readonly string[], signal?: AbortSignal): Promise<ArxivLookup> {
      if (ids.length > ARXIV_BATCH) throw new RangeError(`at most ${ARXIV_BATCH} ids per lookup (got ${ids.length})`)
      // An id that could change the query (a comma, a space) is never sent.
      const result = await lookupSendable(ids.filter((id) => isSendableId(id)), signal)
      result.invalid.push(...ids.filter((id) => !isSendableId(id)))
      return result
    },
  }
}
export type ArxivClient = ReturnType<typeof createArxivClient>

/**
 * A gate every process shares through Redis: a request may go when it can take the key for `intervalMs` (SET NX PX),
 * so two requests from anywhere in the fleet start at least `intervalMs` apart. Otherwise it waits out the key's TTL.
 */
export function createRedisGate(
  redis: { set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<string | null>; pttl(key: string): Promise<number> },
  key: string,
  intervalMs: number,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): RequestGate {
  return {
    async wait() {
      for (;;) {
        if ((await redis.set(key, String(process.pid), 'PX', intervalMs, 'NX')) === 'OK') return
        const ttl = await redis.pttl(key)
        // -2: gone already; -1 cannot happen (the key always has a TTL) but must not spin.
        await sleep(ttl > 0 ? ttl : ttl === -1 ? intervalMs : 0)
      }
    },
  }
}

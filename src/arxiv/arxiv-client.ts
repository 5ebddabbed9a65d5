import type { Logger } from 'pino'
import { createHttpGet, HttpUnavailableError, snippet, type HttpGetOptions } from '../runtime/http-get.ts'
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

export interface ArxivClientOptions extends Omit<HttpGetOptions, 'headers' | 'retryEvent'> {
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

export function createArxivClient(options: ArxivClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '')
  // Every attempt, retries included, passes the gate: a retry is a request too.
  const politeFetch: typeof fetch = async (input, init) => {
    await options.gate.wait()
    return (options.fetch ?? globalThis.fetch)(input, init)
  }
  const politeGet = createHttpGet({ ...options, fetch: politeFetch, headers: { 'user-agent': options.userAgent, accept: 'application/atom+xml' }, retryEvent: 'arxiv.retry' })

  /** One request for `ids`: the feed, or the API's refusal of one id's format. */
  async function query(ids: string[]): Promise<{ entries: ArxivEntry[] } | { refused: string }> {
    const url = `${base}/api/query?id_list=${ids.map(encodeURIComponent).join(',')}&max_results=${ids.length}`
    let answer
    try {
      answer = await politeGet(url)
    } catch (error) {
      if (error instanceof HttpUnavailableError) throw new ArxivUnavailableError(`arXiv API unavailable: ${error.message}`, { cause: error })
      throw error
    }
    try {
      const feed = parseArxivFeed(answer.text)
      if (answer.status !== 200) throw new ArxivUnavailableError(`arXiv API answered HTTP ${answer.status} to GET ${answer.url}: ${snippet(answer.text)}`)
      if (feed.skipped.length > 0) options.logger?.warn({ event: 'arxiv.entries_skipped', skipped: feed.skipped.slice(0, 5) }, 'malformed arXiv entries skipped')
      return { entries: feed.entries }
    } catch (error) {
      // "incorrect_id_format_for_abc": one bad id fails the whole batch; the caller drops it and asks again.
      if (error instanceof ArxivApiError) {
        const refused = /^incorrect_id_format_for_(.+)$/.exec(error.code)?.[1]
        if (refused && ids.includes(refused)) return { refused }
        throw new ArxivUnavailableError(`arXiv API refused GET ${answer.url}: ${error.message}`, { cause: error })
      }
      if (error instanceof ArxivFeedError) {
        throw new ArxivUnavailableError(`arXiv API answered GET ${answer.url} (HTTP ${answer.status}) with something that is not a feed: ${error.message}`, { cause: error })
      }
      throw error
    }
  }

  return {
    /** Looks up at most ARXIV_BATCH ids (versionless). Throws ArxivUnavailableError when the API cannot answer. */
    async lookup(ids: readonly string[]): Promise<ArxivLookup> {
      if (ids.length > ARXIV_BATCH) throw new RangeError(`at most ${ARXIV_BATCH} ids per lookup (got ${ids.length})`)
      // An id that could change the query (a comma, a space) is never sent.
      const invalid = ids.filter((id) => !isSendableId(id))
      let asked = ids.filter((id) => isSendableId(id))
      const found = new Map<string, ArxivEntry>()
      let requests = 0
      while (asked.length > 0) {
        requests++
        const result = await query(asked)
        if ('refused' in result) {
          invalid.push(result.refused)
          asked = asked.filter((id) => id !== result.refused)
          continue
        }
        for (const entry of result.entries) if (asked.includes(entry.id)) found.set(entry.id, entry)
        break
      }
      return { found, missing: asked.filter((id) => !found.has(id)), invalid, requests }
    },
  }
}
export type ArxivClient = ReturnType<typeof createArxivClient>

/** A gate for one process: requests at least `intervalMs` apart. `now`/`sleep` are injectable for tests. */
export function createLocalGate(intervalMs: number, clock: { now: () => number; sleep: (ms: number) => Promise<void> }): RequestGate {
  let next = 0
  let chain = Promise.resolve()
  return {
    wait() {
      // Callers queue: each waits for the one before it, then for its own slot.
      const turn = chain.then(async () => {
        const delay = next - clock.now()
        if (delay > 0) await clock.sleep(delay)
        next = clock.now() + intervalMs
      })
      chain = turn.catch(() => {})
      return turn
    },
  }
}

/**
 * A gate every process shares through Redis: a request may go when it can take the key for `intervalMs` (SET NX PX),
 * so two requests from anywhere in the fleet start at least `intervalMs` apart. Otherwise it waits out the key's TTL.
 */
export function createRedisGate(
  redis: { set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<string | null>; pttl(key: string): Promise<number> },
  key: string,
  intervalMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
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

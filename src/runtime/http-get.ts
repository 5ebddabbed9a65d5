import { setTimeout as wait } from 'node:timers/promises'
import type { Logger } from 'pino'

/**
 * GET with a timeout that covers the body, retries with exponential backoff for what a retry can fix (429, 5xx,
 * network errors, timeouts) and errors that say what failed without leaking credentials. Both outside sources (the
 * Hugging Face listing, the arXiv API) go through it.
 */
export interface HttpGetOptions {
  fetch?: typeof fetch
  /** Per request, body included. */
  timeoutMs?: number
  /** Extra attempts after the first. */
  retries?: number
  /** First backoff delay; doubles on every retry. A Retry-After the server sends wins when it is longer. */
  backoffMs?: number
  /** Waits between attempts; `signal` ends the wait early (a process shutting down). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Sent with every request (e.g. a descriptive User-Agent). */
  headers?: Record<string, string>
  /** Awaited before every attempt, retries included, and before its timeout starts (a rate gate, say). */
  beforeRequest?: () => Promise<void>
  logger?: Logger
  /** The `event` of the retry log line, e.g. 'papers.source.retry'. */
  retryEvent: string
  /** 'error': a redirect fails the request (a URL checked before the request must be the one answered). */
  redirect?: 'follow' | 'error'
}

/** An answer that retrying would not change: any 2xx, and 4xx other than 429. */
export interface HttpAnswer {
  status: number
  statusText: string
  text: string
  /** The URL without user-info, as it may appear in logs and errors. */
  url: string
  attempts: number
}

/** "1 attempt", "4 attempts": how an error says how often a GET was tried. */
export const attemptsText = (attempts: number): string => (attempts === 1 ? '1 attempt' : `${attempts} attempts`)

/** Retries ran out (or there were none): `problem` says what the last attempt got. */
export class HttpUnavailableError extends Error {
  override name = 'HttpUnavailableError'
  readonly url: string
  readonly problem: string
  readonly attempts: number
  readonly status: number | undefined

  constructor(url: string, problem: string, attempts: number, status?: number, options?: { cause?: unknown }) {
    super(`GET ${url} ${problem} (${attemptsText(attempts)})`, options)
    this.url = url
    this.problem = problem
    this.attempts = attempts
    this.status = status
  }
}

const MAX_RETRY_AFTER_MS = 60_000

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => wait(ms, undefined, signal ? { signal } : {})

/** `waiting`, or `signal`'s reason as soon as it aborts (whatever `waiting` does: an injected sleep may ignore it). */
function unlessAborted<T>(waiting: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return waiting
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason)
    signal.addEventListener('abort', stop, { once: true })
    waiting.then(
      (value) => (signal.removeEventListener('abort', stop), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', stop), reject(error)),
    )
  })
}

/** The URL as it may appear in logs and errors: no user-info. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}

/**
 * fetch() refuses URLs with user-info, and they must not reach logs or errors either: a base URL such as
 * https://user:pass@proxy.example becomes a Basic Authorization header plus a clean URL.
 */
export function splitCredentials(baseUrl: string): { base: string; authorization?: string } {
  const url = new URL(baseUrl)
  if (!url.username && !url.password) return { base: baseUrl.replace(/\/+$/, '') }
  const userInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  url.username = ''
  url.password = ''
  return { base: url.toString().replace(/\/+$/, ''), authorization: `Basic ${Buffer.from(userInfo).toString('base64')}` }
}

/** A short, one-line excerpt of a body for an error message. */
export const snippet = (text: string, length = 200): string => text.replace(/\s+/g, ' ').trim().slice(0, length)

/** "answered HTTP 503 Service Unavailable (busy)": an answer's status and the start of its body, for errors and logs. */
export function answered(status: number, statusText: string, text: string): string {
  const excerpt = snippet(text)
  return `answered HTTP ${status}${statusText ? ` ${statusText}` : ''}${excerpt ? ` (${excerpt})` : ''}`
}

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS)
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS)
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  const detail = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error)
  return `network error (${detail})`
}

type Attempt =
  | { ok: true; answer: Omit<HttpAnswer, 'url' | 'attempts'> }
  | { ok: false; problem: string; status?: number; retryAfterMs?: number; cause?: unknown }

export function createHttpGet(options: HttpGetOptions) {
  const doFetch = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? 15_000
  const retries = options.retries ?? 3
  const backoffMs = options.backoffMs ?? 500
  const sleep = options.sleep ?? defaultSleep

  async function attempt(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Attempt> {
    await unlessAborted(options.beforeRequest?.() ?? Promise.resolve(), signal)
    const timeout = AbortSignal.timeout(timeoutMs)
    try {
      const res = await doFetch(url, { headers, signal: signal ? AbortSignal.any([timeout, signal]) : timeout, redirect: options.redirect ?? 'follow' })
      // Read the body inside the same timeout: a server can stall after the headers too.
      const text = await res.text()
      if (res.status === 429 || res.status >= 500) {
        return { ok: false, status: res.status, problem: answered(res.status, res.statusText, text), retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()) }
      }
      return { ok: true, answer: { status: res.status, statusText: res.statusText, text } }
    } catch (error) {
      // stopped from outside (a shutdown): not a failure of the source, and nothing to retry
      if (signal?.aborted) throw signal.reason
      return { ok: false, problem: describeNetworkError(error, timeoutMs), cause: error }
    }
  }

  /**
   * Resolves with the first answer retrying would not change; throws HttpUnavailableError when retries run out, and
   * `signal`'s reason at once when it aborts (mid-request or between attempts).
   */
  return async function get(url: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<HttpAnswer> {
    const shown = publicUrl(url)
    const all = { ...options.headers, ...headers }
    for (let n = 1; ; n++) {
      const result = await attempt(url, all, signal)
      if (result.ok) return { ...result.answer, url: shown, attempts: n }
      if (n > retries) throw new HttpUnavailableError(shown, result.problem, n, result.status, { cause: result.cause })
      const delay = Math.max(backoffMs * 2 ** (n - 1), result.retryAfterMs ?? 0)
      options.logger?.warn({ event: options.retryEvent, url: shown, attempt: n, problem: result.problem, delayMs: delay }, 'retrying a GET')
      await unlessAborted(sleep(delay, signal), signal)
    }
  }
}
export type HttpGet = ReturnType<typeof createHttpGet>

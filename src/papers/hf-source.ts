import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { AppError, validationFailed } from '../errors.ts'
import {
  DailyPapersFormatError,
  dedupeById,
  parseDailyPapers,
  type PaperInput,
  type SkippedItem,
} from './paper.schemas.ts'

/** The source could not give us a complete day. Thrown before anything is written, so a retry is always safe. */
export class SourceUnavailableError extends AppError {
  readonly url: string
  readonly status: number | undefined
  readonly attempts: number

  constructor(message: string, details: { url: string; status?: number; attempts: number; cause?: unknown }) {
    super('SERVICE_UNAVAILABLE', 503, message, { cause: details.cause })
    this.name = 'SourceUnavailableError'
    this.url = details.url
    this.status = details.status
    this.attempts = details.attempts
  }
}

export interface DayFetch {
  date: string
  /** Papers of `date` only, one per id. */
  papers: PaperInput[]
  skipped: SkippedItem[]
  /** Valid items that belong to another papers-day (the listing may include neighbours); not returned. */
  otherDays: number
  pages: number
}

export interface ParsedFile {
  /** Every valid paper of the file, one per id, whatever its day. */
  papers: PaperInput[]
  skipped: SkippedItem[]
  /** Days present, ascending. */
  days: string[]
  byDay: Map<string, PaperInput[]>
}

export interface HfSourceOptions {
  /** e.g. https://huggingface.co (HF_API_URL); may carry a path prefix. */
  baseUrl: string
  fetch?: typeof fetch
  /** Per request, body included. */
  timeoutMs?: number
  /** Extra attempts after the first, for 429, 5xx, network errors and timeouts. */
  retries?: number
  /** First backoff delay; doubles on every retry. */
  backoffMs?: number
  sleep?: (ms: number) => Promise<void>
  logger?: Logger
}

export const PAGE_SIZE = 100
// A server that ignores `p` would hand back the same full page forever; real days have < 100 papers.
const MAX_PAGES = 20
const MAX_RETRY_AFTER_MS = 60_000

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function assertDay(date: string): void {
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date)
  if (!valid) throw validationFailed(`date must be a calendar date written YYYY-MM-DD (got ${JSON.stringify(date)})`)
}

/** The URL as it may appear in logs and errors: no user-info. */
function publicUrl(url: string): string {
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
function splitCredentials(baseUrl: string): { base: string; authorization?: string } {
  const url = new URL(baseUrl)
  if (!url.username && !url.password) return { base: baseUrl.replace(/\/+$/, '') }
  const userInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  url.username = ''
  url.password = ''
  return { base: url.toString().replace(/\/+$/, ''), authorization: `Basic ${Buffer.from(userInfo).toString('base64')}` }
}

type Attempt =
  | { ok: true; body: unknown }
  | { ok: false; retryable: boolean; problem: string; status?: number; retryAfterMs?: number; cause?: unknown }

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS)
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - Date.now(), 0), MAX_RETRY_AFTER_MS)
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  const detail = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error)
  return `network error (${detail})`
}

export function createHfSource(options: HfSourceOptions) {
  const { base, authorization } = splitCredentials(options.baseUrl)
  const doFetch = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? 15_000
  const retries = options.retries ?? 3
  const backoffMs = options.backoffMs ?? 500
  const sleep = options.sleep ?? defaultSleep
  const logger = options.logger

  async function attempt(url: string): Promise<Attempt> {
    try {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (authorization) headers.authorization = authorization
      const res = await doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
      // Read the body inside the same timeout: a server can stall after the headers too.
      const text = await res.text()
      if (!res.ok) {
        const retryable = res.status === 429 || res.status >= 500
        const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200)
        return {
          ok: false,
          retryable,
          status: res.status,
          problem: `answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${snippet ? ` (${snippet})` : ''}`,
          retryAfterMs: retryable ? retryAfterMs(res.headers.get('retry-after')) : undefined,
        }
      }
      try {
        return { ok: true, body: JSON.parse(text) as unknown }
      } catch (error) {
        return { ok: false, retryable: false, status: res.status, problem: 'answered with a body that is not JSON', cause: error }
      }
    } catch (error) {
      return { ok: false, retryable: true, problem: describeNetworkError(error, timeoutMs), cause: error }
    }
  }

  async function getJson(url: string): Promise<unknown> {
    const shown = publicUrl(url)
    for (let n = 1; ; n++) {
      const result = await attempt(url)
      if (result.ok) return result.body
      const attempts = n
      if (!result.retryable || n > retries) {
        const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
        throw new SourceUnavailableError(
          `Hugging Face Daily Papers unavailable: GET ${shown} ${result.problem} (${tries}); nothing was written`,
          { url: shown, status: result.status, attempts, cause: result.cause },
        )
      }
      const delay = Math.max(backoffMs * 2 ** (n - 1), result.retryAfterMs ?? 0)
      logger?.warn({ event: 'papers.source.retry', url: shown, attempt: n, problem: result.problem, delayMs: delay }, 'retrying papers source')
      await sleep(delay)
    }
  }

  /**
   * Every paper of one papers-day, page by page (p=0,1,… until a short page). Throws SourceUnavailableError if any
   * page cannot be had: a partial day is never returned.
   */
  async function fetchDay(date: string): Promise<DayFetch> {
    assertDay(date)
    const all: PaperInput[] = []
    const skipped: SkippedItem[] = []
    const seen = new Set<string>()
    let pages = 0
    let complete = false
    for (let p = 0; p < MAX_PAGES; p++) {
      const url = `${base}/api/daily_papers?date=${date}&limit=${PAGE_SIZE}&p=${p}`
      const body = await getJson(url)
      let parsed
      try {
        parsed = parseDailyPapers(body, p * PAGE_SIZE)
      } catch (error) {
        if (!(error instanceof DailyPapersFormatError)) throw error
        throw new SourceUnavailableError(
          `Hugging Face Daily Papers returned an unexpected body for GET ${publicUrl(url)}: ${error.message}; nothing was written`,
          { url: publicUrl(url), status: 200, attempts: 1, cause: error },
        )
      }
      pages++
      all.push(...parsed.papers)
      skipped.push(...parsed.skipped)
      const fresh = parsed.papers.filter((paper) => !seen.has(paper.id))
      for (const paper of parsed.papers) seen.add(paper.id)
      const items = (body as unknown[]).length
      if (items < PAGE_SIZE) {
        complete = true
        break
      }
      if (fresh.length === 0 && parsed.papers.length > 0) {
        logger?.warn({ event: 'papers.source.repeated_page', date, page: p }, 'page held no new papers; stopped paging')
        complete = true
        break
      }
    }
    if (!complete) logger?.warn({ event: 'papers.source.page_limit', date, pages }, `stopped after ${pages} full pages`)
    const unique = dedupeById(all)
    const papers = unique.filter((paper) => paper.day === date)
    return { date, papers, skipped, otherDays: unique.length - papers.length, pages }
  }

  return { fetchDay, parseFile: parseDailyPapersFile }
}
export type HfSource = ReturnType<typeof createHfSource>

/** Reads a saved listing (the same JSON as the API). Items may span several days; all are kept, grouped by day. */
export async function parseDailyPapersFile(path: string): Promise<ParsedFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new DailyPapersFormatError(`cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new DailyPapersFormatError(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error })
  }
  let parsed
  try {
    parsed = parseDailyPapers(json)
  } catch (error) {
    if (error instanceof DailyPapersFormatError) throw new DailyPapersFormatError(`${path}: ${error.message}`, { cause: error })
    throw error
  }
  const papers = dedupeById(parsed.papers)
  const byDay = new Map<string, PaperInput[]>()
  for (const day of [...new Set(papers.map((p) => p.day))].sort()) byDay.set(day, [])
  for (const paper of papers) byDay.get(paper.day)!.push(paper)
  return { papers, skipped: parsed.skipped, days: [...byDay.keys()], byDay }
}

import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { AppError, validationFailed } from '../errors.ts'
import { answered, attemptsText, createHttpGet, HttpUnavailableError, publicUrl, splitCredentials, type HttpGetOptions } from '../runtime/http-get.ts'
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

export interface HfSourceOptions extends Omit<HttpGetOptions, 'headers' | 'retryEvent' | 'beforeRequest'> {
  /** e.g. https://huggingface.co (HF_API_URL); may carry a path prefix. */
  baseUrl: string
}

export const PAGE_SIZE = 100
// A server that ignores `p` would hand back the same full page forever; real days have < 100 papers.
const MAX_PAGES = 20

export function assertDay(date: string): void {
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date)
  if (!valid) throw validationFailed(`date must be a calendar date written YYYY-MM-DD (got ${JSON.stringify(date)})`)
}

export function createHfSource(options: HfSourceOptions) {
  const { base, authorization } = splitCredentials(options.baseUrl)
  const logger = options.logger
  const get = createHttpGet({ ...options, headers: authorization ? { authorization } : {}, retryEvent: 'papers.source.retry' })
  const unavailable = (message: string, details: { url: string; status?: number; attempts: number; cause?: unknown }) =>
    new SourceUnavailableError(`Hugging Face Daily Papers unavailable: ${message}; nothing was written`, details)

  async function getJson(url: string): Promise<unknown> {
    let answer
    try {
      answer = await get(url, { accept: 'application/json' })
    } catch (error) {
      if (!(error instanceof HttpUnavailableError)) throw error
      throw unavailable(error.message, { url: error.url, status: error.status, attempts: error.attempts, cause: error.cause })
    }
    const { status, statusText, text, attempts } = answer
    const tries = attemptsText(attempts)
    if (status < 200 || status > 299) {
      throw unavailable(`GET ${answer.url} ${answered(status, statusText, text)} (${tries})`, { url: answer.url, status, attempts })
    }
    try {
      return JSON.parse(text) as unknown
    } catch (error) {
      throw unavailable(`GET ${answer.url} answered with a body that is not JSON (${tries})`, { url: answer.url, status, attempts, cause: error })
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

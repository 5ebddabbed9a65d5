import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createHfSource, parseDailyPapersFile, SourceUnavailableError } from '../../../src/papers/hf-source.ts'
import { createIngestService } from '../../../src/papers/ingest.service.ts'
import type { PaperInput } from '../../../src/papers/paper.schemas.ts'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/hf-daily-papers')
const JUNE_12 = path.join(FIXTURES, '2026-06-12_limit100_sotawhat.json')
const JULY_13 = path.join(FIXTURES, '2026-07-13_limit25_ai-weekly-radar.json')

type Item = Record<string, any>
const load = (file: string): Item[] => JSON.parse(readFileSync(file, 'utf8'))

/** `count` distinct papers of 2026-06-12, built from the real recording with made-up ids beyond its 30. */
function manyPapers(count: number): Item[] {
  const real = load(JUNE_12)
  return Array.from({ length: count }, (_, i) => {
    const item = structuredClone(real[i % real.length]!)
    item.paper.id = `2606.${String(90000 + i)}`
    return item
  })
}

interface Seen {
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen, n: number) => void

let server: Server | undefined

/** A real HTTP server on 127.0.0.1; `handler` answers the n-th request (0-based). */
async function serve(handler: Handler): Promise<{ baseUrl: string; requests: Seen[] }> {
  const requests: Seen[] = []
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost')
    const seen = { path: url.pathname, query: url.searchParams, headers: req.headers }
    requests.push(seen)
    handler(req, res, seen, requests.length - 1)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { baseUrl: `http://127.0.0.1:${port}`, requests }
}

afterEach(async () => {
  if (!server) return
  server.closeAllConnections()
  await new Promise((resolve) => server!.close(resolve))
  server = undefined
})

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** Serves `items` as the API does: `limit` items of page `p`. */
const pagesOf = (items: Item[]): Handler => (_req, res, seen) => {
  const limit = Number(seen.query.get('limit'))
  const p = Number(seen.query.get('p') ?? 0)
  json(res, 200, items.slice(p * limit, (p + 1) * limit))
}

function recordingSleep() {
  const delays: number[] = []
  return { delays, sleep: async (ms: number) => void delays.push(ms) }
}

async function failure(promise: Promise<unknown>): Promise<SourceUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SourceUnavailableError)
  return error as SourceUnavailableError
}

describe('the Hugging Face source, paging', () => {
  it('pages with p=0,1,2 until a page shorter than 100 and merges the pages', async () => {
    const items = manyPapers(230)
    const { baseUrl, requests } = await serve(pagesOf(items))
    const source = createHfSource({ baseUrl })

    const day = await source.fetchDay('2026-06-12')

    expect(requests.map((r) => `${r.path}?${r.query}`)).toEqual([
      '/api/daily_papers?date=2026-06-12&limit=100&p=0',
      '/api/daily_papers?date=2026-06-12&limit=100&p=1',
      '/api/daily_papers?date=2026-06-12&limit=100&p=2',
    ])
    expect(day.pages).toBe(3)
    expect(day.papers.map((p) => p.id)).toEqual(items.map((i) => i.paper.id))
    expect(day).toMatchObject({ date: '2026-06-12', skipped: [], otherDays: 0 })
  })

  it('asks for one more page after a full last page and stops at the empty one', async () => {
    const { baseUrl, requests } = await serve(pagesOf(manyPapers(200)))
    const day = await createHfSource({ baseUrl }).fetchDay('2026-06-12')
    expect(requests.map((r) => r.query.get('p'))).toEqual(['0', '1', '2'])
    expect(day.papers).toHaveLength(200)
  })

  it('fetches a single short page for a real day', async () => {
    const { baseUrl, requests } = await serve(pagesOf(load(JUNE_12)))
    const day = await createHfSource({ baseUrl }).fetchDay('2026-06-12')
    expect(requests).toHaveLength(1)
    expect(day.papers).toHaveLength(30)
  })

  it('keeps one copy of a paper that appears on two pages, with the later counts', async () => {
    const items = manyPapers(150)
    // Rankings shift while we page: the last paper of page 0 shows up again on page 1 with more upvotes.
    const moved = structuredClone(items[99]!)
    moved.paper.upvotes += 5
    const page1 = [moved, ...items.slice(100)]
    const { baseUrl } = await serve((_req, res, seen) => json(res, 200, seen.query.get('p') === '0' ? items.slice(0, 100) : page1))

    const day = await createHfSource({ baseUrl }).fetchDay('2026-06-12')

    expect(day.papers).toHaveLength(150)
    expect(new Set(day.papers.map((p) => p.id)).size).toBe(150)
    expect(day.papers.find((p) => p.id === moved.paper.id)!.upvotes).toBe(moved.paper.upvotes)
  })

  it('stops when a server ignores p and repeats the same full page', async () => {
    const page = manyPapers(100)
    const { baseUrl, requests } = await serve((_req, res) => json(res, 200, page))
    const day = await createHfSource({ baseUrl, logger: pino({ level: 'silent' }) }).fetchDay('2026-06-12')
    expect(requests).toHaveLength(2)
    expect(day.papers).toHaveLength(100)
  })

  it('drops papers of neighbouring days and counts them', async () => {
    const { baseUrl } = await serve(pagesOf(load(JULY_13)))
    const day = await createHfSource({ baseUrl }).fetchDay('2026-07-13')
    expect(day.papers).toHaveLength(14)
    expect(day.papers.every((p) => p.day === '2026-07-13')).toBe(true)
    expect(day.otherDays).toBe(11)
  })

  it('reports malformed items with their position across pages and keeps the others', async () => {
    const items = manyPapers(120)
    delete items[5]!.paper.upvotes
    items[104]!.paper.title = 17
    const { baseUrl } = await serve(pagesOf(items))
    const day = await createHfSource({ baseUrl }).fetchDay('2026-06-12')
    expect(day.papers).toHaveLength(118)
    expect(day.skipped.map((s) => s.index)).toEqual([5, 104])
  })

  it('rejects a date that is not YYYY-MM-DD before sending any request', async () => {
    const { baseUrl, requests } = await serve(pagesOf([]))
    const source = createHfSource({ baseUrl })
    await expect(source.fetchDay('2026-02-30')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' })
    await expect(source.fetchDay('12/06/2026')).rejects.toThrow(/YYYY-MM-DD/)
    expect(requests).toHaveLength(0)
  })

  it('sends credentials of the base URL as a header and never shows them in errors', async () => {
    const { baseUrl, requests } = await serve((_req, res) => json(res, 404, { error: 'Not Found' }))
    const withSecret = baseUrl.replace('http://', 'http://reader:s3cret-pw@')
    const error = await failure(createHfSource({ baseUrl: withSecret }).fetchDay('2026-06-12'))
    expect(requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('reader:s3cret-pw').toString('base64')}`)
    expect(error.message).not.toContain('s3cret-pw')
    expect(error.url).toBe(`${baseUrl}/api/daily_papers?date=2026-06-12&limit=100&p=0`)
  })
})

describe('the Hugging Face source, failures', () => {
  it('retries a 503 and returns the day from the next answer', async () => {
    const items = load(JUNE_12)
    const { baseUrl, requests } = await serve((req, res, seen, n) => (n === 0 ? json(res, 503, { error: 'busy' }) : pagesOf(items)(req, res, seen, n)))
    const { delays, sleep } = recordingSleep()

    const day = await createHfSource({ baseUrl, sleep }).fetchDay('2026-06-12')

    expect(day.papers).toHaveLength(30)
    expect(requests).toHaveLength(2)
    expect(delays).toEqual([500])
  })

  it('retries a 429 after the delay the server asks for', async () => {
    const { baseUrl, requests } = await serve((req, res, seen, n) =>
      n === 0 ? json(res, 429, { error: 'slow down' }, { 'retry-after': '3' }) : pagesOf(load(JUNE_12))(req, res, seen, n),
    )
    const { delays, sleep } = recordingSleep()
    await createHfSource({ baseUrl, sleep }).fetchDay('2026-06-12')
    expect(requests).toHaveLength(2)
    expect(delays).toEqual([3000])
  })

  it('gives up after the retries with exponential backoff and says what failed', async () => {
    const { baseUrl, requests } = await serve((_req, res) => json(res, 502, { error: 'bad gateway' }))
    const { delays, sleep } = recordingSleep()

    const error = await failure(createHfSource({ baseUrl, sleep, retries: 3, backoffMs: 100 }).fetchDay('2026-06-12'))

    expect(requests).toHaveLength(4)
    expect(delays).toEqual([100, 200, 400])
    expect(error.status).toBe(502)
    expect(error.attempts).toBe(4)
    expect(error.code).toBe('SERVICE_UNAVAILABLE')
    expect(error.message).toContain('HTTP 502')
    expect(error.message).toContain(`${baseUrl}/api/daily_papers?date=2026-06-12&limit=100&p=0`)
    expect(error.message).toContain('4 attempts')
    expect(error.message).toContain('nothing was written')
  })

  it('fails at once on a 400, without retrying', async () => {
    const { baseUrl, requests } = await serve((_req, res) => json(res, 400, { error: 'Invalid date' }))
    const { delays, sleep } = recordingSleep()

    const error = await failure(createHfSource({ baseUrl, sleep }).fetchDay('2026-06-12'))

    expect(requests).toHaveLength(1)
    expect(delays).toEqual([])
    expect(error.status).toBe(400)
    expect(error.message).toMatch(/HTTP 400.*Invalid date.*1 attempt\)/)
  })

  it('times out a request that never answers, retries it, then gives up', async () => {
    const { baseUrl, requests } = await serve(() => {
      // Never answer.
    })
    const error = await failure(createHfSource({ baseUrl, timeoutMs: 150, retries: 1, sleep: async () => {} }).fetchDay('2026-06-12'))
    expect(requests).toHaveLength(2)
    expect(error.message).toContain('timed out after 150 ms')
    expect(error.status).toBeUndefined()
  })

  it('times out a response whose body stalls after the headers', async () => {
    const { baseUrl } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[{"paper":')
    })
    const error = await failure(createHfSource({ baseUrl, timeoutMs: 150, retries: 0 }).fetchDay('2026-06-12'))
    expect(error.message).toContain('timed out after 150 ms')
  })

  it('retries when the connection is refused and reports a network error', async () => {
    const { baseUrl } = await serve(() => {})
    server!.closeAllConnections()
    await new Promise((resolve) => server!.close(resolve))
    server = undefined
    const { delays, sleep } = recordingSleep()

    const error = await failure(createHfSource({ baseUrl, retries: 2, sleep }).fetchDay('2026-06-12'))

    expect(delays).toHaveLength(2)
    expect(error.message).toMatch(/network error \(ECONNREFUSED\)/)
  })

  it('fails at once on a body that is not a list of papers', async () => {
    const { baseUrl, requests } = await serve((_req, res) => json(res, 200, { error: 'maintenance' }))
    const error = await failure(createHfSource({ baseUrl, sleep: async () => {} }).fetchDay('2026-06-12'))
    expect(requests).toHaveLength(1)
    expect(error.message).toMatch(/unexpected body.*expected a JSON array.*nothing was written/)
  })

  it('fails the whole day when a later page cannot be fetched, and the ingest writes nothing', async () => {
    const items = manyPapers(150)
    const { baseUrl } = await serve((req, res, seen, n) =>
      seen.query.get('p') === '1' ? json(res, 503, { error: 'busy' }) : pagesOf(items)(req, res, seen, n),
    )
    const written: PaperInput[][] = []
    const ingest = createIngestService({
      source: createHfSource({ baseUrl, retries: 1, sleep: async () => {} }),
      papers: { upsertMany: async (papers) => (written.push([...papers]), { inserted: papers.length, updated: 0, unchanged: 0 }) },
      logger: pino({ level: 'silent' }),
    })

    const error = await failure(ingest.ingestDay('2026-06-12'))

    expect(error.message).toContain('p=1')
    expect(written).toEqual([])
  })
})

describe('parseDailyPapersFile', () => {
  it('keeps every day of a saved listing, grouped by day', async () => {
    const file = await parseDailyPapersFile(JULY_13)
    expect(file.days).toEqual(['2026-07-10', '2026-07-13'])
    expect(file.byDay.get('2026-07-10')).toHaveLength(11)
    expect(file.byDay.get('2026-07-13')).toHaveLength(14)
    expect(file.papers).toHaveLength(25)
    expect(file.skipped).toEqual([])
  })

  it('says which file is missing or is not a listing', async () => {
    await expect(parseDailyPapersFile(path.join(FIXTURES, 'nope.json'))).rejects.toThrow(/cannot read .*nope\.json/)
    await expect(parseDailyPapersFile(import.meta.filename)).rejects.toThrow(/hf-source\.test\.ts is not valid JSON/)
  })
})

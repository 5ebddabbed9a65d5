import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Redis } from 'ioredis'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ArxivUnavailableError, createArxivClient, createRedisGate, type RequestGate } from '../../../src/arxiv/arxiv-client.ts'
import { createEnrichmentService } from '../../../src/arxiv/enrichment.service.ts'
import { createPool, createPrisma } from '../../../src/db/client.ts'
import { createPaperRepository } from '../../../src/papers/paper.repository.ts'
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/env.ts'
import { createLocalGate } from '../../helpers/gates.ts'
import { uniqueDay } from '../../helpers/papers.ts'

/**
 * The arXiv lookup against a real HTTP server answering with the recorded arXiv responses (tests/fixtures/arxiv), and
 * the real PostgreSQL. The recorded 60-entry feed stands for arXiv's knowledge: a request gets the recorded entries of
 * the ids it asks for, in the API's own format.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/arxiv')
const FEED = readFileSync(path.join(FIXTURES, 'api_2026-07-27_cs-AI-LG-CL-CV-RO-NE_max60_good-feed.xml'), 'utf8')
const recorded = (file: string) => (JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { status_code: number; body: string })
const EMPTY = recorded('api_2026-04-12_id_list-0000.0000_empty-result_recorded_arxiv.py.json')
const REFUSED_ABC = recorded('api_2026-04-12_id_list-abc_http400-error_recorded_arxiv.py.json')

const head = FEED.slice(0, FEED.indexOf('<entry>'))
const entries = new Map(
  [...FEED.matchAll(/<entry>[\s\S]*?<\/entry>/g)].map(([entry]) => [/<id>http:\/\/arxiv\.org\/abs\/([^<]+?)v\d+<\/id>/.exec(entry)![1]!, entry]),
)
const KNOWN = [...entries.keys()]

/** The recorded feed's entries for the ids asked, as the API answers an id_list query. */
function feedFor(ids: string[]): string {
  const found = ids.flatMap((id) => entries.get(id) ?? [])
  return `${head.replace(/<opensearch:totalResults>\d+/, `<opensearch:totalResults>${found.length}`)}${found.join('\n  ')}\n</feed>\n`
}

interface Seen {
  ids: string[]
  headers: IncomingMessage['headers']
}
let server: Server | undefined
async function serve(answer: (ids: string[], res: ServerResponse, n: number) => void): Promise<{ baseUrl: string; requests: Seen[] }> {
  const requests: Seen[] = []
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost')
    const ids = (url.searchParams.get('id_list') ?? '').split(',').filter(Boolean)
    requests.push({ ids, headers: req.headers })
    if (url.pathname !== '/api/query' || Number(url.searchParams.get('max_results')) !== ids.length) {
      res.writeHead(400).end('unexpected request')
      return
    }
    answer(ids, res, requests.length - 1)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}
const atom = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'application/atom+xml; charset=utf-8' }).end(body)
/** Answers as arXiv does: the recorded error feed when the list holds "abc", else the entries it knows. */
const arxiv = (ids: string[], res: ServerResponse) => (ids.includes('abc') ? atom(res, REFUSED_ABC.status_code, REFUSED_ABC.body) : atom(res, 200, feedFor(ids)))

afterEach(async () => {
  if (!server) return
  server.closeAllConnections()
  await new Promise((resolve) => server!.close(resolve))
  server = undefined
})

const pool = createPool(TEST_DATABASE_URL, { max: 4 })
const db = createPrisma(pool)
const papers = createPaperRepository(db, pool)
const silent = pino({ level: 'silent' })

afterAll(async () => {
  await db.$disconnect()
  await pool.end()
})

/** A clock the test moves, and a gate on it that records what each request waited. */
function fakeClock(start = Date.parse('2026-08-01T08:00:00Z')) {
  let now = start
  const waits: number[] = []
  const clock = { now: () => now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) }
  return { clock, waits, advance: (ms: number) => (now += ms), date: () => new Date(now) }
}

function service(baseUrl: string, options: { gate?: RequestGate; retries?: number; now?: () => Date; sleep?: (ms: number) => Promise<void> } = {}) {
  const { clock } = fakeClock()
  return createEnrichmentService({
    client: createArxivClient({
      baseUrl,
      userAgent: 'Paperboy/test (+https://paperboy.example)',
      gate: options.gate ?? createLocalGate(3_000, clock),
      retries: options.retries ?? 0,
      backoffMs: 10,
      sleep: options.sleep ?? (async () => {}),
      timeoutMs: 2_000,
    }),
    papers,
    logger: silent,
    now: options.now,
  })
}

/** Stores papers with these ids on a day of their own; every other open paper is put out of the way. */
async function storePapers(ids: string[]) {
  const day = uniqueDay()
  // The lookup asks about every open paper in the database; papers of other test files are not this test's business.
  await db.paper.updateMany({ where: { arxivStatus: { in: ['pending', 'missing'] } }, data: { arxivStatus: 'invalid' } })
  await db.paper.deleteMany({ where: { id: { in: ids } } })
  await db.paper.createMany({ data: ids.map((id) => ({ id, title: `Paper ${id}`, summary: 'An abstract.', day: new Date(`${day}T00:00:00Z`) })) })
}
const rowsOf = (ids: string[]) =>
  db.paper.findMany({
    where: { id: { in: ids } },
    select: { id: true, arxivStatus: true, arxivAttempts: true, arxivCategories: true, arxivPrimaryCategory: true, arxivComment: true, arxivJournalRef: true },
  })

describe('the arXiv lookup', () => {
  it('stores the categories (primary first), primary category and comment of every paper arXiv knows, in one request per 100', async () => {
    const ids = [...KNOWN, '2607.99999']
    await storePapers(ids)
    const { baseUrl, requests } = await serve(arxiv)

    const result = await service(baseUrl).enrichOpen()

    expect(result).toEqual({ batches: 1, found: 60, missing: 1, invalid: 0, more: false })
    expect(requests).toHaveLength(1)
    expect(requests[0]!.ids.sort()).toEqual([...ids].sort())
    expect(requests[0]!.headers['user-agent']).toBe('Paperboy/test (+https://paperboy.example)')
    const rows = new Map((await rowsOf(ids)).map((r) => [r.id, r]))
    expect(rows.get('2607.22535')).toEqual({
      id: '2607.22535', arxivStatus: 'found', arxivAttempts: 1, arxivCategories: ['cs.RO', 'cs.CV'], arxivPrimaryCategory: 'cs.RO',
      arxivComment: 'Project Page: https://bjkim95.github.io/rofacto/', arxivJournalRef: null,
    })
    expect([...rows.values()].filter((r) => r.arxivStatus === 'found')).toHaveLength(60)
    expect([...rows.values()].filter((r) => r.arxivJournalRef !== null)).toHaveLength(1)
    expect(rows.get('2607.99999')).toMatchObject({ arxivStatus: 'missing', arxivAttempts: 1, arxivCategories: [] })
    // nothing left to ask about
    expect(await service(baseUrl).enrichOpen()).toEqual({ batches: 0, found: 0, missing: 0, invalid: 0, more: false })
    expect(requests).toHaveLength(1)
  })

  it('sends 100 ids a request and stops after the batch limit, saying more are waiting', async () => {
    const ids = Array.from({ length: 230 }, (_, i) => `2699.${String(10000 + i)}`)
    await storePapers(ids)
    const { baseUrl, requests } = await serve(arxiv)
    expect(await service(baseUrl).enrichOpen({ maxBatches: 2 })).toEqual({ batches: 2, found: 0, missing: 200, invalid: 0, more: true })
    expect(requests.map((r) => r.ids.length)).toEqual([100, 100])
    expect(await service(baseUrl).enrichOpen()).toMatchObject({ batches: 1, missing: 30, more: false })
  })

  it('asks again about an id arXiv did not know, hours apart (1, 2, 4, 8 h), five times in all', async () => {
    await storePapers(['2607.88888'])
    const { baseUrl, requests } = await serve((_ids, res) => atom(res, EMPTY.status_code, EMPTY.body))
    const clock = fakeClock()
    const lookup = () => service(baseUrl, { now: clock.date }).enrichOpen()

    await lookup()
    const asked = [0]
    for (const [waitHours, expectRequest] of [[0.5, false], [0.6, true], [1.9, false], [0.2, true], [4, true], [8, true], [100, false]] as const) {
      clock.advance(waitHours * 3_600_000)
      const before = requests.length
      await lookup()
      expect(requests.length - before, `after ${waitHours} h more`).toBe(expectRequest ? 1 : 0)
      if (expectRequest) asked.push(1)
    }
    expect(asked).toHaveLength(5)
    expect(await rowsOf(['2607.88888'])).toEqual([expect.objectContaining({ arxivStatus: 'missing', arxivAttempts: 5 })])
  })

  it('marks an id the API refuses (the recorded HTTP 400) invalid, asks again for the rest, and never asks about it again', async () => {
    const ids = ['abc', '2607.22535', '2607.22534']
    await storePapers(ids)
    const { baseUrl, requests } = await serve(arxiv)

    expect(await service(baseUrl).enrichOpen()).toEqual({ batches: 1, found: 2, missing: 0, invalid: 1, more: false })

    expect(requests.map((r) => r.ids.includes('abc'))).toEqual([true, false])
    const rows = new Map((await rowsOf(ids)).map((r) => [r.id, r]))
    expect(rows.get('abc')).toMatchObject({ arxivStatus: 'invalid', arxivCategories: [] })
    expect(rows.get('2607.22534')).toMatchObject({ arxivStatus: 'found', arxivPrimaryCategory: 'cs.CV' })
    await service(baseUrl).enrichOpen()
    expect(requests).toHaveLength(2)
  })

  it('never sends an id that would change the query (a comma, a space)', async () => {
    await storePapers(['2607.22535', 'x,y', 'a b'])
    const { baseUrl, requests } = await serve(arxiv)
    expect(await service(baseUrl).enrichOpen()).toMatchObject({ found: 1, invalid: 2 })
    expect(requests.map((r) => r.ids)).toEqual([['2607.22535']])
  })

  it('retries a 503 with backoff, and each attempt waits for its turn at the gate', async () => {
    await storePapers(['2607.22535'])
    const { baseUrl, requests } = await serve((ids, res, n) => (n < 2 ? atom(res, 503, 'busy') : arxiv(ids, res)))
    const { clock, waits } = fakeClock()
    const backoffs: number[] = []

    const result = await service(baseUrl, { gate: createLocalGate(3_000, clock), retries: 3, sleep: async (ms) => void backoffs.push(ms) }).enrichOpen()

    expect(result).toMatchObject({ found: 1 })
    expect(requests).toHaveLength(3)
    expect(backoffs).toEqual([10, 20])
    // the first request goes at once; each later one waits out the 3 s since the one before (backoff sleeps are
    // not on the gate's clock, so here the gate waits the whole 3 s)
    expect(waits).toEqual([3_000, 3_000])
  })

  it('halves a batch whose answer cannot be read until the paper that causes it stands alone, and keeps asking for the rest', async () => {
    const ids = ['2607.22535', '2607.22534', '2607.66666', '2607.22531']
    await storePapers(ids)
    // The API answers with an error feed naming no id whenever the batch holds 2607.66666.
    const poisoned = REFUSED_ABC.body.replace('incorrect_id_format_for_abc', 'internal_error').replace('incorrect id format for abc', 'internal error')
    const { baseUrl, requests } = await serve((asked, res) => (asked.includes('2607.66666') ? atom(res, 200, poisoned) : arxiv(asked, res)))

    expect(await service(baseUrl).enrichOpen()).toEqual({ batches: 1, found: 3, missing: 0, invalid: 1, more: false })

    // all four, then halves, then the poisoned half's halves
    expect(requests.map((r) => r.ids.length)).toEqual([4, 2, 2, 1, 1])
    expect(await rowsOf(['2607.66666'])).toEqual([expect.objectContaining({ arxivStatus: 'invalid' })])
  })

  it('waits at the gate before every attempt, retries included', async () => {
    await storePapers(['2607.22535'])
    const { baseUrl, requests } = await serve((ids, res, n) => (n < 2 ? atom(res, 429, 'slow down') : arxiv(ids, res)))
    let waits = 0
    const counting: RequestGate = { wait: async () => void waits++ }
    await service(baseUrl, { gate: counting, retries: 3 }).enrichOpen()
    expect(requests).toHaveLength(3)
    expect(waits).toBe(3)
  })

  it('says what failed when the API stays down, and leaves the papers as they were', async () => {
    await storePapers(['2607.22535'])
    const { baseUrl, requests } = await serve((_ids, res) => res.writeHead(500).end('<html>Internal Server Error</html>'))

    const error = await service(baseUrl, { retries: 2 }).enrichOpen().then(() => undefined, (e: unknown) => e)

    expect(error).toBeInstanceOf(ArxivUnavailableError)
    expect((error as Error).message).toMatch(/^arXiv API unavailable: GET http:\/\/127\.0\.0\.1:\d+\/api\/query\?id_list=2607\.22535&max_results=1 answered HTTP 500/)
    expect((error as Error).message).toContain('(3 attempts)')
    expect(requests).toHaveLength(3)
    expect(await rowsOf(['2607.22535'])).toEqual([expect.objectContaining({ arxivStatus: 'pending', arxivAttempts: 0 })])
  })

  it('says so when the API answers with something that is not a feed', async () => {
    await storePapers(['2607.22535'])
    const { baseUrl } = await serve((_ids, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Rate limited</body></html>'))
    await expect(service(baseUrl).enrichOpen()).rejects.toThrow(/answered GET .* \(HTTP 200\) with something that is not a feed: not an Atom feed/)
    expect(await rowsOf(['2607.22535'])).toEqual([expect.objectContaining({ arxivStatus: 'pending' })])
  })
})

describe('the shared gate (Redis)', () => {
  const key = `paperboy-test:arxiv-gate:${process.pid}:${Date.now()}`
  const connections: Redis[] = []
  beforeAll(() => {
    connections.push(new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL))
  })
  afterAll(async () => {
    await connections[0]!.del(key)
    for (const c of connections) c.disconnect()
  })

  it('lets one process through and makes another wait out the interval', async () => {
    const slept: number[] = []
    const sleep = (ms: number) => (slept.push(ms), new Promise<void>((resolve) => setTimeout(resolve, ms)))
    const first = createRedisGate(connections[0]!, key, 400, sleep)
    const second = createRedisGate(connections[1]!, key, 400, sleep)

    await first.wait()
    expect(slept).toEqual([])
    await second.wait()

    // the second found the key taken, waited its remaining time, then took it
    expect(slept.length).toBeGreaterThanOrEqual(1)
    expect(slept[0]).toBeGreaterThan(0)
    expect(slept[0]).toBeLessThanOrEqual(400)
    expect(await connections[0]!.pttl(key)).toBeGreaterThan(0)
  })
})

import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { createPool, createPrisma, type Db } from '../../../src/db/client.ts'
import { createHfSource, SourceUnavailableError } from '../../../src/papers/hf-source.ts'
import { createIngestService } from '../../../src/papers/ingest.service.ts'
import { createPaperRepository } from '../../../src/papers/paper.repository.ts'
import { parseDailyPapers, type PaperInput } from '../../../src/papers/paper.schemas.ts'
import { TEST_DATABASE_URL } from '../../helpers/env.ts'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/hf-daily-papers')
const JUNE_12 = path.join(FIXTURES, '2026-06-12_limit100_sotawhat.json')
const JULY_13 = path.join(FIXTURES, '2026-07-13_limit25_ai-weekly-radar.json')

type Item = Record<string, any>

let db: Db
let pool: pg.Pool
let server: Server
let baseUrl: string
let tmp: string
/** What the fake Hugging Face serves, per requested date; a test sets its own day. */
const listings = new Map<string, Item[] | 'down'>()

beforeAll(async () => {
  db = createPrisma(TEST_DATABASE_URL, { max: 4 })
  pool = createPool(TEST_DATABASE_URL, { max: 2 })
  tmp = await mkdtemp(path.join(tmpdir(), 'paperboy-ingest-'))
  server = createServer((req, res) => {
    const q = new URL(req.url!, 'http://localhost').searchParams
    const listing = listings.get(q.get('date') ?? '')
    if (listing === 'down') {
      res.writeHead(503).end('busy')
      return
    }
    const limit = Number(q.get('limit'))
    const p = Number(q.get('p'))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify((listing ?? []).slice(p * limit, (p + 1) * limit)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await rm(tmp, { recursive: true, force: true })
  await db?.$disconnect()
  await pool?.end()
})

// Far in the future, from a random start per run: other test files share the database and use real dates.
const FIRST_DAY = Date.UTC(2031, 0, 1) + randomBytes(2).readUInt16BE() * 86_400_000
let dayCounter = 0
/** A papers-day no other test uses. */
const freshDay = () => new Date(FIRST_DAY + dayCounter++ * 86_400_000).toISOString().slice(0, 10)

/** A real recorded listing moved to `day`, with ids unique to this test. */
function listingFor(day: string, file = JUNE_12): Item[] {
  const tag = randomBytes(4).toString('hex')
  const items: Item[] = JSON.parse(readFileSync(file, 'utf8'))
  for (const [i, item] of items.entries()) {
    item.paper.id = `${tag}.${String(i).padStart(5, '0')}`
    item.paper.submittedOnDailyAt = `${day}T00:00:00.000Z`
  }
  return items
}

const build = (onNewPapers?: () => Promise<void>) => {
  const papers = createPaperRepository(db, pool)
  const ingest = createIngestService({
    source: createHfSource({ baseUrl, retries: 1, sleep: async () => {} }),
    papers,
    logger: pino({ level: 'silent' }),
    onNewPapers,
  })
  return { papers, ingest }
}

describe('ingesting a papers-day into Postgres', () => {
  it('stores a day once, then a re-run updates counts and adds late papers without duplicating any', async () => {
    const { papers, ingest } = build()
    const day = freshDay()
    const items = listingFor(day)
    const late = items.splice(25)
    listings.set(day, items)

    const first = await ingest.ingestDay(day)
    expect(first).toEqual({ days: [day], fetched: 25, inserted: 25, updated: 0, unchanged: 0, skipped: 0, otherDays: 0 })
    expect(await papers.countByDay(day)).toBe(25)

    const versions = async () => new Map((await db.$queryRaw<{ id: string; v: string }[]>`SELECT id, xmin::text AS v FROM papers WHERE day = ${day}::date`).map((r) => [r.id, r.v]))
    const before = await versions()
    const bumped = items[4]!
    bumped.paper.upvotes += 40
    bumped.numComments += 2
    listings.set(day, [...items, ...late])

    const second = await ingest.ingestDay(day)
    expect(second).toEqual({ days: [day], fetched: 30, inserted: 5, updated: 1, unchanged: 24, skipped: 0, otherDays: 0 })
    expect(await papers.countByDay(day)).toBe(30)
    const stored = await db.paper.findUniqueOrThrow({ where: { id: bumped.paper.id } })
    expect(stored.upvotes).toBe(bumped.paper.upvotes)
    expect(stored.numComments).toBe(bumped.numComments)
    // the bumped row was rewritten (a new row version), the 24 unchanged ones were not
    const after = await versions()
    expect([...before].filter(([id, v]) => after.get(id) !== v).map(([id]) => id)).toEqual([bumped.paper.id])

    const third = await ingest.ingestDay(day)
    expect(third).toMatchObject({ inserted: 0, updated: 0, unchanged: 30 })
    expect(await papers.countByDay(day)).toBe(30)
  })

  it('stores every column of a real paper, and the search vector is generated', async () => {
    const { ingest } = build()
    const day = freshDay()
    const items = listingFor(day)
    listings.set(day, items)
    await ingest.ingestDay(day)

    const source = items.find((i) => i.paper.organization && i.paper.githubRepo && typeof i.paper.githubStars === 'number')!
    const expected = parseDailyPapers([source]).papers[0]!
    const stored = await db.paper.findUniqueOrThrow({ where: { id: source.paper.id } })
    expect(stored).toMatchObject({
      title: expected.title,
      summary: expected.summary,
      authors: expected.authors,
      aiSummary: expected.aiSummary,
      aiKeywords: expected.aiKeywords,
      upvotes: expected.upvotes,
      numComments: expected.numComments,
      githubRepo: expected.githubRepo,
      githubStars: expected.githubStars,
      projectPage: expected.projectPage,
      organization: expected.organization,
      thumbnail: expected.thumbnail,
      day: new Date(`${day}T00:00:00.000Z`),
      publishedAt: expected.publishedAt,
    })

    const [filled] = await db.$queryRaw<{ total: number; with_search: number }[]>`
      SELECT count(*)::int AS total, count(*) FILTER (WHERE search IS NOT NULL)::int AS with_search
      FROM papers WHERE day = ${day}::date`
    expect(filled).toEqual({ total: 30, with_search: 30 })

    // The vector is usable: a word of the title (stemmed) finds the paper.
    const word = expected.title.split(/\W+/).find((w) => w.length > 6)!
    const [hit] = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM papers WHERE day = ${day}::date AND id = ${source.paper.id} AND search @@ plainto_tsquery('english', ${word})`
    expect(hit?.id).toBe(source.paper.id)
  })

  it('keeps what an earlier run learned when a later response leaves optional fields out, and keeps the first day', async () => {
    const { ingest } = build()
    const day = freshDay()
    const items = listingFor(day)
    const item = items.find((i) => i.paper.githubRepo && typeof i.paper.githubStars === 'number' && i.paper.organization)!
    listings.set(day, [item])
    await ingest.ingestDay(day)
    const before = await db.paper.findUniqueOrThrow({ where: { id: item.paper.id } })
    expect(before.aiSummary).not.toBeNull()

    const thinner = structuredClone(item)
    for (const key of ['ai_summary', 'ai_keywords', 'ai_summary_model', 'githubStars', 'organization']) delete thinner.paper[key]
    delete thinner.organization
    thinner.paper.upvotes += 1
    listings.set(day, [thinner])
    expect(await ingest.ingestDay(day)).toMatchObject({ updated: 1 })

    const after = await db.paper.findUniqueOrThrow({ where: { id: item.paper.id } })
    expect(after).toMatchObject({
      upvotes: before.upvotes + 1,
      aiSummary: before.aiSummary,
      aiKeywords: before.aiKeywords,
      githubStars: before.githubStars,
      organization: before.organization,
    })

    // The same paper listed again on a later day stays in the edition where it first appeared.
    const later = freshDay()
    const moved = structuredClone(thinner)
    moved.paper.submittedOnDailyAt = `${later}T00:00:00.000Z`
    listings.set(later, [moved])
    expect(await ingest.ingestDay(later)).toMatchObject({ inserted: 0 })
    expect((await db.paper.findUniqueOrThrow({ where: { id: item.paper.id } })).day).toEqual(new Date(`${day}T00:00:00.000Z`))
  })

  it('drops neighbouring days returned by the source', async () => {
    const { papers, ingest } = build()
    const day = freshDay()
    const neighbour = freshDay()
    const items = listingFor(day, JULY_13)
    for (const item of items.slice(0, 11)) item.paper.submittedOnDailyAt = `${neighbour}T00:00:00.000Z`
    listings.set(day, items)

    expect(await ingest.ingestDay(day)).toMatchObject({ days: [day], fetched: 14, inserted: 14, otherDays: 11 })
    expect(await papers.countByDay(day)).toBe(14)
    expect(await papers.countByDay(neighbour)).toBe(0)
  })

  it('writes nothing when the source fails', async () => {
    const { papers, ingest } = build()
    const day = freshDay()
    listings.set(day, 'down')
    await expect(ingest.ingestDay(day)).rejects.toBeInstanceOf(SourceUnavailableError)
    expect(await papers.countByDay(day)).toBe(0)
  })

  it('ingests a saved file that spans two days, keeping both', async () => {
    const { papers, ingest } = build()
    const [early, late] = [freshDay(), freshDay()].sort() as [string, string]
    const items = listingFor(late, JULY_13)
    for (const item of items.slice(14)) item.paper.submittedOnDailyAt = `${early}T00:00:00.000Z`
    delete items[0]!.paper.upvotes
    const file = path.join(tmp, `${late}.json`)
    await writeFile(file, JSON.stringify(items))

    const result = await ingest.ingestFile(file)

    expect(result).toEqual({ days: [early, late], fetched: 24, inserted: 24, updated: 0, unchanged: 0, skipped: 1, otherDays: 0 })
    expect(await papers.countByDay(late)).toBe(13)
    expect(await papers.countByDay(early)).toBe(11)
  })

  it('asks for an arXiv lookup when it stored new papers, and only then, however the ingest was run', async () => {
    let lookups = 0
    const { ingest } = build(async () => void lookups++)
    const day = freshDay()
    listings.set(day, listingFor(day))
    await ingest.ingestDay(day)
    expect(lookups).toBe(1)
    await ingest.ingestDay(day) // nothing new
    expect(lookups).toBe(1)
    const file = path.join(tmp, `lookup-${day}.json`)
    await writeFile(file, JSON.stringify(listingFor(freshDay(), JULY_13)))
    await ingest.ingestFile(file) // the CLI's saved listing
    expect(lookups).toBe(2)
  })

  it('stores the papers even when the lookup cannot be queued', async () => {
    const { papers, ingest } = build(async () => { throw new Error('Redis is down') })
    const day = freshDay()
    listings.set(day, listingFor(day))
    await expect(ingest.ingestDay(day)).resolves.toMatchObject({ inserted: 30 })
    expect(await papers.countByDay(day)).toBe(30)
  })
})

describe('the paper repository', () => {
  it('lists a day most upvoted first', async () => {
    const { papers } = build()
    const day = freshDay()
    const rows = parseDailyPapers(listingFor(day)).papers
    await papers.upsertMany(rows)

    const listed = await papers.listByDay(day)

    expect(listed).toHaveLength(30)
    const upvotes = listed.map((p) => p.upvotes)
    expect(upvotes).toEqual([...upvotes].sort((a, b) => b - a))
    expect(upvotes[0]).toBe(Math.max(...rows.map((r) => r.upvotes)))
    expect(listed.every((p) => p.day.toISOString() === `${day}T00:00:00.000Z`)).toBe(true)
  })

  it('finds papers by id in the order asked, with what a digest shows of them, leaving out unknown ids', async () => {
    const { papers } = build()
    const day = freshDay()
    const rows = parseDailyPapers(listingFor(day)).papers.slice(0, 3)
    const withRepo = { ...rows[0]!, githubRepo: 'https://github.com/o/r', githubStars: 12, organization: 'Lab', aiSummary: 'In short.' }
    const bare = { ...rows[1]!, githubRepo: null, githubStars: null, organization: null, aiSummary: null }
    await papers.upsertMany([withRepo, bare, rows[2]!])

    const found = await papers.findByIds([rows[2]!.id, 'no-such-paper', bare.id, withRepo.id])

    expect(found.map((p) => p.id)).toEqual([rows[2]!.id, bare.id, withRepo.id])
    const pick = (p: PaperInput, primaryCategory: string | null = null) => ({ id: p.id, title: p.title, summary: p.summary, aiSummary: p.aiSummary, authors: p.authors, organization: p.organization, upvotes: p.upvotes, githubRepo: p.githubRepo, githubStars: p.githubStars, primaryCategory })
    expect(found[1]).toEqual(pick(bare))
    expect(found[2]).toEqual(pick(withRepo))
    // the arXiv lookup's primary category, once it has answered
    await papers.recordArxiv({ found: new Map([[withRepo.id, { categories: ['cs.CL', 'cs.AI'], primaryCategory: 'cs.CL', comment: null, journalRef: null }]]), missing: [], invalid: [] }, new Date())
    expect((await papers.findByIds([withRepo.id]))[0]).toEqual(pick(withRepo, 'cs.CL'))
    expect(await papers.findByIds([])).toEqual([])
  })

  it('accepts the same paper twice in one batch and keeps the last copy', async () => {
    const { papers } = build()
    const day = freshDay()
    const [a] = parseDailyPapers(listingFor(day).slice(0, 1)).papers
    const result = await papers.upsertMany([a!, { ...a!, upvotes: 999 }])
    expect(result).toEqual({ inserted: 1, updated: 0, unchanged: 0 })
    expect((await db.paper.findUniqueOrThrow({ where: { id: a!.id } })).upvotes).toBe(999)
  })

  it('does nothing for an empty batch', async () => {
    const { papers } = build()
    expect(await papers.upsertMany([])).toEqual({ inserted: 0, updated: 0, unchanged: 0 })
  })

  it('never duplicates a paper when two ingests of the same day run at once', async () => {
    const { papers } = build()
    const day = freshDay()
    const rows = parseDailyPapers(listingFor(day)).papers
    const results = await Promise.all([papers.upsertMany(rows), papers.upsertMany(rows.map((r) => ({ ...r, upvotes: r.upvotes + 1 })))])
    expect(results[0]!.inserted + results[1]!.inserted).toBe(30)
    expect(await papers.countByDay(day)).toBe(30)
  })

  it('stores nothing of a batch when one row is rejected by the database', async () => {
    const { papers } = build()
    const day = freshDay()
    const rows = parseDailyPapers(listingFor(day)).papers
    // Only the database can refuse this one (an int column overflow): the whole batch must go with it.
    rows[29] = { ...rows[29]!, upvotes: 2 ** 40 }
    await expect(papers.upsertMany(rows)).rejects.toThrow()
    expect(await papers.countByDay(day)).toBe(0)
  })
})

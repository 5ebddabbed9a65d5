import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrisma } from '../../../src/db/client.ts'
import { addDays } from '../../../src/digests/schedule.ts'
import { TEST_APP_SECRET, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/env.ts'
import { JUNE_12, pauseEveryoneElse, relabelledListing, uniqueDay } from '../../helpers/papers.ts'
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts'
import { anEmail } from '../../helpers/test-app.ts'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../../..')
let smtp: SmtpSink
let arxiv: Server
let arxivUrl: string
const arxivAsked: string[][] = []
const prisma = createPrisma(TEST_DATABASE_URL)
const prefix = `cli-${randomUUID()}`

beforeAll(async () => {
  smtp = await startSmtpSink()
  // An arXiv API that knows none of the papers asked about: the recorded empty answer.
  const empty = JSON.parse(await readFile(path.join(ROOT, 'tests/fixtures/arxiv/api_2026-04-12_id_list-0000.0000_empty-result_recorded_arxiv.py.json'), 'utf8')).body as string
  arxiv = createServer((req, res) => {
    arxivAsked.push((new URL(req.url!, 'http://x').searchParams.get('id_list') ?? '').split(','))
    res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(empty)
  })
  await new Promise<void>((resolve) => arxiv.listen(0, '127.0.0.1', resolve))
  arxivUrl = `http://127.0.0.1:${(arxiv.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => arxiv.close(resolve))
  await smtp.close()
  await prisma.$disconnect()
})

/** Runs the CLI as an operator would, with the service's environment. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWith({}, ...args)
}
async function cliWith(over: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL,
    SMTP_URL: smtp.url, APP_SECRET: TEST_APP_SECRET, QUEUE_PREFIX: prefix, PUBLIC_URL: 'http://paperboy.test', LOG_LEVEL: 'error', ARXIV_API_URL: arxivUrl,
    ...over,
  }
  try {
    const { stdout, stderr } = await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/cli.ts', ...args], { cwd: ROOT, env, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('the operator CLI', { timeout: 300_000 }, () => {
  it('ingests a saved listing, previews a digest, sends the edition once with progress, and reports stats', async () => {
    const day = uniqueDay()
    const listing = await relabelledListing(JUNE_12, day)
    const ingest = await cli('ingest', '--file', listing.file)
    expect(ingest.code).toBe(0)
    expect(ingest.stdout).toContain(`ingested 30 papers for ${day}: 30 new`)

    // The arXiv lookup of what was ingested (other test files' papers are not this test's business).
    const mine = listing.items.map((i) => i.paper.id)
    await prisma.paper.updateMany({ where: { arxivStatus: { in: ['pending', 'missing'] }, id: { notIn: mine } }, data: { arxivStatus: 'invalid' } })
    const enrich = await cli('enrich')
    expect(enrich.code, enrich.stderr).toBe(0)
    expect(enrich.stdout).toContain('arXiv lookup: 1 batch(es), 0 found, 30 unknown to arXiv, 0 refused')
    expect(arxivAsked.at(-1)!.sort()).toEqual([...mine].sort())
    expect(await prisma.paper.count({ where: { id: { in: mine }, arxivStatus: 'missing' } })).toBe(30)
    expect((await cli('enrich')).stdout).toContain('every paper has been looked up on arXiv')

    await pauseEveryoneElse(prisma)
    const reader = await prisma.subscriber.create({ data: { email: anEmail('cli'), status: 'active', papersPerEmail: 2, topics: ['efficiency'] } })
    const out = path.join(tmpdir(), `preview-${randomUUID()}.html`)
    const preview = await cli('preview', reader.email.toUpperCase(), '--date', day, '--out', out)
    expect(preview.code).toBe(0)
    expect(preview.stdout).toContain('papers: 2')
    expect(preview.stdout).toContain(listing.byTitle('MiniMax Sparse').title)
    expect(await readFile(out, 'utf8')).toContain(listing.byTitle('MiniMax Sparse').title)
    await rm(out)
    expect(smtp.to(reader.email)).toHaveLength(0)
    expect(await prisma.delivery.count({ where: { subscriberId: reader.id } })).toBe(0)

    const dry = await cli('send', day, '--dry-run')
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('dry run: 1 active subscriber(s) due')
    expect(await prisma.delivery.count({ where: { subscriberId: reader.id } })).toBe(0)

    const send = await cli('send', day)
    expect(send.code, send.stderr).toBe(0)
    expect(send.stdout).toMatch(/queued \d+ new digests/)
    expect(send.stdout).toMatch(/progress: \d+\/\d+ done/)
    expect(smtp.to(reader.email)).toHaveLength(1)
    expect(await prisma.delivery.count({ where: { subscriberId: reader.id, status: 'sent' } })).toBe(1)
    // once every paper of those days has gone to the reader, the preview is empty and says why
    const window = await prisma.paper.findMany({ where: { day: { in: [new Date(`${addDays(day, -1)}T00:00:00Z`), new Date(`${day}T00:00:00Z`)] } }, select: { id: true } })
    await prisma.delivery.updateMany({ where: { subscriberId: reader.id, status: 'sent' }, data: { paperIds: window.map((p) => p.id) } })
    const again = await cli('preview', reader.email, '--date', day, '--out', out)
    expect(again.stdout).toMatch(new RegExp(`papers: 0 \\(edition ${day}; \\d+ matching papers? (was|were) already sent to this address\\)`))
    await rm(out)
    // Each run starts the whole service (several seconds on a loaded 2-core machine): generous on purpose.
  }, 300_000)

  it('reads bounces mailed back, one message per file, and asks an MTA to try again later when the database is down', async () => {
    const subscriber = await prisma.subscriber.create({ data: { email: anEmail('cli-report'), status: 'active', confirmedAt: new Date() } })
    const id = randomUUID()
    await prisma.delivery.create({ data: { id, kind: 'confirmation', status: 'sent', subscriberId: subscriber.id, messageId: `<${id}@paperboy.test>` } })
    const dsn = (await readFile(path.join(ROOT, 'tests/fixtures/mail-reports/postfix-hard-bounce.eml'), 'utf8'))
      .replaceAll('<abc123@paperboy.example.org>', `<${id}@paperboy.test>`).replaceAll('reader@example.com', subscriber.email)
      .replace(/^Message-Id: .*$/m, `Message-Id: <${randomUUID()}@mx.example.net>`)
    const file = path.join(tmpdir(), `paperboy-dsn-${randomUUID()}.eml`)
    await writeFile(file, dsn)
    try {
      const later = await cliWith({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/paperboy' }, 'report', file)
      expect(later.code).toBe(75)
      expect(later.stderr).toMatch(/nothing was changed, try again later/)
      expect((await prisma.subscriber.findUniqueOrThrow({ where: { id: subscriber.id } })).status).toBe('active')

      const ooo = path.join(ROOT, 'tests/fixtures/mail-reports/out-of-office.eml')
      const r = await cli('report', file, ooo)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`${file}: recorded: suppressed 1`)
      expect(r.stdout).toContain(`${ooo}: nothing recorded: not a delivery status notification or a feedback report`)
      expect((await prisma.subscriber.findUniqueOrThrow({ where: { id: subscriber.id } })).status).toBe('bounced')
      // a file it cannot read: the others are read, and the exit code says one was not (EX_IOERR), so a script keeps it
      const missing = path.join(tmpdir(), `paperboy-missing-${randomUUID()}.eml`)
      const partly = await cli('report', missing, file)
      expect(partly.code).toBe(74)
      expect(partly.stdout).toContain(`${missing}: not read`)
      expect(partly.stdout).toContain(`${file}: recorded: duplicate 1`)
    } finally {
      await rm(file, { force: true })
    }
  }, 120_000)

  it('refuses bad arguments with exit code 2 and the usage, before touching anything', async () => {
    for (const args of [['send', '2026-02-30'], ['preview', 'not-an-address'], ['launch'], ['ingest']]) {
      const r = await cli(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^paperboy cli: /)
      expect(r.stderr).toContain('Paperboy operator CLI')
    }
  }, 60_000)
})

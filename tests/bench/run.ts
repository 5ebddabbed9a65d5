// npm run bench [-- --subscribers 100000] [--concurrency N (default: SEND_CONCURRENCY's)] [--api-seconds 10] [--keep-db] [--only fanout|api]
//
// One run, on this machine's PostgreSQL and Redis and a counting SMTP sink in this process (real TCP SMTP):
//   1. fresh database (created, migrated by src/db/migrate.ts), N subscribers with realistic choices;
//   2. fan-out with 1, then 2 worker processes (`node --import tsx workers/main.ts`, env-configured): a fresh edition
//      per run (a real-format listing relabelled to that day, ingested through the ingest service), planned from here
//      with digestService.sendEdition, sent by the workers; timed until every delivery is settled;
//   3. the ceiling: nodemailer's pooled transport sending an already-built message of the same size to the same sink,
//      from as many processes as the fan-out had workers, just before and just after the 2-worker run (the ratio is
//      taken against the mean of the two); then, for comparison, the same through the workers' own SMTP path
//      (src/email/transport/smtp-pool.ts);
//   4. the subscribe API under autocannon (real route, real database and Redis, distinct addresses);
//   5. correctness: every due subscriber got exactly one message (or was skipped with nothing to send), and a sample of
//      messages carries exactly the papers the match repository selected for that subscriber before the run.
// Exits 1 when a correctness check fails.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { simpleParser } from 'mailparser'
import pg from 'pg'
import pino from 'pino'
import { loadConfig } from '../../src/config.ts'
import { migrate } from '../../src/db/migrate.ts'
import { createDeps } from '../../src/deps.ts'
import { createMatchRepository, type MatchedPaper } from '../../src/digests/match.repository.ts'
import { digestWindow, weekday } from '../../src/digests/schedule.ts'
import { COMMON_CATEGORIES } from '../../src/arxiv/categories.ts'
import { TOPICS } from '../../src/topics/catalogue.ts'
import { paperTextOf } from '../../src/topics/text.ts'
import { shippedTopicModel } from '../../src/topics/topic-model.ts'
import { termLabel } from '../../src/taste/feedback.service.ts'
import { paperTerms, type PaperTerms } from '../../src/taste/paper-terms.ts'
import { learnTaste } from '../../src/taste/taste-model.ts'
import { startCountingSink } from './sink.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const FIXTURES = path.join(ROOT, 'tests/fixtures/hf-daily-papers')
const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '20000' },
    concurrency: { type: 'string' },
    'api-seconds': { type: 'string', default: '10' },
    'api-connections': { type: 'string', default: '50' },
    'ceiling-messages': { type: 'string', default: '10000' },
    'keep-db': { type: 'boolean', default: false },
    // the share of subscribers who have voted ("more / less like this"), each with this many votes
    voters: { type: 'string', default: '0.2' },
    // a third 2-worker run under SEND_RATE=<rate> (0: none), its relay answering 421 to one message in <refuse-every>
    rate: { type: 'string', default: '0' },
    'refuse-every': { type: 'string', default: '100' },
    'votes-each': { type: 'string', default: '20' },
    // for working on one part: `fanout` (fan-out runs and ceiling) or `api` (the subscribe API alone)
    only: { type: 'string' },
  },
})
const N = Number(args.subscribers)
const DB_NAME = 'paperboy_bench'
const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const DATABASE_URL = ADMIN_URL.replace(/\/[^/]*$/, `/${DB_NAME}`)
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const APP_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789'
const PUBLIC_URL = 'https://paperboy.bench'
const MAIL_FROM = 'Paperboy Bench <digest@paperboy.bench>'
const SAMPLE = 200
const SAMPLE_PAPER_CHECK = 60
const HARD_LIMIT_MS = Math.max(15 * 60_000, N * 40)

// ---------------------------------------------------------------------------------------------------------------
// Children are killed on every way out.
const children = new Set<ChildProcess>()
const killChildren = () => {
  for (const c of children) if (c.exitCode === null && c.pid) try { process.kill(c.pid, 'SIGKILL') } catch { /* gone */ }
}
process.on('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { killChildren(); process.exit(130) })
setTimeout(() => { console.error(`bench: hard limit of ${HARD_LIMIT_MS / 60000} minutes reached`); killChildren(); process.exit(2) }, HARD_LIMIT_MS).unref()

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const failures: string[] = []
const check = (ok: boolean, message: string) => { if (!ok) failures.push(message) }

function spawnChild(file: string, argv: string[], env: Record<string, string>, label: string, nodeFlags: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...argv], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.on('exit', () => children.delete(child))
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString().trim()
    if (text && !/ExperimentalWarning|nodedir/.test(text)) log(`${label}: ${text.slice(0, 400)}`)
  })
  return child
}

const firstLine = (child: ChildProcess, timeoutMs: number) =>
  new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error('child did not answer in time')), timeoutMs)
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString()
      const nl = buffer.indexOf('\n')
      if (nl >= 0) { clearTimeout(timer); resolve(buffer.slice(0, nl)) }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited (${code})`)) })
  })

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/**
 * CPU seconds of every running process with this command name (PostgreSQL's processes, redis-server), with the CPU of
 * their children that have exited (PostgreSQL's postmaster collects that of backends and autovacuum workers).
 */
function cpuSecondsOf(command: string): number {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith(command)) continue
      const fields = stat.replace(/^.*\) /, '').split(' ')
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100
    } catch { /* gone */ }
  }
  return total
}

/**
 * The whole machine's CPU time so far, from /proc/stat's first line (all cores, in clock ticks): busy (user, nice,
 * system, irq, softirq) and in all (busy, idle, iowait, and steal: time the hypervisor ran something else).
 */
function machineCpu(): { busy: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number) as number[]
  const busy = user! + nice! + system! + irq! + softirq!
  return { busy, total: busy + idle! + iowait! + steal! }
}

function statusOf(pid: number): { hwmKb: number; rssKb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
    return { hwmKb: kb('VmHWM'), rssKb: kb('VmRSS') }
  } catch {
    return { hwmKb: 0, rssKb: 0 }
  }
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN)

// Deterministic pseudo-random choices, so two runs seed the same population. The multiplication is done in 32-bit
// integers (Math.imul): in floating point the product lost its low bits and the sequence fell into a cycle of 419
// values after a few thousand draws (until round 9 most subscribers of a run repeated a few hundred choices).
let seed = 0x2545f491
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!

// Workers run with the Node flags of `npm run start:worker` (a larger young generation: a digest allocates a few
// hundred KB that die young, and the default one made garbage collection a tenth of a worker's time).
const WORKER_FLAGS = /^node (.*?) ?dist\/workers\/main\.js$/.exec((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:worker']!)?.[1]?.split(' ').filter(Boolean) ?? []
// BENCH_CPU_PROF=dir writes a V8 CPU profile of each worker and of the API server there (where does the time go).
const cpuProfile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []

/**
 * Milliseconds a fixed single-threaded CPU task takes (integer loop, SHA-256 of 50 MB, JSON): machines of the same
 * shape, and one machine over an hour, differ by 1.5× and more, so runs are comparable only alongside this figure.
 */
function machineReference(): number {
  const started = performance.now()
  let x = 0
  for (let i = 0; i < 3e7; i++) x = (x * 31 + i) | 0
  createHash('sha256').update(Buffer.alloc(50e6, x & 0xff)).digest()
  let json = 0
  for (let i = 0; i < 2e5; i++) json += JSON.stringify({ a: i, b: [i, i + 1], c: `x${i}` }).length
  return Math.round(performance.now() - started + (json < 0 ? 1 : 0))
}

// ---------------------------------------------------------------------------------------------------------------
const referenceAtStart = machineReference()
log(`database ${DB_NAME}, ${N} subscribers`)
{
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${DB_NAME}`)
  await admin.end()
}
await migrate(DATABASE_URL)

const sink = await startCountingSink()
const queuePrefix = `bench-${randomUUID().slice(0, 8)}`
const env = {
  NODE_ENV: 'production', DATABASE_URL, REDIS_URL, SMTP_URL: sink.url, APP_SECRET, QUEUE_PREFIX: queuePrefix,
  PUBLIC_URL, MAIL_FROM, LOG_LEVEL: 'warn',
  // The bench plans its own edition: no scheduled planning may join in. (Removing the schedulers once the workers were
  // up raced with their registration: a run that crossed a 5-minute mark also sent that day's scheduled digests.)
  SCHEDULE_JOBS: 'false',
  // The bench gives papers their categories itself (see ingestDay); no worker may ask the real arXiv API.
  ARXIV_LOOKUP: 'false',
  ...(args.concurrency ? { SEND_CONCURRENCY: args.concurrency } : {}),
}
const config = loadConfig(env)
const deps = await createDeps(config, { databaseUrl: DATABASE_URL, smtpUrl: sink.url, appSecret: APP_SECRET, queuePrefix }, pino({ level: 'warn' }))
const matches = createMatchRepository(deps.pool)
const db = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
// an idle connection ended by the server is the pool's to replace, not a reason to die after a measured run
db.on('error', (error) => log(`bench pool: an idle connection ended (${error.message})`))

// --- subscribers ------------------------------------------------------------------------------------------------
// Realistic keyword filters, as many distinct ones as a real installation's readers write: phrases, words, OR and
// exclusions made of the vocabulary of real papers (Hugging Face's AI keywords and title words of the fixtures).
const KEYWORDS = (() => {
  const vocabulary = new Set<string>()
  const words = new Set<string>()
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()) {
    for (const item of JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { paper: { title: string; ai_keywords?: string[] } }[]) {
      for (const k of item.paper.ai_keywords ?? []) if (k.length <= 40 && !/["]/.test(k)) vocabulary.add(k.toLowerCase())
      for (const w of item.paper.title.split(/[^A-Za-z-]+/)) if (w.length >= 5) words.add(w.toLowerCase())
    }
  }
  const phrases = [...vocabulary].sort()
  const terms = [...words].sort()
  const quoted = (k: string) => (k.includes(' ') ? `"${k}"` : k)
  const out = new Set<string>(['zyxwvut'])
  while (out.size < 1_200) {
    const r = rand()
    out.add(
      r < 0.35 ? quoted(pick(phrases))
        : r < 0.55 ? pick(phrases)
          : r < 0.75 ? `${quoted(pick(phrases))} OR ${quoted(pick(phrases))}`
            : r < 0.9 ? `${quoted(pick(phrases))} -${pick(terms)}`
              : pick(terms),
    )
  }
  return [...out]
})()
// One edition date per run; weekly subscribers are due on the first one's weekday (or another day).
const editionDates = ['2031-03-04', '2031-03-11', '2031-03-18', '2031-03-25']
const dueDay = weekday(editionDates[0]!)
{
  const started = performance.now()
  const rows: unknown[][] = []
  for (let i = 0; i < N; i++) {
    const r = rand()
    const topics = r < 0.15 ? [] : Array.from(new Set(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(TOPICS).slug)))
    const keywords = r < 0.15 ? (rand() < 0.3 ? [pick(KEYWORDS)] : []) : r < 0.35 ? [pick(KEYWORDS)] : r < 0.4 ? [pick(KEYWORDS), pick(KEYWORDS)] : []
    const kwOnly = r >= 0.9
    // a quarter pick arXiv categories too, a few only categories
    const c = rand()
    const categories = c < 0.25 ? Array.from(new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(COMMON_CATEGORIES)))) : []
    const categoriesOnly = c < 0.03
    const s = rand()
    rows.push([
      `bench-${i}-${randomUUID().slice(0, 8)}@subscribers.bench`,
      s < 0.03 ? 'pending' : s < 0.04 ? 'unsubscribed' : 'active',
      kwOnly || categoriesOnly ? [] : topics,
      categoriesOnly ? [] : kwOnly ? [pick(KEYWORDS)] : keywords,
      rand() < 0.8 ? 0 : pick([3, 5, 10]),
      pick([5, 10, 10, 10, 15, 20]),
      rand() < 0.06 ? 'weekly' : 'daily',
      rand() < 0.5 ? dueDay : (dueDay + 3) % 7,
      rand() < 0.9,
      rand() < 0.02,
      categories,
    ])
  }
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000)
    const col = (k: number) => chunk.map((r) => r[k])
    const arr = (k: number) => JSON.stringify(chunk.map((r) => r[k]))
    await db.query(
      `INSERT INTO subscribers (id, email, status, topics, keywords, categories, min_upvotes, papers_per_email, frequency, weekly_day, skip_empty, paused, confirmed_at)
       SELECT gen_random_uuid(), e, st::subscriber_status, ARRAY(SELECT jsonb_array_elements_text(t)), ARRAY(SELECT jsonb_array_elements_text(k)),
              ARRAY(SELECT jsonb_array_elements_text(c)), mu, ppe, f::frequency, wd, se, pa, CASE WHEN st = 'active' THEN now() END
       FROM unnest($1::text[], $2::text[], $5::int[], $6::int[], $7::text[], $8::int[], $9::bool[], $10::bool[]) WITH ORDINALITY AS u(e, st, mu, ppe, f, wd, se, pa, n)
       JOIN jsonb_array_elements($3::jsonb) WITH ORDINALITY AS tt(t, n) USING (n)
       JOIN jsonb_array_elements($4::jsonb) WITH ORDINALITY AS kk(k, n) USING (n)
       JOIN jsonb_array_elements($11::jsonb) WITH ORDINALITY AS cc(c, n) USING (n)`,
      [col(0), col(1), arr(2), arr(3), col(4), col(5), col(6), col(7), col(8), col(9), arr(10)],
    )
  }
  await db.query('ANALYZE subscribers')
  const { rows: [mix] } = await db.query<{ keywords: number; with_topics: number; with_keywords: number; with_categories: number; weekly: number }>(
    `SELECT count(DISTINCT k)::int AS keywords,
            (SELECT count(*) FILTER (WHERE cardinality(topics) > 0) FROM subscribers)::int AS with_topics,
            (SELECT count(*) FILTER (WHERE cardinality(keywords) > 0) FROM subscribers)::int AS with_keywords,
            (SELECT count(*) FILTER (WHERE cardinality(categories) > 0) FROM subscribers)::int AS with_categories,
            (SELECT count(*) FILTER (WHERE frequency = 'weekly') FROM subscribers)::int AS weekly
     FROM subscribers, unnest(keywords) AS k`,
  )
  log(`seeded ${N} subscribers in ${((performance.now() - started) / 1000).toFixed(1)} s: ${mix!.keywords} distinct keyword filters; ${mix!.with_topics} with topics, ${mix!.with_keywords} with keywords, ${mix!.with_categories} with arXiv categories, ${mix!.weekly} weekly`)
}

// --- one fan-out run ------------------------------------------------------------------------------------------------
type Fixture = { paper: { id: string; submittedOnDailyAt: string } } & Record<string, unknown>
async function ingestDay(day: string): Promise<number> {
  const tag = randomUUID().slice(0, 6)
  const items: Fixture[] = []
  for (const file of (await import('node:fs')).readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
    for (const item of JSON.parse(await readFile(path.join(FIXTURES, file), 'utf8')) as Fixture[]) {
      items.push({ ...item, paper: { ...item.paper, id: `${item.paper.id}-${tag}`, submittedOnDailyAt: `${day}T00:00:00.000Z` } })
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'paperboy-bench-'))
  const file = path.join(dir, `${day}.json`)
  await writeFile(file, JSON.stringify(items))
  const result = await deps.ingestService.ingestFile(file)
  await rm(dir, { recursive: true, force: true })
  // The recorded listings carry no arXiv categories: give each paper a primary category and a cross-list or two, as
  // the arXiv lookup would, so category filters have something to match.
  const found = new Map(items.map((item) => {
    const h = createHash('sha1').update(item.paper.id).digest()
    const categories = [...new Set([BENCH_PRIMARY[h[0]! % BENCH_PRIMARY.length]!, ...Array.from({ length: h[1]! % 3 }, (_, i) => COMMON_CATEGORIES[h[2 + i]! % COMMON_CATEGORIES.length]!)])]
    return [item.paper.id, { categories, primaryCategory: categories[0]!, comment: null, journalRef: null }] as const
  }))
  await deps.papers.recordArxiv({ found, missing: [], invalid: [] }, new Date())
  return result.inserted
}

const BENCH_PRIMARY = ['cs.CL', 'cs.CV', 'cs.LG', 'cs.AI', 'cs.RO', 'cs.CL', 'cs.CV', 'cs.LG']

// --- voters -------------------------------------------------------------------------------------------------------
// A share of the subscribers voted on papers of an earlier day: each has an interest (a topic) and voted "more" on the
// papers the topic model gives it, "less" on the others. Their tastes are learned by the production code and stored
// as a vote stores them; the planning runs below read them with the rest of each subscriber's preferences.
const VOTER_SHARE = Number(args.voters)
const VOTES_EACH = Number(args['votes-each'])
let votersSeeded = 0
{
  const started = performance.now()
  const historyDay = '2031-02-25'
  await ingestDay(historyDay)
  const { rows: history } = await db.query<{ id: string; title: string; summary: string; ai_keywords: string[]; arxiv_categories: string[]; arxiv_primary_category: string | null }>(
    `SELECT id, title, summary, ai_keywords, arxiv_categories, arxiv_primary_category FROM papers WHERE day = $1::date ORDER BY id`, [historyDay])
  const model = shippedTopicModel()
  const read = history.map((p) => {
    const text = paperTextOf(p)
    const topics = model.classify(text)
    return { id: p.id, slugs: new Set(topics.map((t) => t.slug)), terms: paperTerms({ ...text, topics }) as PaperTerms }
  })
  const { rows: active } = await db.query<{ id: string }>(`SELECT id::text FROM subscribers WHERE status = 'active' ORDER BY id`)
  const voters = active.filter(() => rand() < VOTER_SHARE)
  for (let i = 0; i < voters.length; i += 2000) {
    const votes: [string, string, number][] = []
    const tastes: [string, number, string, string[], string[]][] = []
    for (const { id } of voters.slice(i, i + 2000)) {
      const interest = pick(TOPICS).slug
      const chosen = new Map<string, (typeof read)[number]>()
      while (chosen.size < Math.min(VOTES_EACH, read.length)) { const p = pick(read); chosen.set(p.id, p) }
      const cast = [...chosen.values()].map((p) => ({ paper: p, vote: (p.slugs.has(interest) ? 1 : -1) as 1 | -1 }))
      for (const c of cast) votes.push([id, c.paper.id, c.vote])
      const taste = learnTaste(cast.map((c) => ({ vote: c.vote, terms: c.paper.terms })), termLabel)
      tastes.push([id, taste.votes, JSON.stringify(taste.weights), taste.more, taste.less])
    }
    const col = <T>(rows: T[][], k: number) => rows.map((r) => r[k])
    await db.query(`INSERT INTO votes (subscriber_id, paper_id, vote) SELECT * FROM unnest($1::uuid[], $2::text[], $3::smallint[])`, [col(votes, 0), col(votes, 1), col(votes, 2)])
    await db.query(
      `INSERT INTO reader_tastes (subscriber_id, votes, weights, more, less)
       SELECT s, v, w::jsonb, ARRAY(SELECT jsonb_array_elements_text(m)), ARRAY(SELECT jsonb_array_elements_text(l))
       FROM unnest($1::uuid[], $2::int[], $3::text[]) WITH ORDINALITY AS u(s, v, w, n)
       JOIN jsonb_array_elements($4::jsonb) WITH ORDINALITY AS mm(m, n) USING (n)
       JOIN jsonb_array_elements($5::jsonb) WITH ORDINALITY AS ll(l, n) USING (n)`,
      [col(tastes, 0), col(tastes, 1), col(tastes, 2), JSON.stringify(col(tastes, 3)), JSON.stringify(col(tastes, 4))],
    )
  }
  votersSeeded = voters.length
  await db.query('ANALYZE votes; ANALYZE reader_tastes')
  log(`seeded ${voters.length} voters (${fmt(100 * voters.length / Math.max(1, active.length))} % of active subscribers) with ${VOTES_EACH} votes each on ${read.length} papers of ${historyDay}, tastes learned, in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * The matching phase alone, in this process with cold caches (a fresh match repository): every active subscriber's
 * selection for the edition, in batches of 100 as the send jobs ask for them, voters' tastes included.
 */
async function timeMatching(editionDate: string): Promise<{ seconds: number; subscribers: number }> {
  const fresh = createMatchRepository(deps.pool)
  const { rows } = await db.query<{ id: string; frequency: 'daily' | 'weekly' }>(`SELECT id::text, frequency::text AS frequency FROM subscribers WHERE status = 'active' ORDER BY id`)
  const started = performance.now()
  for (const frequency of ['daily', 'weekly'] as const) {
    const ids = rows.filter((r) => r.frequency === frequency).map((r) => r.id)
    for (let i = 0; i < ids.length; i += 100) await fresh.selectForSubscribers(ids.slice(i, i + 100), digestWindow(editionDate, frequency))
  }
  return { seconds: (performance.now() - started) / 1000, subscribers: rows.length }
}

interface RunResult {
  workers: number
  /** Matching alone, before the run (timeMatching). */
  matching: { seconds: number; subscribers: number }
  planned: number
  sent: number
  skipped: number
  seconds: number
  planSeconds: number
  /** From sendEdition's start to the sink's first message: planning's first batch, a job's pick-up, its first render. */
  firstMessageSeconds: number
  perSecond: number
  /** Messages a second over the middle 90 % of the run's messages: the rate held while sending (what SEND_RATE limits). */
  achievedPerSecond: number
  /** Messages the sink answered 421 (then retried). */
  refused: number
  meanBytes: number
  latency: { p50: number; p99: number }
  rssMb: number[]
  workerCpuMsPerDigest: number
  benchCpuMsPerDigest: number
  postgresCpuMsPerDigest: number
  redisCpuMsPerDigest: number
  commitsPerDigest: number
  load: number
  /**
   * Each second of the run up to its last message: messages the sink received, the workers' CPU per message, and the
   * share of the machine's CPU (all cores) that was busy.
   */
  timeline: { messages: number; workerCpuMs: number; busy: number }[]
  sample: Map<string, string[]>
}

async function fanOut(workerCount: number, editionDate: string, runEnv: Record<string, string> = {}): Promise<RunResult> {
  const papers = await ingestDay(editionDate)
  log(`run with ${workerCount} worker(s): edition ${editionDate}, ${papers} papers ingested`)

  // The sample's expected papers, chosen before anything is sent (afterwards they would be "already sent").
  const { rows: sampleRows } = await db.query<{ id: string; email: string; topics: string[]; keywords: string[]; categories: string[]; min_upvotes: number; papers_per_email: number; frequency: 'daily' | 'weekly'; due: boolean; skip_empty: boolean }>(
    `SELECT id::text, email, topics, keywords, categories, min_upvotes, papers_per_email, frequency::text AS frequency, skip_empty,
            (status = 'active' AND NOT paused AND (frequency = 'daily' OR weekly_day = $1)) AS due
     FROM subscribers ORDER BY md5(id::text || $2) LIMIT ${SAMPLE}`,
    [weekday(editionDate), editionDate],
  )
  const expected = new Map<string, { due: boolean; skipEmpty: boolean; papers: MatchedPaper[] }>()
  for (const s of sampleRows) {
    const papers = await matches.selectForSubscriber({
      subscriberId: s.id, topics: s.topics, keywords: s.keywords, categories: s.categories, minUpvotes: s.min_upvotes, limit: s.papers_per_email, ...digestWindow(editionDate, s.frequency),
    })
    expected.set(s.email, { due: s.due, skipEmpty: s.skip_empty, papers })
  }
  sink.reset(sampleRows.map((s) => s.email))
  const matching = await timeMatching(editionDate)
  log(`matching alone: ${matching.subscribers} subscribers in ${matching.seconds.toFixed(1)} s`)

  const workers = Array.from({ length: workerCount }, (_, i) => spawnChild('workers/main.ts', [], { ...env, ...runEnv }, `worker ${i + 1}`, [...WORKER_FLAGS, ...cpuProfile]))
  // Ready = registered as a consumer of the send queue (BullMQ lists its workers).
  const readyBy = Date.now() + 60_000
  while ((await deps.queues.send.getWorkers()).length < workerCount) {
    if (Date.now() > readyBy) throw new Error('workers did not start within 60 s')
    await sleep(200)
  }

  const peaks = workers.map(() => 0)
  const cpu = workers.map(() => 0)
  const cpuAtStart = workers.map((w) => cpuSeconds(w.pid!))
  const selfAtStart = process.cpuUsage()
  const servicesAtStart = { postgres: cpuSecondsOf('postgres'), redis: cpuSecondsOf('redis-server') }
  const commits = async () => Number((await db.query<{ n: string }>(`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1`, [DB_NAME])).rows[0]!.n)
  const commitsAtStart = await commits()
  const sampler = setInterval(() => workers.forEach((w, i) => {
    peaks[i] = Math.max(peaks[i]!, statusOf(w.pid!).hwmKb)
    cpu[i] = cpuSeconds(w.pid!) - cpuAtStart[i]!
  }), 250)
  // Second by second: fresh worker processes start in V8's interpreter and compile their hot code as they go, so the
  // first seconds of a run are slower than the rest; this shows how much.
  const timeline: RunResult['timeline'] = []
  const workersCpu = () => workers.reduce((sum, w) => sum + cpuSeconds(w.pid!), 0)
  let previous = { cpu: workersCpu(), messages: 0, machine: machineCpu() }
  const ticker = setInterval(() => {
    const now = { cpu: workersCpu(), messages: sink.total, machine: machineCpu() }
    const messages = now.messages - previous.messages
    const busy = (now.machine.busy - previous.machine.busy) / Math.max(1, now.machine.total - previous.machine.total)
    if (messages > 0 || timeline.length > 0) timeline.push({ messages, workerCpuMs: (1000 * (now.cpu - previous.cpu)) / Math.max(1, messages), busy })
    previous = now
  }, 1000)

  const started = Date.now()
  const { planned } = await deps.digestService.sendEdition(editionDate)
  const planSeconds = (Date.now() - started) / 1000
  log(`planned ${planned} deliveries in ${planSeconds.toFixed(1)} s`)
  // Generous (a loaded machine can be 5x slower than an idle one), but bounded.
  const deadline = Date.now() + Math.max(240_000, planned * 15)
  let progress: Record<string, number> = {}
  for (;;) {
    progress = await deps.digestService.progress(editionDate)
    const open = (progress.pending ?? 0) + (progress.sending ?? 0) + (progress.failed ?? 0)
    if (open === 0) break
    if (Date.now() > deadline) { failures.push(`run ${workerCount}: not settled in time: ${JSON.stringify(progress)}`); break }
    // The end time is the sink's last message, so polling only has to notice the end; every 2 s keeps the progress
    // query (a count over the edition's rows while they change) from being a measurable part of PostgreSQL's work.
    await sleep(2_000)
  }
  const settled = Date.now()
  clearInterval(sampler)
  clearInterval(ticker)
  workers.forEach((w, i) => { peaks[i] = Math.max(peaks[i]!, statusOf(w.pid!).hwmKb); cpu[i] = cpuSeconds(w.pid!) - cpuAtStart[i]! })
  const self = process.cpuUsage(selfAtStart)
  const services = { postgres: cpuSecondsOf('postgres') - servicesAtStart.postgres, redis: cpuSecondsOf('redis-server') - servicesAtStart.redis }
  // the statistics collector reports with a delay of up to a second
  await sleep(1_000)
  const commitCount = (await commits()) - commitsAtStart
  const benchCpu = (self.user + self.system) / 1e6

  // Stop the workers (SIGTERM: in-flight jobs finish first), within 20 s.
  for (const w of workers) w.kill('SIGTERM')
  await Promise.race([Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.on('exit', r))))), sleep(20_000)])
  for (const w of workers) if (w.exitCode === null && w.pid) process.kill(w.pid, 'SIGKILL')

  const tally = sink.snapshot()
  const end = tally.last || settled
  const seconds = (end - started) / 1000

  // Correctness: one message per sent delivery, none for anyone else; every due subscriber has a settled delivery.
  const { rows: deliveries } = await db.query<{ email: string; status: string; message_id: string; created: string }>(
    `SELECT s.email, d.status::text AS status, d.message_id, (extract(epoch FROM d.created_at) * 1000)::float8 AS created
     FROM deliveries d JOIN editions e ON e.id = d.edition_id JOIN subscribers s ON s.id = d.subscriber_id WHERE e.date = $1::date`,
    [editionDate],
  )
  const { rows: [dueRow] } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM subscribers WHERE status = 'active' AND NOT paused AND (frequency = 'daily' OR weekly_day = $1)`,
    [weekday(editionDate)],
  )
  check(deliveries.length === dueRow!.n, `run ${workerCount}: ${dueRow!.n} due subscribers but ${deliveries.length} deliveries`)
  let sent = 0
  let skipped = 0
  let wrong = 0
  const latencies: number[] = []
  for (const d of deliveries) {
    const got = tally.counts.get(d.email) ?? 0
    if (d.status === 'sent') {
      sent++
      if (got !== 1) wrong++
      const at = tally.received.get(d.message_id)
      if (at) latencies.push(at - Number(d.created))
    } else if (d.status === 'skipped') {
      skipped++
      if (got !== 0) wrong++
    } else wrong++
  }
  check(wrong === 0, `run ${workerCount}: ${wrong} deliveries without exactly the expected number of messages (sent → 1, skipped → 0)`)
  check(tally.total === sent, `run ${workerCount}: the sink got ${tally.total} messages for ${sent} sent deliveries`)
  check(tally.counts.size === sent, `run ${workerCount}: ${tally.counts.size} distinct recipients for ${sent} sent deliveries`)

  // The sample: exactly the papers selected beforehand, in that order (or no message when nothing matched).
  let checked = 0
  for (const [email, want] of expected) {
    const messages = tally.samples.get(email) ?? []
    if (!want.due) { check(messages.length === 0, `run ${workerCount}: ${email} is not due but got ${messages.length} message(s)`); continue }
    if (want.papers.length === 0 && want.skipEmpty) { check(messages.length === 0, `run ${workerCount}: ${email} matched nothing but got a message`); continue }
    if (messages.length !== 1) { failures.push(`run ${workerCount}: ${email} got ${messages.length} messages`); continue }
    if (checked++ >= SAMPLE_PAPER_CHECK) continue
    const parsed = await simpleParser(messages[0]!)
    const ids = [...(parsed.text ?? '').matchAll(/^\d+\. .+\n\s+https:\/\/huggingface\.co\/papers\/(\S+)$/gm)].map((m) => decodeURIComponent(m[1]!))
    const wantIds = want.papers.map((p) => p.paperId)
    check(JSON.stringify(ids) === JSON.stringify(wantIds), `run ${workerCount}: ${email} got papers ${ids.join(',')} but the match repository selected ${wantIds.join(',')}`)
    const head = messages[0]!.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ').split('\r\n')
    const unsubscribe = head.filter((l) => /^list-unsubscribe:/i.test(l))
    check(unsubscribe.length === 1 && /^List-Unsubscribe: <https:\/\/paperboy\.bench\/unsubscribe\/[^>\s]+>$/.test(unsubscribe[0]!), `run ${workerCount}: ${email}: not one List-Unsubscribe header: ${unsubscribe.join(' | ')}`)
  }
  check(checked > 0, `run ${workerCount}: no sampled message to check`)

  latencies.sort((a, b) => a - b)
  return {
    workers: workerCount, matching, planned, sent, skipped, seconds, planSeconds,
    firstMessageSeconds: tally.first ? (tally.first - started) / 1000 : seconds,
    perSecond: sent / seconds,
    achievedPerSecond: middleRate([...tally.received.values()]),
    refused: tally.refused,
    meanBytes: tally.total ? tally.bytes / tally.total : 0,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    rssMb: peaks.map((kb) => kb / 1024),
    workerCpuMsPerDigest: (1000 * cpu.reduce((a, b) => a + b, 0)) / Math.max(1, sent),
    benchCpuMsPerDigest: (1000 * benchCpu) / Math.max(1, sent),
    postgresCpuMsPerDigest: (1000 * services.postgres) / Math.max(1, sent),
    redisCpuMsPerDigest: (1000 * services.redis) / Math.max(1, sent),
    commitsPerDigest: commitCount / Math.max(1, sent),
    load: os.loadavg()[0]!,
    // the seconds after the last message (the end is noticed by polling) are not part of the run
    timeline: timeline.slice(0, timeline.findLastIndex((s) => s.messages > 0) + 1),
    sample: tally.samples,
  }
}

const runFanOut = args.only !== 'api'
const runApi = args.only !== 'fanout'
const runs: RunResult[] = []
// The ceiling is measured just before the 2-worker run and just after it, and the ratio is taken against the mean:
// on a shared machine one reading alone swung from 592 to 1,375 msgs/s between runs of the same code (round 7).
const ceilings: Ceiling[] = []
// For comparison: the 2-worker run's message through the workers' own SMTP path.
let ownPath: Ceiling | undefined
// Under a configured send rate (--rate).
let limited: RunResult | undefined
let limitedRefusing: RunResult | undefined
if (runFanOut) {
  runs.push(await fanOut(1, editionDates[1]!))
  log('ceiling: nodemailer pooled, prebuilt message (before the 2-worker run)')
  ceilings.push(await ceiling(2, typicalDigest(runs[0]!), 'nodemailer'))
  runs.push(await fanOut(2, editionDates[0]!))
  const typical = typicalDigest(runs[1]!)
  log('ceiling: nodemailer pooled, prebuilt message (after the 2-worker run)')
  ceilings.push(await ceiling(2, typical, 'nodemailer'))
  log("the same message through the workers' SMTP path")
  ownPath = await ceiling(2, typical, 'paperboy')
  if (Number(args.rate) > 0) {
    log(`run under SEND_RATE=${args.rate}`)
    limited = await fanOut(2, editionDates[2]!, { SEND_RATE: args.rate })
    log(`run under SEND_RATE=${args.rate}, the sink answering 421 to one message in ${args['refuse-every']}`)
    sink.refuse(Number(args['refuse-every']))
    limitedRefusing = await fanOut(2, editionDates[3]!, { SEND_RATE: args.rate })
    sink.refuse(0)
  }
}

/**
 * The rate of the middle 90 % of messages (by receive time): the pace held while sending, without the start (planning,
 * warm-up) or the tail (retries of refused messages wait out their backoff).
 */
function middleRate(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b)
  const from = Math.floor(sorted.length * 0.05)
  const to = Math.ceil(sorted.length * 0.95) - 1
  return to > from ? (to - from) / Math.max(0.001, (sorted[to]! - sorted[from]!) / 1000) : 0
}

// --- the ceiling -------------------------------------------------------------------------------------------------
interface Ceiling { perSecond: number; bytes: number; senderCpuMs: number; sinkCpuMs: number }
/** A real digest of a run, the one closest to its mean size. */
function typicalDigest(run: RunResult): string {
  const candidates = [...run.sample.values()].flat()
  return candidates.sort((a, b) => Math.abs(a.length - run.meanBytes) - Math.abs(b.length - run.meanBytes))[0]!
}
async function ceiling(processes: number, rawMessage: string, mode: 'nodemailer' | 'paperboy'): Promise<Ceiling> {
  const dir = await mkdtemp(path.join(tmpdir(), 'paperboy-ceiling-'))
  const file = path.join(dir, 'message.eml')
  await writeFile(file, rawMessage)
  sink.reset()
  const total = Number(args['ceiling-messages'])
  const benchCpuAtStart = process.cpuUsage()
  const procs = Array.from({ length: processes }, (_, i) =>
    spawnChild('tests/bench/ceiling.ts', [sink.url, file, String(Math.ceil(total / processes)), '5', '20', mode], {}, `ceiling ${i + 1}`),
  )
  const results = await Promise.all(procs.map((p) => firstLine(p, 180_000).then((l) => JSON.parse(l) as { sent: number; failed: number; cpuSeconds: number })))
  const benchCpu = process.cpuUsage(benchCpuAtStart)
  const tally = sink.snapshot()
  await rm(dir, { recursive: true, force: true })
  const sent = results.reduce((a, r) => a + r.sent, 0)
  check(results.every((r) => r.failed === 0), `ceiling: ${results.map((r) => r.failed).join('+')} sends failed`)
  return {
    // From the first message the sink received to the last: starting Node, tsx and nodemailer in the sender
    // processes (~0.35 s, a tenth of this measurement) is not sending, and the fan-out's clock, too, starts with its
    // workers already up. (Until round 6 it started before the processes were spawned, which understated the ceiling.)
    perSecond: (sent - 1) / ((tally.last - tally.first) / 1000),
    bytes: Buffer.byteLength(rawMessage),
    senderCpuMs: (1000 * results.reduce((a, r) => a + r.cpuSeconds, 0)) / Math.max(1, sent),
    sinkCpuMs: (1000 * (benchCpu.user + benchCpu.system)) / 1e6 / Math.max(1, sent),
  }
}
const two = runs[1]
const mean = (key: keyof Ceiling) => ceilings.reduce((sum, c) => sum + c[key], 0) / Math.max(1, ceilings.length)
const roof: Ceiling = { perSecond: mean('perSecond'), bytes: mean('bytes'), senderCpuMs: mean('senderCpuMs'), sinkCpuMs: mean('sinkCpuMs') }

// --- the subscribe API -------------------------------------------------------------------------------------------
let load: autocannon.Result | undefined
let api: ChildProcess | undefined
let non2xx = 0
let apiCpu = ''
if (runApi) {
  log('subscribe API under autocannon')
  api = spawnChild('tests/bench/api-server.ts', [], { ...env, SUBSCRIBE_RATE_LIMIT: '100000' }, 'api', cpuProfile)
  const { port } = JSON.parse(await firstLine(api, 60_000)) as { port: number }
  let counter = 0
  const runId = randomUUID().slice(0, 6)
  const cannon = (seconds: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: Number(args['api-connections']),
      duration: seconds,
      requests: [{
        method: 'POST',
        path: '/api/subscriptions',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `load-${runId}-${counter++}@subscribe.bench`, topics: [pick(TOPICS).slug, pick(TOPICS).slug] }) }),
      }],
    })
  await cannon(2) // warm-up: JIT, connection pools
  const before = { api: cpuSeconds(api.pid!), postgres: cpuSecondsOf('postgres'), redis: cpuSecondsOf('redis-server'), bench: process.cpuUsage() }
  load = await cannon(Number(args['api-seconds']))
  const benchCpu = process.cpuUsage(before.bench)
  const perRequest = (seconds: number) => fmt((1000 * seconds) / Math.max(1, load!.requests.total), 2) + ' ms'
  apiCpu = `API process ${perRequest(cpuSeconds(api.pid!) - before.api)}, PostgreSQL ${perRequest(cpuSecondsOf('postgres') - before.postgres)}, ` +
    `Redis ${perRequest(cpuSecondsOf('redis-server') - before.redis)}, autocannon ${perRequest((benchCpu.user + benchCpu.system) / 1e6)}`
  api.kill('SIGTERM')
  non2xx = load.non2xx + load.errors + load.timeouts
  check(non2xx === 0, `subscribe API: ${load.non2xx} non-2xx, ${load.errors} errors, ${load.timeouts} timeouts`)
  const { rows: [subscribed] } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscribers WHERE email LIKE $1`, [`load-${runId}-%`])
  check(subscribed!.n > 0, 'subscribe API: no subscriber written')
}

// --- report ------------------------------------------------------------------------------------------------------
console.log('')
console.log(`Paperboy bench: ${fmt(N)} subscribers, SEND_CONCURRENCY ${config.SEND_CONCURRENCY}, ${new Date().toISOString()}`)
console.log(`machine reference (a fixed CPU task; lower is faster): ${fmt(referenceAtStart)} ms at the start, ${fmt(machineReference())} ms at the end`)
console.log('')
if (two && ownPath) {
  console.log('fan-out (plan + select + render + SMTP, end to end)')
  console.log('  workers  planned  sent     skipped  time     digests/s  vs ceiling  100k (extrapolated)  p50 / p99 latency*  peak RSS per worker')
  for (const r of runs) {
    console.log(
      `  ${String(r.workers).padEnd(8)} ${fmt(r.planned).padEnd(8)} ${fmt(r.sent).padEnd(8)} ${fmt(r.skipped).padEnd(8)} ${(fmt(r.seconds, 1) + ' s').padEnd(8)} ${fmt(r.perSecond).padEnd(10)} ${(fmt((100 * r.perSecond) / roof.perSecond) + ' %').padEnd(11)} ${(fmt((100_000 * r.seconds) / r.sent, 0) + ' s').padEnd(20)} ${(fmt(r.latency.p50 / 1000, 1) + ' / ' + fmt(r.latency.p99 / 1000, 1) + ' s').padEnd(19)} ${r.rssMb.map((m) => fmt(m) + ' MB').join(', ')}`,
    )
  }
  console.log(`  worker CPU per digest: ${runs.map((r) => fmt(r.workerCpuMsPerDigest, 2) + ' ms').join(', ')}; bench process (planning + SMTP sink + polling) per digest: ${runs.map((r) => fmt(r.benchCpuMsPerDigest, 2) + ' ms').join(', ')}`)
  console.log(`  PostgreSQL CPU per digest: ${runs.map((r) => fmt(r.postgresCpuMsPerDigest, 2) + ' ms').join(', ')}; Redis: ${runs.map((r) => fmt(r.redisCpuMsPerDigest, 2) + ' ms').join(', ')}; PostgreSQL commits per digest: ${runs.map((r) => fmt(r.commitsPerDigest, 2)).join(', ')}`)
  // Whether the machine had CPU to spare: where it did not, more worker processes cannot send faster.
  const busyShare = (r: RunResult) => (100 * r.timeline.reduce((sum, s) => sum + s.busy, 0)) / Math.max(1, r.timeline.length)
  console.log(`  machine CPU busy over each run (all ${os.cpus().length} cores, /proc/stat): ${runs.map((r) => fmt(busyShare(r)) + ' %').join(', ')}; 1-minute load average at the end: ${runs.map((r) => fmt(r.load, 1)).join(', ')}`)
  for (const r of runs) {
    const shown = r.timeline.slice(0, 12)
    console.log(`  second by second, ${r.workers} worker(s): ${shown.map((s) => `${fmt(s.messages)} @ ${fmt(s.workerCpuMs, 2)}`).join(', ')}${r.timeline.length > shown.length ? ', …' : ''} (messages @ worker CPU ms per message)`)
  }
  console.log(`  planning alone (sendEdition, from the bench process): ${runs.map((r) => fmt(r.planSeconds, 1) + ' s').join(', ')}; the sink's first message after ${runs.map((r) => fmt(r.firstMessageSeconds, 2) + ' s').join(', ')}`)
  console.log(`  matching alone (every active subscriber's selection, batches of 100, one process, cold caches; ${fmt(votersSeeded)} voters with ${VOTES_EACH} votes each among them): ${runs.map((r) => `${fmt(r.matching.seconds, 1)} s = ${fmt(r.matching.subscribers / r.matching.seconds)} subscribers/s`).join(', ')}`)
  console.log(`  mean message size ${fmt(two.meanBytes / 1024, 1)} KB`)
  console.log('  * latency = SMTP sink receive time minus the delivery row\'s created_at (planned → accepted by the sink),')
  console.log('    so it includes the time a batch waits in the queue behind the rest of the edition.')
  if (N === 100_000) console.log(`  100k measured: ${fmt(two.seconds, 1)} s with 2 workers`)
  console.log('')
  console.log(`ceiling: nodemailer pool (5 connections) × 2 processes, one prebuilt ${ceilings.map((c) => fmt(c.bytes / 1024, 1)).join(' / ')} KB message: ${fmt(roof.perSecond)} msgs/s (mean of ${ceilings.map((c) => fmt(c.perSecond)).join(' just before and ')} just after the 2-worker run)`)
  console.log(`  CPU per message: nodemailer senders ${fmt(roof.senderCpuMs, 2)} ms, SMTP sink (bench process) ${fmt(roof.sinkCpuMs, 2)} ms`)
  console.log(`  2 workers reach ${fmt((100 * two.perSecond) / roof.perSecond)} % of it`)
  // After the warm-up of fresh worker processes (second by second, above): whole seconds from the fifth on, without
  // the last (it ends with the run). Shown beside the end-to-end figure, never instead of it.
  const steady = two.timeline.slice(4, -1)
  if (steady.length >= 3) {
    const rate = steady.reduce((sum, s) => sum + s.messages, 0) / steady.length
    console.log(`  from the fifth second of the 2-worker run on: ${fmt(rate)} digests/s, ${fmt((100 * rate) / roof.perSecond)} % of it`)
  }
  console.log(`the same message through the workers' own SMTP path (SMTPConnection pool), 5 connections × 2 processes: ${fmt(ownPath.perSecond)} msgs/s`)
  console.log(`  CPU per message: senders ${fmt(ownPath.senderCpuMs, 2)} ms, SMTP sink ${fmt(ownPath.sinkCpuMs, 2)} ms; 2 workers reach ${fmt((100 * two.perSecond) / ownPath.perSecond)} % of it`)
  console.log('')
}
if (load) {
  console.log(`subscribe API (POST /api/subscriptions, ${args['api-connections']} connections, ${args['api-seconds']} s, distinct addresses): ` +
    `${fmt(load.requests.average)} req/s, p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ${fmt(load.requests.total)} requests, ${non2xx} non-2xx/errors`)
  console.log(`  CPU per request: ${apiCpu}`)
  console.log('')
}
if (limited && limitedRefusing) {
  const limit = Number(args.rate)
  for (const run of [limited, limitedRefusing]) {
    const relay = run.refused > 0 ? `the sink answered 421 to ${fmt(run.refused)}, each retried` : 'the sink accepting all'
    console.log(`under SEND_RATE=${fmt(limit)} (2 workers, ${fmt(run.sent)} digests, ${relay}): ` +
      `${fmt(run.achievedPerSecond, 1)} msgs/s over the middle 90 % of its messages, ${fmt((100 * run.achievedPerSecond) / limit, 1)} % of the limit; ` +
      `${fmt(run.perSecond, 1)} digests/s end to end (planning and retries' backoff included)`)
  }
  console.log('')
}
console.log(failures.length === 0 ? 'correctness: OK (every due subscriber: one message or skipped with nothing to send; sampled papers match the match repository)' : `correctness: ${failures.length} FAILURE(S)`)
for (const f of failures.slice(0, 20)) console.log(`  - ${f}`)

// --- clean up ----------------------------------------------------------------------------------------------------
if (api) await Promise.race([new Promise((r) => api!.exitCode !== null ? r(null) : api!.on('exit', r)), sleep(10_000)])
for (const queue of [deps.queues.send, deps.queues.plan, deps.queues.ingest]) await queue.obliterate({ force: true }).catch(() => {})
await deps.close()
await db.end()
await sink.close()
if (!args['keep-db']) {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`)
  await admin.end()
}
process.exit(failures.length === 0 ? 0 : 1)

import { randomUUID } from 'node:crypto'
import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.ts'
import { createDeps, type Deps } from '../../../src/deps.ts'
import { TEST_APP_SECRET, TEST_DATABASE_URL } from '../../helpers/env.ts'
import { recordFigures } from '../../helpers/figures.ts'
import { relabelledListing, uniqueDay, JUNE_12 } from '../../helpers/papers.ts'
import { exited, hardKill, killAll, spawnWorker, startRedis, type RedisChild, type WorkerChild } from '../../helpers/processes.ts'
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts'

/**
 * Fault injection on real worker processes (`node --import tsx workers/main.ts`, configured only by env), a private
 * redis-server that is restarted mid-run, and the SMTP sink in this process. The database rows are the truth; the
 * sink's Message-IDs are compared with them.
 */
const SEND_CONCURRENCY = 4
/** Messages of one batch job on the wire at once (IN_FLIGHT_PER_BATCH in src/email/outbox/delivery.service.ts). */
const LANES_PER_JOB = 8
const RECIPIENTS = 2000
const MAIL_FROM = 'Paperboy Test <digest@paperboy.test>'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let redis: RedisChild
let sink: SmtpSink
let deps: Deps
let queuePrefix: string
const figures: Record<string, unknown> = {}

const workerEnv = () => ({
  DATABASE_URL: TEST_DATABASE_URL,
  SMTP_URL: sink.url,
  REDIS_URL: redis.url,
  APP_SECRET: TEST_APP_SECRET,
  QUEUE_PREFIX: queuePrefix,
  SEND_CONCURRENCY: String(SEND_CONCURRENCY),
  MAIL_FROM,
  PUBLIC_URL: 'http://paperboy.test',
  // The sweeper's production pace is a minute; here it must find rows lost with the Redis restart within seconds.
  SWEEP_EVERY_MS: '1000',
  SWEEP_AFTER_MS: '3000',
  // Scheduled planning would add whatever else of the shared test database is due to the run.
  SCHEDULE_JOBS: 'false',
})

beforeAll(async () => {
  redis = await startRedis()
  sink = await startSmtpSink()
  queuePrefix = `rel-${randomUUID().slice(0, 8)}`
  const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: redis.url, DATABASE_URL: TEST_DATABASE_URL, SMTP_URL: sink.url, APP_SECRET: TEST_APP_SECRET, MAIL_FROM, PUBLIC_URL: 'http://paperboy.test' })
  deps = await createDeps(config, { databaseUrl: TEST_DATABASE_URL, smtpUrl: sink.url, appSecret: TEST_APP_SECRET, queuePrefix, retryDelayMs: 200 }, pino({ level: 'silent' }))
})

afterAll(async () => {
  await deps?.close().catch(() => {})
  await killAll()
  await sink?.close()
  recordFigures('workerCrash', figures)
})

/** An edition of `count` fresh active subscribers (whole trending list, 3 papers each) over a real listing. */
async function anEdition(count: number, label: string) {
  const day = uniqueDay()
  await deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
  const tag = `${label}-${randomUUID().slice(0, 8)}`
  await deps.prisma.$executeRaw`
    INSERT INTO subscribers (id, email, status, confirmed_at, papers_per_email)
    SELECT gen_random_uuid(), ${tag} || '-' || i || '@example.org', 'active', now(), 3 FROM generate_series(1, ${count}) AS i`
  return day
}

const deliveriesOf = (day: string) =>
  deps.prisma.delivery.findMany({ where: { edition: { date: new Date(`${day}T00:00:00.000Z`) } }, select: { id: true, status: true, messageId: true } })

async function progress(day: string) {
  return deps.digestService.progress(day)
}

/** Waits until no row of the edition is pending or failed and nothing has moved for `quietMs`. */
async function untilSettled(day: string, timeoutMs: number, quietMs = 2_000) {
  const deadline = Date.now() + timeoutMs
  let last = ''
  let since = Date.now()
  for (;;) {
    const p = await progress(day)
    const snapshot = JSON.stringify({ p, messages: sink.messages.length })
    if (snapshot !== last) {
      last = snapshot
      since = Date.now()
    }
    if (!p.pending && !p.failed && Date.now() - since >= quietMs) return p
    if (Date.now() > deadline) throw new Error(`edition ${day} did not settle within ${timeoutMs} ms: ${snapshot}`)
    await sleep(200)
  }
}

/**
 * The invariant: every `sent` row has exactly one message with its Message-ID at the sink; a row left `sending`
 * (unknown: the crash came between claim and `sent`) has at most one; nothing is pending, failed or duplicated, and
 * the sink holds no message that no row accounts for.
 */
async function check(day: string) {
  const rows = await deliveriesOf(day)
  const ids = new Set(rows.map((r) => r.messageId))
  const atSink = new Map<string, number>()
  for (const m of sink.messages) {
    const id = m.parsed.messageId ? `<${m.parsed.messageId.replace(/^<|>$/g, '')}>` : '(none)'
    atSink.set(id, (atSink.get(id) ?? 0) + 1)
  }
  const duplicates = [...atSink].filter(([id, n]) => ids.has(id) && n > 1)
  const sentWithoutOne = rows.filter((r) => r.status === 'sent' && atSink.get(r.messageId) !== 1)
  const unknown = rows.filter((r) => r.status === 'sending')
  const unknownAccepted = unknown.filter((r) => atSink.has(r.messageId)).length
  const lost = rows.filter((r) => r.status === 'pending' || r.status === 'failed')
  const sent = rows.filter((r) => r.status === 'sent').length
  // Messages at the sink that no delivery row accounts for (a Message-ID that is no row's).
  const known = new Set((await deps.prisma.delivery.findMany({ where: { messageId: { in: [...atSink.keys()] } }, select: { messageId: true } })).map((d) => d.messageId))
  const strays = [...atSink.keys()].filter((id) => !known.has(id))
  return { strays, rows: rows.length, sent, duplicates, sentWithoutOne, unknown: unknown.length, unknownAccepted, unknownNotAccepted: unknown.length - unknownAccepted, lost: lost.length, messagesChecked: [...atSink].filter(([id]) => ids.has(id)).reduce((a, [, n]) => a + n, 0) }
}

describe('worker crashes and a Redis restart during a 2,000-recipient send', () => {
  let crashRun: { kills: number; unknown: number; unknownNotAccepted: number } | undefined

  it('loses nothing and sends nothing twice: SIGKILLed workers, restarted, and Redis wiped mid-run', async () => {
    const day = await anEdition(RECIPIENTS, 'crash')
    // A slightly slow SMTP server keeps sends in flight long enough to be hit.
    sink.setAcceptDelay(2)
    const slots: WorkerChild[] = [spawnWorker(workerEnv()), spawnWorker(workerEnv())]
    await Promise.all(slots.map((w) => w.ready))

    const { planned } = await deps.digestService.sendEdition(day)
    expect(planned).toBeGreaterThanOrEqual(RECIPIENTS)

    // Fault points at random fractions of the send: 4 SIGKILLs and one Redis restart, in random order.
    const faults = ['kill', 'kill', 'kill', 'kill', 'redis'].map((kind) => ({ kind, at: Math.round(planned * (0.08 + Math.random() * 0.75)) }))
    faults.sort((a, b) => a.at - b.at)
    let kills = 0
    let redisRestarts = 0
    let sendingAtKills = 0
    const deadline = Date.now() + 90_000
    for (const fault of faults) {
      // At a random point of the send: when the sink has that many messages, or at most 2.5 s after the last fault
      // (crashes strand rows, so a late threshold may never be reached).
      const latest = Date.now() + 2_500
      while (sink.messages.length < fault.at && Date.now() < latest) {
        if (Date.now() > deadline) throw new Error(`send stalled at ${sink.messages.length} before fault ${JSON.stringify(fault)}`)
        await sleep(10)
      }
      if (fault.kind === 'redis') {
        await redis.restart()
        redisRestarts++
        continue
      }
      // Kill a worker that is up (the one running longest), then start its replacement at once.
      const victimIndex = slots.findIndex((w) => w.child.exitCode === null)
      const victim = slots[victimIndex]!
      await hardKill(victim.child)
      kills++
      sendingAtKills += (await progress(day)).sending ?? 0
      slots.splice(victimIndex, 1)
      slots.push(spawnWorker(workerEnv()))
    }
    expect(kills).toBe(4)
    expect(redisRestarts).toBe(1)

    // Stalled jobs of killed workers come back after BullMQ's lock expires (30 s); rows lost with Redis via the sweeper.
    await untilSettled(day, 120_000, 3_000)
    const result = await check(day)
    Object.assign(figures, {
      recipients: RECIPIENTS,
      deliveriesChecked: result.rows,
      workerKills: kills,
      redisRestarts,
      sendConcurrency: SEND_CONCURRENCY,
      messagesChecked: result.messagesChecked,
      sent: result.sent,
      unknown: result.unknown,
      unknownAccepted: result.unknownAccepted,
      unknownNotAccepted: result.unknownNotAccepted,
      lost: result.lost,
      duplicates: result.duplicates.length,
    })
    crashRun = { kills, unknown: result.unknown, unknownNotAccepted: result.unknownNotAccepted }
    sink.setAcceptDelay(0)
    for (const w of slots) await hardKill(w.child)
    expect(result.lost).toBe(0)
    expect(result.duplicates).toEqual([])
    expect(result.sentWithoutOne).toEqual([])
    expect(result.strays).toEqual([])
    expect(result.sent + result.unknown).toBeGreaterThanOrEqual(RECIPIENTS)
    expect(sendingAtKills).toBeGreaterThanOrEqual(result.unknown)
  }, 180_000)

  // Each row is claimed just before its SMTP transaction, so a SIGKILL strands at most the messages then on the wire.
  it('leaves at most one row `sending` per send in flight when a worker died', () => {
    expect(crashRun).toBeDefined()
    // In flight per process: SEND_CONCURRENCY jobs × LANES_PER_JOB messages on the wire.
    expect(crashRun!.unknown).toBeLessThanOrEqual(crashRun!.kills * SEND_CONCURRENCY * LANES_PER_JOB)
  })

  let preparedCrash: { blocked: number; leftSending: number; unknownNotAccepted: number } | undefined

  it('survives a crash before the SMTP transaction began: the other deliveries go out once, none is lost', async () => {
    const day = await anEdition(150, 'prep-crash')
    const worker = spawnWorker(workerEnv())
    await worker.ready
    // Hold the papers table so every send job blocks while selecting papers, before it could open any SMTP
    // transaction. A crash now cannot have handed anything to the server.
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await locker.connect()
    const before = sink.messages.length
    let blocked = 0
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE papers IN ACCESS EXCLUSIVE MODE')
      await deps.digestService.sendEdition(day)
      const deadline = Date.now() + 20_000
      while ((await deps.queues.send.getActiveCount()) < 1) {
        if (Date.now() > deadline) throw new Error('no send job got as far as selecting papers')
        await sleep(50)
      }
      await sleep(300)
      blocked = await deps.queues.send.getActiveCount()
      await hardKill(worker.child)
    } finally {
      await locker.query('ROLLBACK').catch(() => {})
      await locker.end()
    }
    const leftSending = (await progress(day)).sending ?? 0
    expect(sink.messages.length).toBe(before)
    // The killed worker's jobs stay `active` in Redis until their lock expires; wiping Redis makes the sweeper take over.
    await redis.restart()
    const next = spawnWorker(workerEnv())
    await next.ready
    await untilSettled(day, 30_000)
    const result = await check(day)
    expect(result.lost).toBe(0)
    expect(result.duplicates).toEqual([])
    expect(result.sentWithoutOne).toEqual([])
    preparedCrash = { blocked, leftSending, unknownNotAccepted: result.unknownNotAccepted }
    figures.crashBeforeSmtp = { jobsBlockedWhenKilled: blocked, rowsSendingAfterKill: leftSending, leftSendingWithoutMessage: result.unknownNotAccepted }
    await hardKill(next.child)
  }, 120_000)

  // Selection and rendering happen before any claim: a crash while preparing leaves every row claimable.
  it('leaves no row `sending` when the crash came before the SMTP transaction', () => {
    expect(preparedCrash).toBeDefined()
    expect(preparedCrash!.blocked).toBeGreaterThan(0)
    expect(preparedCrash!.leftSending).toBe(0)
    expect(preparedCrash!.unknownNotAccepted).toBe(0)
  })

  it('on SIGTERM finishes the sends in flight, exits 0 and loses nothing', async () => {
    const day = await anEdition(400, 'sigterm')
    sink.setAcceptDelay(8)
    const worker = spawnWorker(workerEnv())
    await worker.ready
    await deps.digestService.sendEdition(day)
    const deadline = Date.now() + 20_000
    const atStart = sink.messages.length
    while (sink.messages.length < atStart + 20) {
      if (Date.now() > deadline) throw new Error('the worker sent nothing')
      await sleep(20)
    }
    const started = Date.now()
    worker.child.kill('SIGTERM')
    const code = await exited(worker.child)
    // how long it took is a figure (printed), not a pass/fail bound: a worker that never exits fails by the test's timeout
    const took = Date.now() - started
    expect(code).toBe(0)
    // In-flight work finished: nothing left `sending`, and jobs not started are still queued.
    const afterExit = await progress(day)
    expect(afterExit.sending ?? 0).toBe(0)
    expect(worker.output()).toContain('"shutdown"')

    sink.setAcceptDelay(0)
    const next = spawnWorker(workerEnv())
    await next.ready
    await untilSettled(day, 30_000)
    const result = await check(day)
    expect(result.lost).toBe(0)
    expect(result.unknown).toBe(0)
    expect(result.duplicates).toEqual([])
    expect(result.sentWithoutOne).toEqual([])
    expect(result.sent).toBeGreaterThanOrEqual(400)
    figures.sigterm = { exitCode: code, exitMs: took, sentBeforeExit: afterExit.sent ?? 0, pendingAtExit: afterExit.pending ?? 0, messagesChecked: result.messagesChecked }
    await hardKill(next.child)
  }, 90_000)
})

import { afterEach, describe, expect, it } from 'vitest'
import type { Job } from 'bullmq'
import pino from 'pino'
import { createIngestProcessor } from '../../../workers/processors.ts'
import { ENRICH_PATTERN, INGEST_PATTERN, PLAN_PATTERN, startWorkers, type RunningWorkers } from '../../../workers/workers.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

let t: TestApp | undefined
let workers: RunningWorkers | undefined
afterEach(async () => {
  await workers?.close()
  await t?.close()
  workers = t = undefined
})

/** The job schedulers of the app's ingest and plan queues after its workers started as `workers/main.ts` starts them. */
async function schedulersWith(env: Record<string, string>) {
  t = await buildTestApp({ workers: false, env })
  workers = await startWorkers(t.deps)
  const [ingest, plan, enrich] = await Promise.all([t.deps.queues.ingest.getJobSchedulers(), t.deps.queues.plan.getJobSchedulers(), t.deps.queues.enrich.getJobSchedulers()])
  return [...ingest, ...plan, ...enrich].map((s) => ({ key: s.key, pattern: s.pattern })).sort((a, b) => a.key.localeCompare(b.key))
}

describe('job schedulers of a worker process', () => {
  it('registers the ingest poll, the arXiv lookup and the planning run', async () => {
    expect(await schedulersWith({ ARXIV_LOOKUP: 'true' })).toEqual([
      { key: 'enrich-poll', pattern: ENRICH_PATTERN },
      { key: 'ingest-poll', pattern: INGEST_PATTERN },
      { key: 'plan-due', pattern: PLAN_PATTERN },
    ])
  })

  it('runs one arXiv lookup at a time across every worker', async () => {
    await schedulersWith({ ARXIV_LOOKUP: 'true' })
    expect(await t!.deps.queues.enrich.getGlobalConcurrency()).toBe(1)
  })

  it('leaves the arXiv lookup out with ARXIV_LOOKUP=false, and removes a lookup schedule registered before', async () => {
    await schedulersWith({ ARXIV_LOOKUP: 'true' })
    await workers!.close()
    await t!.close()
    expect(await schedulersWith({ ARXIV_LOOKUP: 'false' })).toEqual([
      { key: 'ingest-poll', pattern: INGEST_PATTERN },
      { key: 'plan-due', pattern: PLAN_PATTERN },
    ])
  })

  it('registers none with SCHEDULE_JOBS=false (a send-only worker)', async () => {
    expect(await schedulersWith({ SCHEDULE_JOBS: 'false' })).toEqual([])
  })
})

describe('the arXiv lookup queue', () => {
  it('holds one lookup however often one is asked for while it waits', async () => {
    t = await buildTestApp({ workers: false })
    await Promise.all([t.deps.queues.enqueueEnrich(), t.deps.queues.enqueueEnrich()])
    await t.deps.queues.enqueueEnrich()
    expect(await t.deps.queues.enrich.getJobCounts('waiting', 'delayed', 'active')).toEqual({ waiting: 1, delayed: 0, active: 0 })
  })
})

describe('the ingest job', () => {
  const job = { id: 'j', data: {} } as Job<{ date?: string }>
  const result = (inserted: number) => ({ days: [], fetched: inserted, inserted, updated: 0, unchanged: 0, skipped: 0, otherDays: 0 })

  it('fetches yesterday and today (UTC) when no date is given, the given date otherwise', async () => {
    const now = () => new Date('2026-08-02T09:00:00Z')
    const days: string[] = []
    await createIngestProcessor({ ingestDay: async (date) => (days.push(date), result(0)) }, pino({ level: 'silent' }), now)(job)
    expect(days).toEqual(['2026-08-01', '2026-08-02'])
    await createIngestProcessor({ ingestDay: async (date) => (days.push(date), result(0)) }, pino({ level: 'silent' }), now)({ id: 'j', data: { date: '2026-07-30' } } as Job<{ date?: string }>)
    expect(days).toEqual(['2026-08-01', '2026-08-02', '2026-07-30'])
  })
})

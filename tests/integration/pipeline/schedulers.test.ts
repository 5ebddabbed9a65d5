import { afterEach, describe, expect, it } from 'vitest'
import { INGEST_PATTERN, PLAN_PATTERN, startWorkers, type RunningWorkers } from '../../../workers/workers.ts'
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
  const [ingest, plan] = await Promise.all([t.deps.queues.ingest.getJobSchedulers(), t.deps.queues.plan.getJobSchedulers()])
  return [...ingest, ...plan].map((s) => ({ key: s.key, pattern: s.pattern })).sort((a, b) => a.key.localeCompare(b.key))
}

describe('job schedulers of a worker process', () => {
  it('registers the ingest poll and the planning run by default', async () => {
    expect(await schedulersWith({})).toEqual([
      { key: 'ingest-poll', pattern: INGEST_PATTERN },
      { key: 'plan-due', pattern: PLAN_PATTERN },
    ])
  })

  it('registers none with SCHEDULE_JOBS=false (a send-only worker)', async () => {
    expect(await schedulersWith({ SCHEDULE_JOBS: 'false' })).toEqual([])
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { createPool } from '../../../src/db/client.ts'
import { TEST_DATABASE_URL } from '../../helpers/env.ts'

const warnings: string[] = []
const onWarning = (warning: Error) => void warnings.push(warning.message)
afterEach(() => {
  process.off('warning', onWarning)
})

describe('a pool with generic plans', () => {
  it('sets them on a new connection before handing it out, so no query overlaps the SET (which pg deprecates)', async () => {
    process.on('warning', onWarning)
    const pool = createPool(TEST_DATABASE_URL, { max: 1, genericPlans: true })
    try {
      const [shown] = await Promise.all([pool.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode'), pool.query('SELECT 1'), pool.query('SELECT 2')])
      expect(shown.rows[0]!.plan_cache_mode).toBe('force_generic_plan')
    } finally {
      await pool.end()
    }
    // warnings are emitted on the next tick
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings.filter((m) => m.includes('already executing a query'))).toEqual([])
  })
})

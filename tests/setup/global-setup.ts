import { rmSync } from 'node:fs'
import pg from 'pg'
import { migrate } from '../../src/db/migrate.ts'
import { ADMIN_DATABASE_URL, TEST_DATABASE_URL } from '../helpers/env.ts'
import { USED_YEARS_DIR } from '../helpers/papers.ts'

/** Once per run: a fresh test database, migrated by the project's own migrate step (the one `npm start` uses). */
export default async function setup() {
  const name = new URL(TEST_DATABASE_URL).pathname.slice(1)
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  await migrate(TEST_DATABASE_URL)
  // a fresh database: no papers-day is taken yet
  rmSync(USED_YEARS_DIR, { recursive: true, force: true })
}

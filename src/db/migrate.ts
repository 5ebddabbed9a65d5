import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { packageRoot } from '../runtime/package-root.ts'

/**
 * Applies prisma/migrations/<stamp>_<name>/migration.sql in order, each in its own transaction, and records them in
 * Prisma's own `_prisma_migrations` table (same columns and SHA-256 checksums), so `prisma migrate deploy` and this
 * step agree about what is applied. The Prisma CLI cannot run here (it downloads its schema engine), hence this.
 * An applied migration whose file has changed is refused, never re-run.
 */
export const MIGRATIONS_DIR = path.join(packageRoot(), 'prisma', 'migrations')

export interface MigrationResult {
  applied: string[]
  alreadyApplied: number
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

// Any constant works; it only has to be the same for every process that migrates this database.
const ADVISORY_LOCK_KEY = 72_616_300

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<{ name: string; sql: string; checksum: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries.filter((e) => e.isDirectory() && /^\d{14}_\w+$/.test(e.name)).map((e) => e.name).sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await listMigrations(dir)
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    // Several processes (API, workers) may start at once: one migrates, the others wait and then see it done.
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY])
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`)
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    )
    const done = new Map(rows.map((r) => [r.migration_name, r]))
    for (const row of rows) {
      if (!row.finished_at) throw new MigrationError(`Migration ${row.migration_name} started but never finished; fix the database by hand, then mark it rolled back`)
    }
    const known = new Set(migrations.map((m) => m.name))
    const unknown = rows.filter((r) => !known.has(r.migration_name)).map((r) => r.migration_name)
    if (unknown.length > 0) throw new MigrationError(`The database has migrations this code does not know: ${unknown.join(', ')}`)

    const applied: string[] = []
    for (const m of migrations) {
      const previous = done.get(m.name)
      if (previous) {
        if (previous.checksum !== m.checksum) {
          throw new MigrationError(`Migration ${m.name} was changed after it was applied; add a new migration instead of editing it`)
        }
        continue
      }
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        )
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw new MigrationError(`Migration ${m.name} failed and was rolled back: ${(error as Error).message}`, { cause: error })
      }
      applied.push(m.name)
    }
    return { applied, alreadyApplied: migrations.length - applied.length }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => {})
    await client.end()
  }
}

import { cp, mkdtemp, appendFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrisma } from '../../../src/db/client.ts'
import { MIGRATIONS_DIR, listMigrations, migrate } from '../../../src/db/migrate.ts'
import * as Enums from '../../../src/generated/prisma/enums.ts'
import { ADMIN_DATABASE_URL, TEST_DATABASE_URL } from '../../helpers/env.ts'

const db = new pg.Client({ connectionString: TEST_DATABASE_URL })
beforeAll(() => db.connect())
afterAll(() => db.end())

type RuntimeModel = { dbName: string | null; fields: { name: string; kind: string; dbName?: string }[] }
// The generated client's own description of the tables and columns it will query (never connects).
const probe = createPrisma(TEST_DATABASE_URL)
const models = (probe as unknown as { _runtimeDataModel: { models: Record<string, RuntimeModel> } })._runtimeDataModel.models
afterAll(() => probe.$disconnect())

describe('the migrated database', () => {
  it('has every table and column the Prisma client queries', async () => {
    expect(Object.keys(models).sort()).toEqual(['Delivery', 'Edition', 'MailEvent', 'Paper', 'ReaderTaste', 'Subscriber', 'Suppression', 'Vote'])
    for (const [name, model] of Object.entries(models)) {
      const table = model.dbName ?? name
      const { rows } = await db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`, [table])
      const columns = new Set(rows.map((r) => r.column_name))
      expect(columns.size, `table ${table}`).toBeGreaterThan(0)
      for (const field of model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum')) {
        expect(columns.has(field.dbName ?? field.name), `${table}.${field.dbName ?? field.name}`).toBe(true)
      }
    }
  })

  it('has no column the client cannot fill that lacks a default', async () => {
    for (const [name, model] of Object.entries(models)) {
      const table = model.dbName ?? name
      const known = new Set(model.fields.map((f) => f.dbName ?? f.name))
      const { rows } = await db.query<{ column_name: string; is_nullable: string; column_default: string | null; is_generated: string }>(
        `SELECT column_name, is_nullable, column_default, is_generated FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`, [table])
      for (const column of rows.filter((r) => !known.has(r.column_name))) {
        expect(column.is_nullable === 'YES' || column.column_default !== null || column.is_generated === 'ALWAYS', `${table}.${column.column_name}`).toBe(true)
      }
    }
  })

  it('has the same enum values as the Prisma schema', async () => {
    const expected: Record<string, Record<string, string>> = {
      subscriber_status: Enums.SubscriberStatus, frequency: Enums.Frequency, delivery_kind: Enums.DeliveryKind, delivery_status: Enums.DeliveryStatus,
      arxiv_status: Enums.ArxivStatus, mail_event_kind: Enums.MailEventKind,
    }
    for (const [type, values] of Object.entries(expected)) {
      const { rows } = await db.query<{ v: string }>(`SELECT e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`, [type])
      expect(rows.map((r) => r.v), type).toEqual(Object.values(values))
    }
  })

  it('indexes deliveries as schema.prisma declares, with the open-rows and notices indexes partial', async () => {
    const { rows } = await db.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'deliveries' ORDER BY indexname`)
    expect(rows.map((r) => r.indexname)).toEqual([
      'deliveries_edition_id_status_idx', 'deliveries_notices_subscriber_id_created_at_idx', 'deliveries_open_status_created_at_idx', 'deliveries_pkey',
      'deliveries_subscriber_id_edition_id_key',
    ])
    // rows in flight or sent are not in it, so claims and `sent` marks do not write to it
    expect(rows.find((r) => r.indexname === 'deliveries_open_status_created_at_idx')!.indexdef).toMatch(/WHERE \(status = ANY \(ARRAY\['pending'::delivery_status, 'failed'::delivery_status, 'bounced'::delivery_status\]\)\)/)
    // digests are not in it: only the notices' monthly cap reads it
    expect(rows.find((r) => r.indexname === 'deliveries_notices_subscriber_id_created_at_idx')!.indexdef).toMatch(/\(subscriber_id, created_at\) WHERE \(kind = ANY \(ARRAY\['confirmation'::delivery_kind, 'already_subscribed'::delivery_kind\]\)\)/)
  })

  it('indexes the papers the arXiv lookup still has to ask about, and only those', async () => {
    const { rows } = await db.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'papers' ORDER BY indexname`)
    expect(rows.map((r) => r.indexname)).toEqual(['papers_arxiv_open_idx', 'papers_day_upvotes_idx', 'papers_pkey', 'papers_search_idx'])
    expect(rows.find((r) => r.indexname === 'papers_arxiv_open_idx')!.indexdef).toMatch(/\(day DESC, id\) WHERE \(arxiv_status = ANY \(ARRAY\['pending'::arxiv_status, 'missing'::arxiv_status\]\)\)/)
  })

  it('keeps every Message-ID derived from its delivery id, so unique without an index', async () => {
    const { rows: [subscriber] } = await db.query<{ id: string }>(`INSERT INTO subscribers (id, email, updated_at) VALUES (gen_random_uuid(), $1, now()) RETURNING id`, [`message-id-${Math.random().toString(36).slice(2)}@example.org`])
    const insert = (id: string, messageId: string) =>
      db.query(`INSERT INTO deliveries (id, kind, subscriber_id, message_id, updated_at) VALUES ($1, 'confirmation', $2, $3, now())`, [id, subscriber!.id, messageId])
    const id = crypto.randomUUID()
    const other = crypto.randomUUID()
    await expect(insert(id, `<${other}@paperboy.test>`)).rejects.toThrow(/deliveries_message_id_from_id/)
    await expect(insert(id, `<${id}@paperboy.test>`)).resolves.toBeDefined()
    // and it cannot be changed afterwards (every retry carries the same Message-ID)
    await expect(db.query(`UPDATE deliveries SET message_id = $2 WHERE id = $1`, [id, `<${other}@paperboy.test>`])).rejects.toThrow(/deliveries_message_id_from_id/)
    await db.query(`DELETE FROM subscribers WHERE id = $1`, [subscriber!.id])
  })

  it('round-trips a row through every model with the Prisma client', async () => {
    const prisma = createPrisma(TEST_DATABASE_URL)
    try {
      const suffix = Math.random().toString(36).slice(2)
      const paper = await prisma.paper.create({ data: { id: `schema-${suffix}`, title: 'Agents that reason', summary: 'We study agents.', day: new Date('2026-08-01'), aiKeywords: ['agents'] } })
      const subscriber = await prisma.subscriber.create({ data: { email: `schema-${suffix}@example.org`, topics: ['agents'] } })
      const edition = await prisma.edition.create({ data: { date: new Date(Date.UTC(2000 + Math.floor(Math.random() * 500), 0, 1)) } })
      const deliveryId = crypto.randomUUID()
      await prisma.delivery.create({ data: { id: deliveryId, kind: 'digest', subscriberId: subscriber.id, editionId: edition.id, messageId: `<${deliveryId}@x>`, paperIds: [paper.id] } })
      await prisma.suppression.create({ data: { emailHash: `hash-${suffix}`, reason: 'bounce' } })
      const loaded = await prisma.subscriber.findUniqueOrThrow({ where: { id: subscriber.id }, include: { deliveries: { include: { edition: true } } } })
      expect(loaded.deliveries[0]!.edition!.id).toBe(edition.id)
      expect(loaded.deliveries[0]!.paperIds).toEqual([paper.id])
      const { rows } = await db.query(`SELECT search @@ to_tsquery('english', 'agent') AS hit FROM papers WHERE id = $1`, [paper.id])
      expect(rows[0].hit).toBe(true)
      // One digest per (subscriber, edition): the database refuses a second.
      await expect(prisma.delivery.create({ data: { kind: 'digest', subscriberId: subscriber.id, editionId: edition.id, messageId: `<${suffix}-2@x>` } })).rejects.toThrow()
    } finally {
      await prisma.$disconnect()
    }
  })
})

describe('migrate', () => {
  const name = `paperboy_test_migrate_${process.pid}`
  const url = new URL(ADMIN_DATABASE_URL)
  url.pathname = `/${name}`
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  let dir: string

  beforeAll(async () => {
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.query(`CREATE DATABASE "${name}"`)
    dir = await mkdtemp(path.join(tmpdir(), 'paperboy-migrations-'))
    await cp(MIGRATIONS_DIR, dir, { recursive: true })
  })
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.end()
    await rm(dir, { recursive: true, force: true })
  })

  it('applies pending migrations once, records them like Prisma, then refuses an edited one', async () => {
    const names = (await listMigrations(dir)).map((m) => m.name)
    expect(names[0]).toBe('20261125000000_init')
    const first = await migrate(url.toString(), dir)
    expect(first.applied).toEqual(names)
    const second = await migrate(url.toString(), dir)
    expect(second).toEqual({ applied: [], alreadyApplied: names.length })

    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    const { rows } = await client.query(`SELECT migration_name, length(checksum) AS len, finished_at IS NOT NULL AS done FROM _prisma_migrations ORDER BY migration_name`)
    await client.end()
    expect(rows).toEqual(names.map((migration_name) => ({ migration_name, len: 64, done: true })))

    await appendFile(path.join(dir, '20261125000000_init', 'migration.sql'), '\n-- edited\n')
    await expect(migrate(url.toString(), dir)).rejects.toThrow(/20261125000000_init was changed after it was applied/)
  })

  it('rolls back a failing migration completely and reports it', async () => {
    const bad = path.join(dir, '20991231000000_broken')
    await cp(path.join(dir, '20261125000000_init'), bad, { recursive: true })
    const fresh = `${name}_b`
    await admin.query(`DROP DATABASE IF EXISTS "${fresh}" WITH (FORCE)`)
    await admin.query(`CREATE DATABASE "${fresh}"`)
    const freshUrl = new URL(url)
    freshUrl.pathname = `/${fresh}`
    try {
      await cp(MIGRATIONS_DIR + '/20261125000000_init/migration.sql', path.join(dir, '20261125000000_init', 'migration.sql'))
      // The copy re-creates the same types, so it fails halfway: nothing of it may stay.
      await expect(migrate(freshUrl.toString(), dir)).rejects.toThrow(/20991231000000_broken failed and was rolled back/)
      const client = new pg.Client({ connectionString: freshUrl.toString() })
      await client.connect()
      const { rows } = await client.query(`SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`)
      await client.end()
      expect(rows.map((r) => r.migration_name)).toEqual((await listMigrations(MIGRATIONS_DIR)).map((m) => m.name))
    } finally {
      await rm(bad, { recursive: true, force: true })
      await admin.query(`DROP DATABASE IF EXISTS "${fresh}" WITH (FORCE)`)
    }
  })
})

/**
 * A database of its own as it was just before `migration`, holding what `seed` writes; then `migration` is applied
 * and `check` reads the result. Dropped afterwards.
 */
async function acrossMigration(migration: string, seed: string, check: (client: pg.Client) => Promise<void>) {
  const name = `paperboy_test_${migration.slice(0, 14)}_${process.pid}`
  const url = new URL(ADMIN_DATABASE_URL)
  url.pathname = `/${name}`
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  await admin.query(`CREATE DATABASE "${name}"`)
  const dir = await mkdtemp(path.join(tmpdir(), 'paperboy-migrations-'))
  const client = new pg.Client({ connectionString: url.toString() })
  try {
    for (const m of (await listMigrations()).map((m) => m.name).filter((m) => m < migration)) await cp(path.join(MIGRATIONS_DIR, m), path.join(dir, m), { recursive: true })
    await migrate(url.toString(), dir)
    await client.connect()
    await client.query(seed)
    await cp(path.join(MIGRATIONS_DIR, migration), path.join(dir, migration), { recursive: true })
    expect((await migrate(url.toString(), dir)).applied).toEqual([migration])
    await check(client)
  } finally {
    await client.end().catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.end()
    await rm(dir, { recursive: true, force: true })
  }
}

describe('migration 20261125040000_subscriber_last_notice', () => {
  it('records each subscriber\'s newest confirmation or "already subscribed" email on the row, ignoring digests', async () => {
    await acrossMigration(
      '20261125040000_subscriber_last_notice',
      `INSERT INTO subscribers (id, email) VALUES ('00000000-0000-4000-8000-000000000001', 'a@example.org'), ('00000000-0000-4000-8000-000000000002', 'b@example.org');
       INSERT INTO editions (id, date) VALUES ('00000000-0000-4000-8000-0000000000e1', '2026-11-20');
       INSERT INTO deliveries (id, kind, subscriber_id, edition_id, message_id, created_at, updated_at) VALUES
         ('00000000-0000-4000-8000-00000000000a', 'confirmation', '00000000-0000-4000-8000-000000000001', NULL, '<a1@x>', '2026-11-01T10:00:00Z', now()),
         ('00000000-0000-4000-8000-00000000000b', 'already_subscribed', '00000000-0000-4000-8000-000000000001', NULL, '<a2@x>', '2026-11-10T10:00:00Z', now()),
         ('00000000-0000-4000-8000-00000000000c', 'digest', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000e1', '<a3@x>', '2026-11-20T10:00:00Z', now());`,
      async (client) => {
        const { rows } = await client.query(`SELECT email, last_notice_at, last_notice_id::text FROM subscribers ORDER BY email`)
        expect(rows).toEqual([
          { email: 'a@example.org', last_notice_at: new Date('2026-11-10T10:00:00Z'), last_notice_id: '00000000-0000-4000-8000-00000000000b' },
          { email: 'b@example.org', last_notice_at: null, last_notice_id: null },
        ])
      },
    )
  })
})

describe('migration 20261206000000_relevance', () => {
  it('gives the readers of safety & alignment interpretability too, now a topic of its own, and every paper a pending lookup', async () => {
    await acrossMigration(
      '20261206000000_relevance',
      `INSERT INTO subscribers (id, email, topics) VALUES
         ('00000000-0000-4000-8000-000000000001', 'safety@example.org', '{agents,safety-alignment}'),
         ('00000000-0000-4000-8000-000000000002', 'both@example.org', '{interpretability,safety-alignment}'),
         ('00000000-0000-4000-8000-000000000003', 'other@example.org', '{robotics}');
       INSERT INTO papers (id, title, summary, day) VALUES ('2607.22535', 'A paper', 'An abstract.', '2026-07-27');`,
      async (client) => {
        const { rows } = await client.query(`SELECT email, topics, categories FROM subscribers ORDER BY email`)
        expect(rows).toEqual([
          { email: 'both@example.org', topics: ['interpretability', 'safety-alignment'], categories: [] },
          { email: 'other@example.org', topics: ['robotics'], categories: [] },
          { email: 'safety@example.org', topics: ['agents', 'safety-alignment', 'interpretability'], categories: [] },
        ])
        const { rows: papers } = await client.query(`SELECT arxiv_status::text, arxiv_attempts, arxiv_categories FROM papers`)
        expect(papers).toEqual([{ arxiv_status: 'pending', arxiv_attempts: 0, arxiv_categories: [] }])
      },
    )
  })
})

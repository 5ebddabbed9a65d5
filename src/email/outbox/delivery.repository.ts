import type { Db, Sql } from '../../db/client.ts'
import type { DeliveryKind, Frequency, SubscriberStatus } from '../../generated/prisma/client.ts'

/** A claimable delivery (from loadClaimable), with what sending it needs of its subscriber and edition. */
export interface ClaimedDelivery {
  id: string
  kind: DeliveryKind
  messageId: string
  /** 'YYYY-MM-DD' for digests, null otherwise. */
  editionDate: string | null
  subscriber: {
    id: string
    email: string
    status: SubscriberStatus
    paused: boolean
    frequency: Frequency
    skipEmpty: boolean
  }
  suppressed: boolean
}

interface ClaimedRow {
  id: string
  kind: DeliveryKind
  message_id: string
  edition_date: string | null
  subscriber_id: string
  email: string
  status: SubscriberStatus
  paused: boolean
  frequency: Frequency
  skip_empty: boolean
  suppressed: boolean
}

// Once per send batch, through pg as a named (prepared) statement: Prisma's $queryRaw cost more client CPU per batch
// than PostgreSQL spent on the query.
const LOAD_CLAIMABLE = `
  SELECT d.id::text AS id, d.kind::text AS kind, d.message_id, e.date::text AS edition_date,
         s.id::text AS subscriber_id, s.email, s.status::text AS status, s.paused, s.frequency::text AS frequency,
         s.skip_empty,
         EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = encode(sha256(convert_to(s.email, 'UTF8')), 'hex')) AS suppressed
  FROM deliveries d
  JOIN subscribers s ON s.id = d.subscriber_id
  LEFT JOIN editions e ON e.id = d.edition_id
  WHERE d.id = ANY ($1::uuid[]) AND d.status IN ('pending', 'failed')`

// A claimed digest's selection (papers and why each matched) is written with its claim: a row is `sending` with
// exactly the papers it is being sent with, which "already sent" and "view in browser" read.
const MARK_SENT_AND_CLAIM = `
  WITH sent AS (
    UPDATE deliveries d SET status = 'sent', sent_at = $3, last_error = NULL, updated_at = CURRENT_TIMESTAMP
    WHERE d.id = ANY ($1::uuid[]) AND d.status = 'sending'
  ), claimed AS (
    UPDATE deliveries d
    SET status = 'sending', attempts = d.attempts + 1, updated_at = CURRENT_TIMESTAMP,
        paper_ids = coalesce(x.paper_ids, d.paper_ids), paper_reasons = coalesce(x.paper_reasons, d.paper_reasons)
    FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, paper_ids text[], paper_reasons text[])
    -- the ids again as an array: the planner then finds the rows by primary key instead of reading every open row.
    -- The status compared as text: a plan made for any ids (a generic plan, which this statement gets) would otherwise
    -- also read the partial index of open rows, every pending row of an edition, for each claim.
    WHERE d.id = ANY ($4::uuid[]) AND d.id = x.id AND d.status::text IN ('pending', 'failed')
    RETURNING d.id
  )
  SELECT id::text AS id FROM claimed`

/** A row to claim; a digest carries the papers it will be sent with and why each matched. */
export interface Claim {
  id: string
  paperIds?: string[]
  paperReasons?: string[]
}

/**
 * The only Prisma access for deliveries: the outbox and its state machine. `claimSql` is where markSentAndClaim runs:
 * a pool with generic plans (see createDeps).
 */
export function createDeliveryRepository(db: Db, sql: Sql, claimSql: Sql) {
  return {
    /**
     * A send batch's rows that are still claimable (pending|failed), with each subscriber and whether the address is
     * suppressed (the same SHA-256 as emailHash, computed in SQL), in one statement. Nothing is claimed here: each row
     * is claimed right before its own SMTP transaction, so a crash strands at most the messages then on the wire.
     */
    async loadClaimable(ids: readonly string[]): Promise<ClaimedDelivery[]> {
      if (ids.length === 0) return []
      const { rows } = await sql.query<ClaimedRow>({ name: 'delivery-load-claimable', text: LOAD_CLAIMABLE, values: [ids] })
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        messageId: r.message_id,
        editionDate: r.edition_date,
        subscriber: { id: r.subscriber_id, email: r.email, status: r.status, paused: r.paused, frequency: r.frequency, skipEmpty: r.skip_empty },
        suppressed: r.suppressed,
      }))
    },

    /**
     * The send path's only write per email, for many emails in one statement (one commit): records rows whose SMTP
     * transaction succeeded as `sent` (their stored papers are then never selected for that subscriber again) and
     * claims the rows about to be sent (pending|failed → sending, with a digest's selection; only one claimant can
     * win, and a row left `sending` by a crash after the SMTP server accepted it is never claimed again: at most
     * once). Returns the ids it claimed.
     */
    async markSentAndClaim(sentIds: readonly string[], claims: readonly Claim[], now: Date): Promise<Set<string>> {
      if (sentIds.length === 0 && claims.length === 0) return new Set()
      const rows = JSON.stringify(claims.map((c) => ({ id: c.id, paper_ids: c.paperIds, paper_reasons: c.paperReasons })))
      // A named (prepared) statement on a connection with generic plans: parsed and planned once per connection.
      const result = await claimSql.query<{ id: string }>({ name: 'delivery-mark-sent-and-claim', text: MARK_SENT_AND_CLAIM, values: [sentIds, rows, now, claims.map((c) => c.id)] })
      return new Set(result.rows.map((r) => r.id))
    },

    /** Each row's reason, in one statement. */
    async markSkippedMany(rows: readonly { id: string; reason: string }[]): Promise<void> {
      if (rows.length === 0) return
      await db.$executeRaw`
        UPDATE deliveries d SET status = 'skipped', last_error = x.reason, updated_at = CURRENT_TIMESTAMP
        FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.reason)}::text[]) AS x(id, reason)
        WHERE d.id = x.id AND d.status IN ('pending', 'failed')`
    },

    /** Back to `failed` (claimable, retried with the job), each with its error, in one statement. */
    async markFailedMany(rows: readonly { id: string; error: string }[]): Promise<void> {
      if (rows.length === 0) return
      await db.$executeRaw`
        UPDATE deliveries d SET status = 'failed', last_error = x.error, updated_at = CURRENT_TIMESTAMP
        FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.error.slice(0, 1000))}::text[]) AS x(id, error)
        WHERE d.id = x.id AND d.status = 'sending'`
    },

    /** A hard bounce: the delivery, the subscriber and the address (by hash, in the suppression list) in one go. */
    markBounced: (id: string, subscriberId: string, emailHash: string, error: string) =>
      db.$transaction([
        db.delivery.update({ where: { id }, data: { status: 'bounced', lastError: error.slice(0, 1000) } }),
        db.subscriber.update({ where: { id: subscriberId }, data: { status: 'bounced' } }),
        db.suppression.upsert({ where: { emailHash }, create: { emailHash, reason: 'bounce' }, update: {} }),
      ]),

    /** Pending rows older than `before`, oldest first, for the sweeper. */
    pendingBefore: (before: Date, take: number, afterId?: string) =>
      db.delivery.findMany({
        where: { status: 'pending', createdAt: { lt: before }, ...(afterId ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true },
      }),
  }
}
export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>

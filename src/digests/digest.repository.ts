import type { Db } from '../db/client.ts'
import { Prisma } from '../generated/prisma/client.ts'

/**
 * A new digest delivery's id: a UUIDv7 (RFC 9562), milliseconds since the epoch in its first 48 bits, then random
 * bits. An edition's rows get ascending ids, so their inserts and the new index entries of their claims and `sent`
 * marks land on a few recent pages of the primary key, where random (v4) ids touch a leaf anywhere in it — and over a
 * year of digests the key outgrows memory. gen_random_uuid()'s bytes with the time laid over the first six and the
 * version nibble turned from 4 into 7 (bits 52 and 53); PostgreSQL 18 has uuidv7(), 15 does not.
 */
const NEW_DELIVERY_ID = Prisma.raw(
  `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`,
)

/** The only Prisma access for editions and digest planning. */
export function createDigestRepository(db: Db, messageIdDomain: string) {
  async function ensureEditions(dates: readonly string[]): Promise<void> {
    await db.$executeRaw`
      INSERT INTO editions (id, date)
      SELECT gen_random_uuid(), d::date FROM unnest(${[...dates]}::text[]) AS d
      ON CONFLICT (date) DO NOTHING`
  }

  return {
    ensureEditions,

    /**
     * Creates digest deliveries for up to `batch` subscribers after `afterId` (a cursor, so memory stays flat in the
     * number of subscribers). Due = active, not paused, daily or on their weekday, and either (scheduled) their local
     * hour has come on their local date, or (forced) the given edition date whatever the hour. The unique
     * (subscriber, edition) key makes this safe to run any number of times and from several processes.
     * Returns the new delivery ids and the last subscriber id scanned (null when done).
     */
    async planBatch(input: { now: Date; editionDate?: string; afterId: string; batch: number }): Promise<{ deliveryIds: string[]; lastId: string | null }> {
      const forced = input.editionDate ?? null
      const rows = await db.$queryRaw<{ scanned: string | null; ids: string[] }[]>`
        WITH candidates AS (
          SELECT s.id AS subscriber_id, s.frequency, s.weekly_day, s.send_hour, s.timezone,
                 coalesce(${forced}::date, (${input.now}::timestamptz AT TIME ZONE s.timezone)::date) AS edition_date
          FROM subscribers s
          WHERE s.status = 'active' AND NOT s.paused AND s.id > ${input.afterId}::uuid
          ORDER BY s.id
          LIMIT ${input.batch}
        ), due AS (
          SELECT c.subscriber_id, e.id AS edition_id
          FROM candidates c
          JOIN editions e ON e.date = c.edition_date
          WHERE (c.frequency = 'daily' OR extract(dow FROM c.edition_date) = c.weekly_day)
            AND (${forced}::date IS NOT NULL OR extract(hour FROM ${input.now}::timestamptz AT TIME ZONE c.timezone) >= c.send_hour)
        ), inserted AS (
          -- An existing delivery is skipped by ON CONFLICT, which probes the (subscriber_id, edition_id) key. (A NOT
          -- EXISTS here did the same, but before deliveries had statistics the planner answered it by reading all of
          -- the edition's deliveries for every subscriber: 20 s instead of 2 to plan 20,000.)
          INSERT INTO deliveries (id, kind, subscriber_id, edition_id, message_id, updated_at)
          SELECT g.id, 'digest', g.subscriber_id, g.edition_id, '<' || g.id || '@' || ${messageIdDomain} || '>', CURRENT_TIMESTAMP
          -- a volatile call in a subquery's target list runs once per row; an uncorrelated LATERAL may run only once
          FROM (SELECT due.subscriber_id, due.edition_id, ${NEW_DELIVERY_ID} AS id FROM due) g
          ON CONFLICT (subscriber_id, edition_id) DO NOTHING
          RETURNING id
        )
        SELECT (SELECT subscriber_id::text FROM candidates ORDER BY subscriber_id DESC LIMIT 1) AS scanned,
               coalesce((SELECT array_agg(id::text ORDER BY id) FROM inserted), '{}') AS ids`
      const row = rows[0]!
      return { deliveryIds: row.ids, lastId: row.scanned }
    },


    /** The digest a subscriber got (or is getting) for an edition date, for "view in browser". */
    findDigestDelivery: (subscriberId: string, date: string) =>
      db.delivery.findFirst({ where: { subscriberId, kind: 'digest', edition: { date: new Date(`${date}T00:00:00.000Z`) } }, include: { edition: true } }),

    /** One digest delivery for one subscriber and edition (development "send me one now"); null if it exists. */
    async createDigestDelivery(subscriberId: string, editionDate: string): Promise<string | null> {
      await ensureEditions([editionDate])
      const rows = await db.$queryRaw<{ id: string }[]>`
        INSERT INTO deliveries (id, kind, subscriber_id, edition_id, message_id, updated_at)
        SELECT g.id, 'digest', ${subscriberId}::uuid, e.id, '<' || g.id || '@' || ${messageIdDomain} || '>', CURRENT_TIMESTAMP
        FROM editions e CROSS JOIN LATERAL (SELECT ${NEW_DELIVERY_ID} AS id) g
        WHERE e.date = ${editionDate}::date
        ON CONFLICT (subscriber_id, edition_id) DO NOTHING
        RETURNING id::text AS id`
      return rows[0]?.id ?? null
    },

    /** The subscriber's latest sent digests, newest first, for their private feed. */
    recentSentDigests: (subscriberId: string, take: number) =>
      db.delivery.findMany({
        where: { subscriberId, kind: 'digest', status: 'sent' },
        orderBy: { sentAt: 'desc' },
        take,
        select: { paperIds: true, paperReasons: true, sentAt: true },
      }),

    /** Delivery counts by status for one edition (progress of a send). */
    async editionProgress(date: string): Promise<Record<string, number>> {
      const rows = await db.$queryRaw<{ status: string; n: number }[]>`
        SELECT d.status::text AS status, count(*)::int AS n
        FROM deliveries d JOIN editions e ON e.id = d.edition_id
        WHERE e.date = ${date}::date
        GROUP BY d.status`
      return Object.fromEntries(rows.map((r) => [r.status, r.n]))
    },

    /** Failed digests of an edition (retries exhausted), for an operator's re-send. */
    async failedOfEdition(date: string): Promise<string[]> {
      const rows = await db.$queryRaw<{ id: string }[]>`
        SELECT d.id::text AS id FROM deliveries d JOIN editions e ON e.id = d.edition_id
        WHERE e.date = ${date}::date AND d.status = 'failed'`
      return rows.map((r) => r.id)
    },
  }
}
export type DigestRepository = ReturnType<typeof createDigestRepository>

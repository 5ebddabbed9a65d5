import { randomUUID } from 'node:crypto'
import type { Db, Sql } from '../db/client.ts'
import type { Subscriber } from '../generated/prisma/client.ts'
import type { PreferencesBody } from './subscriber.schemas.ts'

/** At most this many confirmation or "already subscribed" emails to one address in 30 days (and one a day). */
export const NOTICES_PER_MONTH = 4

/** One subscribe request, as the statement takes it. */
export interface SubscribeRequest {
  email: string
  emailHash: string
  /** Absent = not sent with the request: a new row gets the default, an unconfirmed one keeps what it had. */
  topics?: string[]
  keywords?: string[]
  timezone?: string
}

const SUBSCRIBE = `
  WITH input AS MATERIALIZED (
    SELECT u.ord, u.id, u.delivery_id, u.email, u.email_hash, u.timezone, u.message_id,
           CASE WHEN u.topics IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.topics)) END AS topics,
           CASE WHEN u.keywords IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.keywords)) END AS keywords
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::text[], $8::text[])
      WITH ORDINALITY AS u(id, delivery_id, email, email_hash, topics, keywords, timezone, message_id, ord)
  ), upsert AS (
    INSERT INTO subscribers AS s (id, email, topics, keywords, timezone, send_hour, last_notice_at, last_notice_id, updated_at)
    SELECT i.id, i.email, coalesce(i.topics, '{}'), coalesce(i.keywords, '{}'), coalesce(i.timezone, $9), $10::int, $11::timestamptz, i.delivery_id, $11::timestamptz
    FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = i.email_hash)
    -- one lock order for every statement: concurrent batches wait for each other, never deadlock
    ORDER BY i.email
    ON CONFLICT (email) DO UPDATE SET
      (topics, keywords, timezone) = (
        SELECT CASE WHEN s.status IN ('pending', 'unsubscribed') AND i.topics IS NOT NULL THEN i.topics ELSE s.topics END,
               CASE WHEN s.status IN ('pending', 'unsubscribed') AND i.keywords IS NOT NULL THEN i.keywords ELSE s.keywords END,
               CASE WHEN s.status IN ('pending', 'unsubscribed') AND i.timezone IS NOT NULL THEN i.timezone ELSE s.timezone END
        FROM input i WHERE i.email = EXCLUDED.email
      ),
      updated_at = EXCLUDED.updated_at,
      (last_notice_at, last_notice_id) = (
        SELECT CASE WHEN due THEN EXCLUDED.last_notice_at ELSE s.last_notice_at END, CASE WHEN due THEN EXCLUDED.last_notice_id ELSE s.last_notice_id END
        FROM (SELECT s.status <> 'bounced'
                AND (s.last_notice_at IS NULL OR s.last_notice_at <= $11::timestamptz - interval '1 day')
                AND (SELECT count(*) FROM deliveries d
                     WHERE d.subscriber_id = s.id AND d.kind IN ('confirmation', 'already_subscribed')
                       AND d.created_at > $11::timestamptz - interval '30 days') < $12 AS due) AS decision
      )
    RETURNING s.id, s.email, s.status, s.last_notice_id
  ), notices AS (
    INSERT INTO deliveries (id, kind, subscriber_id, message_id, created_at, updated_at)
    SELECT i.delivery_id, (CASE WHEN u.status = 'active' THEN 'already_subscribed' ELSE 'confirmation' END)::delivery_kind, u.id, i.message_id,
           $11::timestamptz, $11::timestamptz
    FROM upsert u JOIN input i ON i.email = u.email
    WHERE u.last_notice_id = i.delivery_id
    RETURNING id
  )
  SELECT n.id::text AS id FROM input i LEFT JOIN notices n ON n.id = i.delivery_id ORDER BY i.ord`

/** The only Prisma access for subscribers and the suppression list. */
export function createSubscriberRepository(db: Db, sql: Sql, messageIdDomain: string) {
  return {
    /**
     * Subscribe requests in one statement (one round trip, one commit), each answered with the id of the email to
     * send, or null when none is due: the address is suppressed or bounced, or it had an email in the last day or
     * NOTICES_PER_MONTH in the last 30 days. INSERT … ON CONFLICT DO UPDATE locks an existing row and works on its
     * latest version, so concurrent subscribes of one address serialise on that row: the first sets last_notice_*,
     * the others see it and send nothing. Choices sent with a request replace those of an unconfirmed subscriber; an
     * active subscriber's are only changed through the signed preferences link. The addresses must be distinct (one
     * statement cannot update a row twice).
     */
    async subscribe(requests: readonly SubscribeRequest[], defaults: { timezone: string; sendHour: number }, now: Date): Promise<(string | null)[]> {
      if (requests.length === 0) return []
      if (new Set(requests.map((r) => r.email)).size !== requests.length) throw new RangeError('subscribe: one statement cannot take an address twice')
      const deliveryIds = requests.map(() => randomUUID())
      const json = (list: string[] | undefined) => (list ? JSON.stringify(list) : null)
      // A named (prepared) statement: parsed and planned once per connection; planning it was half its cost.
      const { rows } = await sql.query<{ id: string | null }>({
        name: 'subscriber-subscribe',
        text: SUBSCRIBE,
        values: [
          requests.map(() => randomUUID()), deliveryIds, requests.map((r) => r.email), requests.map((r) => r.emailHash),
          requests.map((r) => json(r.topics)), requests.map((r) => json(r.keywords)), requests.map((r) => r.timezone ?? null),
          deliveryIds.map((id) => `<${id}@${messageIdDomain}>`),
          defaults.timezone, defaults.sendHour, now, NOTICES_PER_MONTH,
        ],
      })
      return rows.map((r) => r.id)
    },

    findById: (id: string) => db.subscriber.findUnique({ where: { id } }),

    /** Activates a pending or unsubscribed subscriber; returns null when the row is gone. */
    async activate(id: string, now: Date): Promise<Subscriber | null> {
      await db.subscriber.updateMany({
        where: { id, status: { in: ['pending', 'unsubscribed'] } },
        data: { status: 'active', confirmedAt: now, unsubscribedAt: null, paused: false },
      })
      return db.subscriber.findUnique({ where: { id } })
    },

    async unsubscribe(id: string, now: Date): Promise<Subscriber | null> {
      await db.subscriber.updateMany({
        where: { id, status: { in: ['pending', 'active'] } },
        data: { status: 'unsubscribed', unsubscribedAt: now },
      })
      return db.subscriber.findUnique({ where: { id } })
    },

    async updatePreferences(id: string, data: PreferencesBody): Promise<Subscriber | null> {
      const { count } = await db.subscriber.updateMany({ where: { id }, data })
      return count === 0 ? null : db.subscriber.findUnique({ where: { id } })
    },

    /** Everything we hold about one subscriber, for "export my data". */
    exportData: (id: string) =>
      db.subscriber.findUnique({
        where: { id },
        include: {
          deliveries: {
            orderBy: { createdAt: 'asc' },
            select: { kind: true, status: true, messageId: true, paperIds: true, createdAt: true, sentAt: true },
          },
          votes: { orderBy: { votedAt: 'asc' }, select: { paperId: true, vote: true, votedAt: true } },
          taste: { select: { votes: true, more: true, less: true, updatedAt: true } },
        },
      }),

    /** Erase: deletes the row; deliveries and sent papers go with it (ON DELETE CASCADE), and every link dies. */
    async erase(id: string): Promise<boolean> {
      const { count } = await db.subscriber.deleteMany({ where: { id } })
      return count === 1
    },
  }
}
export type SubscriberRepository = ReturnType<typeof createSubscriberRepository>

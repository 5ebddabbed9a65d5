import { randomUUID } from 'node:crypto'
import type { Db, Sql } from '../db/client.ts'
import type { Prisma, Subscriber } from '../generated/prisma/client.ts'
import type { PreferencesBody } from './subscriber.schemas.ts'

type Tx = Prisma.TransactionClient

/** At most this many confirmation or "already subscribed" emails to one address in 30 days (and one a day). */
export const NOTICES_PER_MONTH = 4

export interface SubscribeRequest {
  email: string
  emailHash: string
  /** Absent = not sent with the request: a new row gets the default, an unconfirmed one keeps what it had. */
  topics?: string[]
  keywords?: string[]
  timezone?: string
  defaults: { timezone: string; sendHour: number }
  now: Date
}

/** The only Prisma access for subscribers and the suppression list. */
export function createSubscriberRepository(db: Db, sql: Sql, messageIdDomain: string) {
  return {
    /**
     * A subscribe request in one statement (one round trip, one commit), returning the id of the email to send, or
     * null when none is due: the address is suppressed or bounced, or it had an email in the last day or
     * NOTICES_PER_MONTH in the last 30 days. INSERT … ON CONFLICT DO UPDATE locks an existing row and works on its
     * latest version, so concurrent subscribes of one address serialise on that row: the first sets last_notice_*,
     * the others see it and send nothing. Choices sent with a request replace those of an unconfirmed subscriber; an
     * active subscriber's are only changed through the signed preferences link.
     */
    async subscribe(request: SubscribeRequest): Promise<string | null> {
      const deliveryId = randomUUID()
      // A named (prepared) statement: parsed and planned once per connection; planning it was half its cost.
      const { rows } = await sql.query<{ id: string }>({
        name: 'subscriber-subscribe',
        text: `WITH suppressed AS MATERIALIZED (
           SELECT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = $2) AS yes
         ), upsert AS (
           INSERT INTO subscribers AS s (id, email, topics, keywords, timezone, send_hour, last_notice_at, last_notice_id, updated_at)
           SELECT $1::uuid, $3, coalesce($4::text[], '{}'), coalesce($5::text[], '{}'), coalesce($6, $7), $8::int, $9::timestamptz, $10::uuid, $9::timestamptz
           FROM suppressed WHERE NOT suppressed.yes
           ON CONFLICT (email) DO UPDATE SET
             topics = CASE WHEN s.status IN ('pending', 'unsubscribed') AND $4::text[] IS NOT NULL THEN EXCLUDED.topics ELSE s.topics END,
             keywords = CASE WHEN s.status IN ('pending', 'unsubscribed') AND $5::text[] IS NOT NULL THEN EXCLUDED.keywords ELSE s.keywords END,
             timezone = CASE WHEN s.status IN ('pending', 'unsubscribed') AND $6::text IS NOT NULL THEN EXCLUDED.timezone ELSE s.timezone END,
             updated_at = EXCLUDED.updated_at,
             (last_notice_at, last_notice_id) = (
               SELECT CASE WHEN due THEN EXCLUDED.last_notice_at ELSE s.last_notice_at END, CASE WHEN due THEN EXCLUDED.last_notice_id ELSE s.last_notice_id END
               FROM (SELECT s.status <> 'bounced'
                       AND (s.last_notice_at IS NULL OR s.last_notice_at <= $9::timestamptz - interval '1 day')
                       AND (SELECT count(*) FROM deliveries d
                            WHERE d.subscriber_id = s.id AND d.kind IN ('confirmation', 'already_subscribed')
                              AND d.created_at > $9::timestamptz - interval '30 days') < $11 AS due) AS decision
             )
           RETURNING s.id, s.status, s.last_notice_id = $10::uuid AS notify
         )
         INSERT INTO deliveries (id, kind, subscriber_id, message_id, created_at, updated_at)
         SELECT $10::uuid, (CASE WHEN u.status = 'active' THEN 'already_subscribed' ELSE 'confirmation' END)::delivery_kind, u.id, $12, $9::timestamptz, $9::timestamptz
         FROM upsert u WHERE u.notify
         RETURNING id::text AS id`,
        values: [
          randomUUID(), request.emailHash, request.email, request.topics ?? null, request.keywords ?? null, request.timezone ?? null,
          request.defaults.timezone, request.defaults.sendHour, request.now, deliveryId, NOTICES_PER_MONTH, `<${deliveryId}@${messageIdDomain}>`,
        ],
      })
      return rows[0]?.id ?? null
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

import { randomUUID } from 'node:crypto'
import type { Db } from '../db/client.ts'
import type { Prisma, Subscriber } from '../generated/prisma/client.ts'
import type { PreferencesBody } from './subscriber.schemas.ts'

type Tx = Prisma.TransactionClient

/** The only Prisma access for subscribers and the suppression list. */
export function createSubscriberRepository(db: Db) {
  return {
    // maxWait: a burst of subscribes of one address queues on its row lock and on the pool; Prisma's default of 2 s
    // to get a connection turned such a burst (200 at once) into 500s. 10 s, as long as the transaction may run.
    transaction: <T>(fn: (tx: Tx) => Promise<T>) => db.$transaction(fn, { timeout: 10_000, maxWait: 10_000 }),

    /**
     * Inserts the address if new, then locks its row for the rest of the transaction, so concurrent subscribes of one
     * address serialise here: one row, one decision about the email.
     */
    async insertOrLock(
      tx: Tx,
      fields: { email: string; topics: string[]; keywords: string[]; timezone: string; sendHour: number },
    ): Promise<{ subscriber: Pick<Subscriber, 'id' | 'status'>; created: boolean }> {
      const id = randomUUID()
      const inserted = await tx.$executeRaw`
        INSERT INTO subscribers (id, email, topics, keywords, timezone, send_hour)
        VALUES (${id}::uuid, ${fields.email}, ${fields.topics}::text[], ${fields.keywords}::text[], ${fields.timezone}, ${fields.sendHour})
        ON CONFLICT (email) DO NOTHING`
      const [row] = await tx.$queryRaw<Pick<Subscriber, 'id' | 'status'>[]>`
        SELECT id::text AS id, status::text AS status FROM subscribers WHERE email = ${fields.email} FOR UPDATE`
      return { subscriber: row!, created: inserted === 1 }
    },

    updateRequestedChoices: (tx: Tx, id: string, data: { topics?: string[]; keywords?: string[]; timezone?: string }) =>
      tx.subscriber.update({ where: { id }, data }),

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
          sentPapers: { orderBy: { sentAt: 'asc' }, select: { paperId: true, sentAt: true } },
        },
      }),

    /** Erase: deletes the row; deliveries and sent papers go with it (ON DELETE CASCADE), and every link dies. */
    async erase(id: string): Promise<boolean> {
      const { count } = await db.subscriber.deleteMany({ where: { id } })
      return count === 1
    },

    async isSuppressed(emailHash: string): Promise<boolean> {
      return (await db.suppression.count({ where: { emailHash } })) > 0
    },
  }
}
export type SubscriberRepository = ReturnType<typeof createSubscriberRepository>

import { randomUUID } from 'node:crypto'
import type { Db } from '../db/client.ts'
import type { DeliveryKind, Prisma } from '../generated/prisma/client.ts'

type Tx = Prisma.TransactionClient

/** The only Prisma access for deliveries: the outbox and its state machine. */
export function createDeliveryRepository(db: Db, messageIdDomain: string) {
  return {
    async create(tx: Tx, subscriberId: string, kind: DeliveryKind): Promise<string> {
      const id = randomUUID()
      await tx.delivery.create({ data: { id, kind, subscriberId, messageId: `<${id}@${messageIdDomain}>` } })
      return id
    },

    /** Confirmation-type emails to this subscriber since each instant, for throttling. */
    async countNoticesSince(tx: Tx, subscriberId: string, since: Date): Promise<number> {
      return tx.delivery.count({
        where: { subscriberId, kind: { in: ['confirmation', 'already_subscribed'] }, createdAt: { gt: since } },
      })
    },

    /**
     * pending|failed → sending in one statement. Only one worker can win; a row left `sending` by a crash after the
     * SMTP server accepted it is never claimed again (at most once).
     */
    async claim(id: string): Promise<boolean> {
      const { count } = await db.delivery.updateMany({
        where: { id, status: { in: ['pending', 'failed'] } },
        data: { status: 'sending', attempts: { increment: 1 } },
      })
      return count === 1
    },

    load: (id: string) => db.delivery.findUnique({ where: { id }, include: { subscriber: true, edition: true } }),

    markSent: (id: string, now: Date) =>
      db.delivery.update({ where: { id }, data: { status: 'sent', sentAt: now, lastError: null } }),

    markSkipped: (id: string, reason: string) =>
      db.delivery.update({ where: { id }, data: { status: 'skipped', lastError: reason } }),

    markFailed: (id: string, error: string) =>
      db.delivery.update({ where: { id }, data: { status: 'failed', lastError: error.slice(0, 1000) } }),

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

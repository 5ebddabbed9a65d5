import type { Db } from '../db/client.ts'

/** Read-only views for operators; writes go through the services. */
export function createAdminRepository(db: Db) {
  return {
    async stats() {
      const [subscribers, deliveries, papers] = await Promise.all([
        db.$queryRaw<{ status: string; n: number }[]>`SELECT status::text, count(*)::int AS n FROM subscribers GROUP BY status`,
        db.$queryRaw<{ kind: string; status: string; n: number }[]>`SELECT kind::text, status::text, count(*)::int AS n FROM deliveries GROUP BY kind, status`,
        db.$queryRaw<{ n: number; latest: string | null }[]>`SELECT count(*)::int AS n, max(day)::text AS latest FROM papers`,
      ])
      const byKind: Record<string, Record<string, number>> = {}
      for (const r of deliveries) (byKind[r.kind] ??= {})[r.status] = r.n
      return {
        subscribers: Object.fromEntries(subscribers.map((r) => [r.status, r.n])),
        deliveries: byKind,
        papers: { total: papers[0]?.n ?? 0, latestDay: papers[0]?.latest ?? null },
      }
    },

    /** Keyset-paginated list, newest first; `query` matches part of the address. */
    searchSubscribers: (input: { query?: string; status?: 'pending' | 'active' | 'unsubscribed' | 'bounced'; limit: number; before?: Date }) =>
      db.subscriber.findMany({
        where: {
          ...(input.query ? { email: { contains: input.query.toLowerCase() } } : {}),
          ...(input.status ? { status: input.status } : {}),
          ...(input.before ? { createdAt: { lt: input.before } } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: input.limit,
      }),
  }
}
export type AdminRepository = ReturnType<typeof createAdminRepository>

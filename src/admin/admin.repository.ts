import type { Db } from '../db/client.ts'

/** Read-only views for operators; writes go through the services. */
export function createAdminRepository(db: Db) {
  return {
    async stats() {
      const [subscribers, deliveries, papers] = await Promise.all([
        db.$queryRaw<{ status: string; n: number }[]>`SELECT status::text, count(*)::int AS n FROM subscribers GROUP BY status`,
        db.$queryRaw<{ kind: string; status: string; n: number }[]>`SELECT kind::text, status::text, count(*)::int AS n FROM deliveries GROUP BY kind, status`,
        db.$queryRaw<{ n: number; latest: string | null; arxiv: Record<string, number> | null }[]>`
          SELECT count(*)::int AS n, max(day)::text AS latest,
                 (SELECT jsonb_object_agg(s, c) FROM (SELECT arxiv_status::text AS s, count(*)::int AS c FROM papers GROUP BY 1) a) AS arxiv
          FROM papers`,
      ])
      const byKind: Record<string, Record<string, number>> = {}
      for (const r of deliveries) (byKind[r.kind] ??= {})[r.status] = r.n
      return {
        subscribers: Object.fromEntries(subscribers.map((r) => [r.status, r.n])),
        deliveries: byKind,
        // arXiv lookups by state: pending (not answered yet), found, missing (unknown to arXiv so far), invalid
        papers: { total: papers[0]?.n ?? 0, latestDay: papers[0]?.latest ?? null, arxiv: papers[0]?.arxiv ?? {} },
      }
    },

    /** Everything /metrics reports from the database, in one round trip per table. */
    async metricsSnapshot() {
      const [subscribers, deliveries, papers, extra, errors] = await Promise.all([
        db.$queryRaw<{ status: string; n: number }[]>`SELECT status::text, count(*)::int AS n FROM subscribers GROUP BY status`,
        db.$queryRaw<{ kind: string; status: string; n: number }[]>`SELECT kind::text, status::text, count(*)::int AS n FROM deliveries GROUP BY kind, status`,
        db.$queryRaw<{ n: number; latest: string | null }[]>`SELECT count(*)::int AS n, max(day)::text AS latest FROM papers`,
        db.$queryRaw<{ unknown: number; p50: number | null; p90: number | null; p99: number | null }[]>`
          SELECT
            count(*) FILTER (WHERE status = 'sending' AND updated_at < now() - interval '10 minutes')::int AS unknown,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) FILTER (WHERE sent_at > now() - interval '1 day') AS p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) FILTER (WHERE sent_at > now() - interval '1 day') AS p90,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) FILTER (WHERE sent_at > now() - interval '1 day') AS p99
          FROM deliveries`,
        // The SMTP reply code is the first 4xx/5xx number of the stored error (nodemailer quotes the server's reply);
        // errors without one (a dropped connection, a timeout) are code "none".
        db.$queryRaw<{ class: 'transient' | 'permanent'; code: string; n: number }[]>`
          SELECT CASE WHEN status = 'failed' THEN 'transient' ELSE 'permanent' END AS class,
                 coalesce(substring(last_error FROM '\\m([45][0-9][0-9])\\M'), 'none') AS code, count(*)::int AS n
          FROM deliveries WHERE status IN ('failed', 'bounced')
          GROUP BY 1, 2`,
      ])
      const e = extra[0]!
      return {
        subscribers: Object.fromEntries(subscribers.map((r) => [r.status, r.n])),
        deliveries,
        papers: papers[0]?.n ?? 0,
        latestDay: papers[0]?.latest ?? null,
        unknown: e.unknown,
        smtpErrors: errors,
        latency: { '0.5': e.p50, '0.9': e.p90, '0.99': e.p99 },
      }
    },

    /** For a dry run: who would get that edition (same rule as planning, whatever the hour) and who already has it. */
    async dueCount(date: string): Promise<{ due: number; alreadyPlanned: number }> {
      const [row] = await db.$queryRaw<{ due: number; planned: number }[]>`
        SELECT count(*)::int AS due,
               count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM deliveries d JOIN editions e ON e.id = d.edition_id WHERE d.subscriber_id = s.id AND e.date = ${date}::date))::int AS planned
        FROM subscribers s
        WHERE s.status = 'active' AND NOT s.paused
          AND (s.frequency = 'daily' OR extract(dow FROM ${date}::date) = s.weekly_day)`
      return { due: row?.due ?? 0, alreadyPlanned: row?.planned ?? 0 }
    },

    findByEmail: (email: string) => db.subscriber.findUnique({ where: { email } }),

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

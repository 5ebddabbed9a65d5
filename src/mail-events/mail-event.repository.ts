import type pg from 'pg'
import { inTransaction } from '../db/transaction.ts'
import { emailHash, parseEmailAddress } from '../subscribers/email-address.ts'
import type { MailEvent } from './mail-event.ts'

export interface SoftBouncePolicy {
  /** Soft bounces of one address within `windowDays` that suppress it. */
  limit: number
  windowDays: number
}

export type EventOutcome = 'suppressed' | 'unsubscribed' | 'counted' | 'duplicate'

/** One day's sending and what came back. */
export interface DayRates {
  day: string
  sent: number
  /** Sent, or refused by the receiving server during the SMTP session. */
  attempted: number
  /** Hard bounces: answered 5xx during the SMTP session, or reported later by a provider. */
  bounces: number
  complaints: number
  bounceRate: number
  complaintRate: number
}

/**
 * Provider events, each recorded once (its provider's id is the key, so a retried webhook changes nothing), and what
 * each does, in the same transaction: a hard bounce suppresses the address (its subscriber becomes `bounced`); a
 * complaint unsubscribes and suppresses it; soft bounces are counted and suppress it once `limit` fall within
 * `windowDays`. Events for addresses that are not (or no longer) subscribers are recorded and suppress all the same:
 * the address may be typed in again.
 */
export function createMailEventRepository(pool: pg.Pool, policy: SoftBouncePolicy) {
  async function recordOne(client: pg.PoolClient, event: MailEvent): Promise<EventOutcome> {
    const parsed = parseEmailAddress(event.email)
    const email = parsed.ok ? parsed.email : event.email.trim().toLowerCase()
    const hash = emailHash(email)
    const { rowCount } = await client.query(
      `INSERT INTO mail_events (provider, event_id, kind, email_hash, occurred_at, detail) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (provider, event_id) DO NOTHING`,
      // the providers' reasons often quote the address: kept without it, like the rest of the row
      [event.provider, event.eventId, event.kind, hash, event.occurredAt, event.detail.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g, '<address>')],
    )
    if (rowCount === 0) return 'duplicate'
    const suppress = (reason: string) =>
      client.query(`INSERT INTO suppressions (email_hash, reason) VALUES ($1, $2) ON CONFLICT (email_hash) DO NOTHING`, [hash, reason])
    if (event.kind === 'complaint') {
      await suppress('complaint')
      await client.query(
        `UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = coalesce(unsubscribed_at, now()), updated_at = now()
         WHERE email = $1 AND status IN ('pending', 'active')`,
        [email],
      )
      return 'unsubscribed'
    }
    if (event.kind === 'soft_bounce') {
      const { rows: [count] } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM mail_events
         WHERE email_hash = $1 AND kind = 'soft_bounce' AND occurred_at > $2::timestamptz - make_interval(days => $3)`,
        [hash, event.occurredAt, policy.windowDays],
      )
      if (count!.n < policy.limit) return 'counted'
    }
    await suppress(event.kind === 'hard_bounce' ? 'bounce' : 'soft-bounces')
    await client.query(`UPDATE subscribers SET status = 'bounced', updated_at = now() WHERE email = $1 AND status IN ('pending', 'active')`, [email])
    return 'suppressed'
  }

  return {
    /**
     * The delivery a message of this installation was, and the address it went to, by its Message-ID (`<delivery
     * id@domain>`, as the outbox makes them); null when no delivery has that Message-ID.
     */
    async sentTo(messageId: string): Promise<{ deliveryId: string; email: string } | null> {
      const id = /^<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@[^<>\s]+>$/i.exec(messageId.trim())?.[1]
      if (!id) return null
      const { rows } = await pool.query<{ id: string; email: string }>(
        `SELECT d.id::text AS id, s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id = $1 AND d.message_id = $2`,
        [id.toLowerCase(), messageId.trim()],
      )
      return rows[0] ? { deliveryId: rows[0].id, email: rows[0].email } : null
    },

    /** Records the events (all or none) and applies each new one; says what each did. */
    async record(events: readonly MailEvent[]): Promise<EventOutcome[]> {
      if (events.length === 0) return []
      return inTransaction(pool, async (client) => {
        const outcomes: EventOutcome[] = []
        for (const event of events) outcomes.push(await recordOne(client, event))
        return outcomes
      })
    },

    /**
     * The last `days` days up to `today`: emails sent — a day's digests (its edition, dated by readers' local dates)
     * and the notices created that UTC day — hard bounces (those a server refused with a 5xx while sending, and the
     * providers' reports of that UTC day) and complaints reported that UTC day.
     */
    async dailyRates(today: string, days = 14): Promise<DayRates[]> {
      const { rows } = await pool.query<{ day: string; sent: number; smtp_bounces: number; reported: number; complaints: number }>(
        `WITH days AS (SELECT d::date AS day FROM generate_series($1::date - ($2::int - 1), $1::date, interval '1 day') AS d),
         digests AS (
           SELECT e.date AS day, count(*) FILTER (WHERE d.status = 'sent')::int AS sent, count(*) FILTER (WHERE d.status = 'bounced')::int AS bounced
           FROM editions e JOIN deliveries d ON d.edition_id = e.id
           WHERE e.date BETWEEN $1::date - ($2::int - 1) AND $1::date AND d.status IN ('sent', 'bounced')
           GROUP BY e.date
         ),
         -- confirmations and "already subscribed" notices: typed-in addresses, where bounces are likeliest
         notices AS (
           SELECT (d.created_at AT TIME ZONE 'UTC')::date AS day, count(*) FILTER (WHERE d.status = 'sent')::int AS sent, count(*) FILTER (WHERE d.status = 'bounced')::int AS bounced
           FROM deliveries d
           WHERE d.kind IN ('confirmation', 'already_subscribed') AND d.status IN ('sent', 'bounced')
             AND d.created_at >= ($1::date - ($2::int - 1))::timestamp AT TIME ZONE 'UTC' AND d.created_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'
           GROUP BY 1
         ),
         sends AS (SELECT day, sum(sent)::int AS sent, sum(bounced)::int AS bounced FROM (SELECT * FROM digests UNION ALL SELECT * FROM notices) x GROUP BY day),
         events AS (
           SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
                  count(*) FILTER (WHERE kind = 'hard_bounce')::int AS reported, count(*) FILTER (WHERE kind = 'complaint')::int AS complaints
           FROM mail_events
           WHERE occurred_at >= ($1::date - ($2::int - 1))::timestamp AT TIME ZONE 'UTC' AND occurred_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'
           GROUP BY 1
         )
         SELECT days.day::text AS day, coalesce(s.sent, 0) AS sent, coalesce(s.bounced, 0) AS smtp_bounces,
                coalesce(ev.reported, 0) AS reported, coalesce(ev.complaints, 0) AS complaints
         FROM days LEFT JOIN sends s ON s.day = days.day LEFT JOIN events ev ON ev.day = days.day
         ORDER BY days.day DESC`,
        [today, days],
      )
      return rows.map((r) => {
        const bounces = r.smtp_bounces + r.reported
        // a bounce is of a message that was sent (or refused): over sent and refused together
        const attempted = r.sent + r.smtp_bounces
        return {
          day: r.day,
          sent: r.sent,
          attempted,
          bounces,
          complaints: r.complaints,
          bounceRate: attempted > 0 ? bounces / attempted : 0,
          complaintRate: r.sent > 0 ? r.complaints / r.sent : 0,
        }
      })
    },
  }
}
export type MailEventRepository = ReturnType<typeof createMailEventRepository>

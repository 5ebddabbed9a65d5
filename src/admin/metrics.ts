import { Gauge, Registry } from 'prom-client'
import type { MailEventService } from '../mail-events/mail-event.service.ts'
import type { Queues } from '../queues/queues.ts'
import type { AdminRepository } from './admin.repository.ts'

/** Gmail's and Yahoo's line for bulk senders: spam complaints (and, by common practice, bounces) under 0.3 %. */
export const RATE_LINE = 0.003

/**
 * Prometheus metrics read from the source of truth at scrape time (the database and the queues), so they are right
 * whichever process sent what, and with any number of workers.
 */
export function createMetrics(
  admin: Pick<AdminRepository, 'metricsSnapshot'>,
  queues: Pick<Queues, 'ingest' | 'plan' | 'send'>,
  mailEvents: Pick<MailEventService, 'dailyRates'>,
  now: () => Date = () => new Date(),
) {
  const registry = new Registry()
  const papers = new Gauge({ name: 'paperboy_papers_ingested', help: 'Papers stored', registers: [registry] })
  const latestDay = new Gauge({ name: 'paperboy_papers_latest_day_timestamp_seconds', help: 'Most recent papers-day stored (Unix time)', registers: [registry] })
  const subscribers = new Gauge({ name: 'paperboy_subscribers', help: 'Subscribers by status', labelNames: ['status'], registers: [registry] })
  const deliveries = new Gauge({ name: 'paperboy_deliveries', help: 'Deliveries by kind and status', labelNames: ['kind', 'status'], registers: [registry] })
  const unknown = new Gauge({ name: 'paperboy_deliveries_unknown', help: 'Deliveries left `sending` for over 10 minutes (crash after SMTP acceptance, not resent)', registers: [registry] })
  const smtpErrors = new Gauge({
    name: 'paperboy_smtp_errors',
    help: 'Deliveries whose last SMTP error was of this class (transient: failed, retried; permanent: bounced) and reply code ("none" without one); 0 per class when there is none',
    labelNames: ['class', 'code'],
    registers: [registry],
  })
  const latency = new Gauge({ name: 'paperboy_send_latency_seconds', help: 'Time from delivery creation to sent, over the last 24 h', labelNames: ['quantile'], registers: [registry] })
  const depth = new Gauge({ name: 'paperboy_queue_jobs', help: 'Jobs per queue and state', labelNames: ['queue', 'state'], registers: [registry] })
  const rates = new Gauge({
    name: 'paperboy_mail_rate',
    help: `Hard bounces (SMTP 5xx and provider reports) over messages attempted, and spam complaints over messages sent, yesterday and over the 7 days before today (whole days: today's are still coming in); keep both under ${RATE_LINE}`,
    labelNames: ['kind', 'window'],
    registers: [registry],
  })

  return {
    contentType: registry.contentType,
    async render(): Promise<string> {
      const snapshot = await admin.metricsSnapshot()
      papers.set(snapshot.papers)
      latestDay.set(snapshot.latestDay ? Date.parse(`${snapshot.latestDay}T00:00:00Z`) / 1000 : 0)
      subscribers.reset()
      for (const [status, n] of Object.entries(snapshot.subscribers)) subscribers.set({ status }, n)
      deliveries.reset()
      for (const row of snapshot.deliveries) deliveries.set({ kind: row.kind, status: row.status }, row.n)
      unknown.set(snapshot.unknown)
      smtpErrors.reset()
      // Both classes always have a series, so a rate or an alert has something to read before the first error.
      for (const cls of ['transient', 'permanent']) if (!snapshot.smtpErrors.some((e) => e.class === cls)) smtpErrors.set({ class: cls, code: 'none' }, 0)
      for (const e of snapshot.smtpErrors) smtpErrors.set({ class: e.class, code: e.code }, e.n)
      latency.reset()
      for (const [quantile, seconds] of Object.entries(snapshot.latency)) if (seconds !== null) latency.set({ quantile }, seconds)
      const week = (await mailEvents.dailyRates(now().toISOString().slice(0, 10), 8)).slice(1)
      const sum = (key: 'sent' | 'attempted' | 'bounces' | 'complaints') => week.reduce((a, d) => a + d[key], 0)
      rates.set({ kind: 'bounce', window: 'yesterday' }, week[0]!.bounceRate)
      rates.set({ kind: 'complaint', window: 'yesterday' }, week[0]!.complaintRate)
      rates.set({ kind: 'bounce', window: '7d' }, sum('attempted') > 0 ? sum('bounces') / sum('attempted') : 0)
      rates.set({ kind: 'complaint', window: '7d' }, sum('sent') > 0 ? sum('complaints') / sum('sent') : 0)
      depth.reset()
      for (const queue of [queues.send, queues.plan, queues.ingest]) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized')
        for (const [state, n] of Object.entries(counts)) depth.set({ queue: queue.name, state }, n)
      }
      return registry.metrics()
    },
  }
}
export type Metrics = ReturnType<typeof createMetrics>

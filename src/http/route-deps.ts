import type { AdminRepository } from '../admin/admin.repository.ts'
import type { Metrics } from '../admin/metrics.ts'
import type { Config } from '../config.ts'
import type { DigestService } from '../digests/digest.service.ts'
import type { Links } from '../links/urls.ts'
import type { IngestService } from '../papers/ingest.service.ts'
import type { Queues } from '../queues/queues.ts'
import type { SubscriberService } from '../subscribers/subscriber.service.ts'
import type { FeedbackService } from '../taste/feedback.service.ts'
import type { MailEventService } from '../mail-events/mail-event.service.ts'
import type { Pages } from './pages.ts'

/** What route plugins receive: services, pages and link builders, never the database or the queues directly. */
export interface RouteDeps {
  deps: {
    config: Pick<Config, 'ADMIN_TOKEN' | 'NODE_ENV' | 'PUBLIC_URL' | 'VOTE_RATE_LIMIT'>
    pages: Pages
    links: Links
    subscriberService: SubscriberService
    digestService: DigestService
    feedbackService: FeedbackService
    mailEventService: MailEventService
    ingestService: Pick<IngestService, 'ingestDay'>
    admin: AdminRepository
    metrics: Pick<Metrics, 'render' | 'contentType'>
    queues: Pick<Queues, 'ingest' | 'plan' | 'send'>
    checkReady: () => Promise<{ postgres: boolean; redis: boolean }>
  }
}

import type { Links } from '../links/urls.ts'
import type { SubscriberService } from '../subscribers/subscriber.service.ts'
import type { Pages } from './pages.ts'

/** What route plugins receive: services, pages and link builders, never the database or the queues directly. */
export interface RouteDeps {
  deps: {
    pages: Pages
    links: Links
    subscriberService: SubscriberService
    checkReady: () => Promise<{ postgres: boolean; redis: boolean }>
  }
}

import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createPrisma, type Db } from './db/client.ts'
import { createDeliveryRepository } from './email/delivery.repository.ts'
import { createDeliveryService } from './email/delivery.service.ts'
import { createSmtpMailer, type Mailer } from './email/mailer.ts'
import { createRenderer } from './email/render.ts'
import { parseSender } from './email/sender.ts'
import { createPages } from './http/pages.ts'
import { createLinks } from './links/urls.ts'
import { createQueues } from './queues/queues.ts'
import { connectRedis, createRedis } from './redis.ts'
import { createSubscriberRepository } from './subscribers/subscriber.repository.ts'
import { createSubscriberService } from './subscribers/subscriber.service.ts'

/** Where the running services are, once the development defaults (embedded Postgres, mail catcher) are resolved. */
export interface Runtime {
  databaseUrl: string
  smtpUrl: string
  appSecret: string
  /** BullMQ key prefix; tests use a unique one per run. */
  queuePrefix?: string
  mailer?: Mailer
}

/** One composition root for the API and the workers: every service is built here and nowhere else. */
export async function createDeps(config: Config, runtime: Runtime, logger: Logger) {
  const prisma = createPrisma(runtime.databaseUrl)
  const redis = createRedis(config.REDIS_URL, 'producer')
  await connectRedis(redis, config.REDIS_URL)
  const queuePrefix = runtime.queuePrefix ?? 'paperboy'
  const queues = createQueues(redis, queuePrefix)
  const mailer = runtime.mailer ?? createSmtpMailer(runtime.smtpUrl)
  const renderer = await createRenderer()
  const pages = createPages()
  const links = createLinks(config.PUBLIC_URL, runtime.appSecret)
  const subscribers = createSubscriberRepository(prisma)
  const deliveries = createDeliveryRepository(prisma, parseSender(config.MAIL_FROM).domain)

  const subscriberService = createSubscriberService({
    db: prisma,
    subscribers,
    deliveries,
    queues,
    links,
    secret: runtime.appSecret,
    defaults: { sendHour: config.DIGEST_SEND_HOUR, timezone: config.DIGEST_TIMEZONE },
    checkQueue: async () => {
      await redis.ping()
    },
    logger,
  })
  const deliveryService = createDeliveryService({ deliveries, subscribers, mailer, renderer, links, queues, mailFrom: config.MAIL_FROM, logger })

  return {
    config,
    logger,
    prisma: prisma as Db,
    redis: redis as Redis,
    queues,
    queuePrefix,
    mailer,
    pages,
    links,
    subscriberService,
    deliveryService,
    async checkReady() {
      const [postgres, redisOk] = await Promise.all([
        prisma.$queryRaw`SELECT 1`.then(() => true, () => false),
        redis.ping().then(() => true, () => false),
      ])
      return { postgres, redis: redisOk }
    },
    async close() {
      await queues.close().catch(() => {})
      mailer.close()
      redis.disconnect()
      await prisma.$disconnect()
    },
  }
}
export type Deps = Awaited<ReturnType<typeof createDeps>>

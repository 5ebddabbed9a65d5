import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import type { Logger } from 'pino'
import { createAdminRepository } from './admin/admin.repository.ts'
import { createArxivClient, createRedisGate } from './arxiv/arxiv-client.ts'
import { createEnrichmentService } from './arxiv/enrichment.service.ts'
import { createMetrics } from './admin/metrics.ts'
import type { Config } from './config.ts'
import { createPool, createPrisma, type Db } from './db/client.ts'
import { createDigestRepository } from './digests/digest.repository.ts'
import { createDigestService } from './digests/digest.service.ts'
import { createMatchRepository } from './digests/match.repository.ts'
import { createDeliveryRepository } from './email/outbox/delivery.repository.ts'
import { createDeliveryService } from './email/outbox/delivery.service.ts'
import { createSmtpMailer } from './email/transport/mailer.ts'
import type { DkimOptions, Mailer } from './email/transport/outgoing.ts'
import { createRenderer } from './email/rendering/render.ts'
import { parseSender } from './email/compose/sender.ts'
import { createSendGate } from './email/transport/send-rate.ts'
import { createPages } from './http/pages.ts'
import { createLinks } from './links/urls.ts'
import { createHfSource } from './papers/hf-source.ts'
import { createIngestService } from './papers/ingest.service.ts'
import { createPaperRepository } from './papers/paper.repository.ts'
import { createQueues } from './queues/queues.ts'
import { connectRedis, createRedis } from './redis.ts'
import { packageRoot } from './runtime/package-root.ts'
import { createSubscriberRepository } from './subscribers/subscriber.repository.ts'
import { createSubscriberService } from './subscribers/subscriber.service.ts'
import { createFeedbackService } from './taste/feedback.service.ts'
import { createVoteRepository } from './taste/vote.repository.ts'
import { createMailEventRepository } from './mail-events/mail-event.repository.ts'
import { createMailEventService } from './mail-events/mail-event.service.ts'
import { createHttpGet } from './runtime/http-get.ts'

/** Where the running services are, once the development defaults (embedded Postgres, mail catcher) are resolved. */
export interface Runtime {
  databaseUrl: string
  smtpUrl: string
  appSecret: string
  /** Overrides QUEUE_PREFIX (tests use a unique one per run). */
  queuePrefix?: string
  /** First retry delay of failed jobs (then exponential); the default suits SMTP servers that ask to try later. */
  retryDelayMs?: number
  mailer?: Mailer
  /** GET of an SNS URL (signing certificates, subscription confirmations); tests answer for SNS. */
  snsGet?: (url: string) => Promise<{ status: number; text: string }>
}

/** DKIM_PRIVATE_KEY holds PEM text or names a PEM file; read once at start, so a missing file stops the process. */
async function dkimOptions(config: Config): Promise<DkimOptions | undefined> {
  if (!config.DKIM_DOMAIN || !config.DKIM_SELECTOR || !config.DKIM_PRIVATE_KEY) return undefined
  const key = config.DKIM_PRIVATE_KEY
  const privateKey = key.includes('-----BEGIN') ? key : await readFile(key, 'utf8')
  return { domainName: config.DKIM_DOMAIN, keySelector: config.DKIM_SELECTOR, privateKey }
}

/** arXiv's request to API users: no more than one request every three seconds. */
export const ARXIV_INTERVAL_MS = 3_000
const PAPERBOY_VERSION = (JSON.parse(await readFile(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version

/** One composition root for the API and the workers: every service is built here and nowhere else. */
export async function createDeps(config: Config, runtime: Runtime, logger: Logger) {
  // PostgreSQL can end a connection that sits idle in a pool (a restart, a failover, an administrator): the pool
  // drops it and opens another when needed, but reports it as an 'error' event, which without a listener ends the
  // process. Prisma listens only while it is connected, so until a process's first Prisma query nothing did.
  // Logged by code and message: the error carries the pg client, whose dump ran to pages. Once this process is
  // closing, a server that ends its connections is expected (npm start's PostgreSQL gets the same Ctrl-C).
  let closing = false
  const watched = (created: pg.Pool) =>
    created.on('error', (error) => {
      const lost = { event: 'db.idle_connection_lost', code: (error as pg.DatabaseError).code, reason: error.message }
      if (closing) logger.debug(lost, 'PostgreSQL ended an idle pooled connection while closing')
      else logger.warn(lost, 'PostgreSQL ended an idle pooled connection; the pool opens a new one when needed')
    })
  const pool = watched(createPool(runtime.databaseUrl))
  // The send path's claims and `sent` marks: one group-committed statement at a time per process (see
  // DeliveryService), so one connection, whose prepared statement keeps a single generic plan. On the shared pool
  // PostgreSQL re-planned it for every call (its plan for the actual ids looks cheaper than the generic one), ~0.13 ms
  // of planning per statement, a third of what PostgreSQL spent on it.
  const claimPool = watched(createPool(runtime.databaseUrl, { max: 1, genericPlans: true }))
  const prisma = createPrisma(pool)
  const redis = createRedis(config.REDIS_URL, 'producer')
  await connectRedis(redis, config.REDIS_URL)
  const queuePrefix = runtime.queuePrefix ?? config.QUEUE_PREFIX
  const queues = createQueues(redis, queuePrefix, runtime.retryDelayMs)
  const mailer = runtime.mailer ?? createSmtpMailer(runtime.smtpUrl, { dkim: await dkimOptions(config), ...(config.MAIL_RETURN_PATH ? { returnPath: config.MAIL_RETURN_PATH } : {}) })
  const renderer = await createRenderer()
  const pages = createPages()
  const links = createLinks(config.PUBLIC_URL, runtime.appSecret)
  const messageIdDomain = parseSender(config.MAIL_FROM).domain
  const subscribers = createSubscriberRepository(prisma, pool, messageIdDomain)
  const deliveries = createDeliveryRepository(prisma, pool, claimPool)
  const papers = createPaperRepository(prisma, pool)
  const digests = createDigestRepository(prisma, messageIdDomain)
  const matches = createMatchRepository(pool)
  const admin = createAdminRepository(prisma)

  const subscriberService = createSubscriberService({
    db: prisma,
    subscribers,
    queues,
    links,
    secret: runtime.appSecret,
    defaults: { sendHour: config.DIGEST_SEND_HOUR, timezone: config.DIGEST_TIMEZONE },
    // The producer connection fails fast (no offline queue) and notices a closed socket at once: its state says
    // whether a job can be queued, without a round trip per request.
    checkQueue: async () => {
      if (redis.status !== 'ready') throw new Error(`Redis connection is ${redis.status}`)
    },
    logger,
  })
  // The shared send rate's own connection, auto-pipelined (one reservation per message, those of a turn in one write),
  // waiting for Redis like the workers' connections rather than failing a send batch on a blip.
  const gateRedis = config.SEND_RATE > 0 || config.SEND_RATE_DOMAINS.size > 0
    ? redis.duplicate({ enableAutoPipelining: true, lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: null })
    : undefined
  gateRedis?.on('error', (error: Error) => logger.warn({ event: 'send_rate.redis_error', err: error.message }, 'send rate: Redis unavailable, waiting for it'))
  const sendGate = gateRedis
    ? createSendGate(gateRedis, queuePrefix, { perSecond: config.SEND_RATE, perDomain: config.SEND_RATE_DOMAINS, pauseMs: config.SLOW_DOWN_PAUSE_MS }, {
      onError: (error) => logger.warn({ event: 'send_rate.error', err: error.message }, 'send rate: Redis refused a reservation; sending without waiting'),
    })
    : undefined
  const deliveryService = createDeliveryService({
    deliveries, matches, papers, mailer, renderer, links, queues,
    mailFrom: config.MAIL_FROM, paperPageBase: config.HF_API_URL, sendGate, logger,
  })
  const digestService = createDigestService({
    digests, papers, subscribers, matches, deliveries: deliveryService, renderer, queues, links,
    paperPageBase: config.HF_API_URL, secret: runtime.appSecret, logger,
  })
  const feedbackService = createFeedbackService({
    votes: createVoteRepository(pool), subscribers, secret: runtime.appSecret, logger,
  })
  // SNS URLs are checked before they are fetched: a redirect elsewhere is refused
  const snsGet = createHttpGet({ timeoutMs: 10_000, retries: 2, backoffMs: 500, retryEvent: 'mail_events.sns_retry', redirect: 'error', logger })
  const mailEventService = createMailEventService({
    events: createMailEventRepository(pool, { limit: config.SOFT_BOUNCE_LIMIT, windowDays: config.SOFT_BOUNCE_WINDOW_DAYS }),
    secrets: {
      sesTopicArns: config.SES_SNS_TOPIC_ARNS,
      postmarkAuth: config.POSTMARK_WEBHOOK_AUTH,
      mailgunSigningKey: config.MAILGUN_WEBHOOK_SIGNING_KEY,
      sendgridPublicKey: config.SENDGRID_WEBHOOK_PUBLIC_KEY,
    },
    snsGet: runtime.snsGet ?? ((url) => snsGet(url)),
    redis,
    queuePrefix,
    logger,
  })
  const ingestService = createIngestService({
    source: createHfSource({ baseUrl: config.HF_API_URL, logger }), papers, logger,
    onNewPapers: config.ARXIV_LOOKUP ? () => queues.enqueueEnrich() : undefined,
  })
  const enrichmentService = createEnrichmentService({
    client: createArxivClient({
      baseUrl: config.ARXIV_API_URL,
      userAgent: `Paperboy/${PAPERBOY_VERSION} (+${config.PUBLIC_URL})`,
      // arXiv asks for one request every 3 seconds; the key is shared by every process of this installation.
      gate: createRedisGate(redis, `${queuePrefix}:arxiv-gate`, ARXIV_INTERVAL_MS),
      timeoutMs: 30_000,
      retries: 3,
      backoffMs: 5_000,
      logger,
    }),
    papers,
    logger,
  })

  return {
    config,
    logger,
    prisma: prisma as Db,
    pool,
    claimPool,
    redis: redis as Redis,
    queues,
    queuePrefix,
    mailer,
    pages,
    links,
    subscriberService,
    deliveryService,
    digestService,
    feedbackService,
    mailEventService,
    ingestService,
    enrichmentService,
    papers,
    admin,
    metrics: createMetrics(admin, queues, mailEventService),
    async checkReady() {
      const [postgres, redisOk] = await Promise.all([
        prisma.$queryRaw`SELECT 1`.then(() => true, () => false),
        redis.ping().then(() => true, () => false),
      ])
      return { postgres, redis: redisOk }
    },
    /** Shutdown has begun: from now on a server ending its connections is expected, not worth a warning. */
    beginClose() {
      closing = true
    },
    async close() {
      closing = true
      await queues.close().catch(() => {})
      mailer.close()
      gateRedis?.disconnect()
      redis.disconnect()
      await prisma.$disconnect()
      await pool.end()
      await claimPool.end()
    },
  }
}
export type Deps = Awaited<ReturnType<typeof createDeps>>

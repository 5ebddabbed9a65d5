import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Redis } from 'ioredis'
import { z } from 'zod'
import { AppError } from '../errors.ts'
import { SubscribeBody, SubscribeForm } from '../subscribers/subscriber.schemas.ts'
import { ARXIV_CATEGORIES } from '../arxiv/categories.ts'
import { TOPICS, TOPICS_BY_GROUP } from '../topics/catalogue.ts'
import type { RouteDeps } from './route-deps.ts'

const CATEGORY_LIST = Object.entries(ARXIV_CATEGORIES).map(([code, name]) => ({ code, name }))

/** Same status and body whatever the address's state: the response must not reveal who is subscribed. */
export const ACCEPTED = {
  status: 'accepted',
  message: 'Thanks! If this address can receive email, a message is on its way: follow it to confirm your subscription.',
} as const
export const Accepted = z.object({ status: z.literal('accepted'), message: z.string() })

const SMALL_BODY = 16 * 1024

/** The two routes that can make the service send an email to an address someone typed in. */
const SUBSCRIBE_ROUTES = new Set(['POST /subscribe', 'POST /api/subscriptions'])
const isSubscribeRoute = (request: FastifyRequest) => SUBSCRIBE_ROUTES.has(`${request.method} ${request.routeOptions.url}`)

/**
 * Subscription bombing, per client IP: at most SUBSCRIBE_RATE_LIMIT subscribe requests a minute across both subscribe
 * routes (one counter), counted in Redis under the installation's QUEUE_PREFIX, so the limit holds across every API
 * process. Counted in preHandler, after schema validation: a request rejected as malformed costs nothing and sends
 * nothing. Over the limit: 429 with Retry-After and a clear message (JSON or a page, as the client asked). If Redis
 * cannot answer, the request goes on and the subscribe itself answers 503 (it needs Redis to queue the email).
 * Behind a reverse proxy the client IP is only right with trustProxy (src/server.ts sets it in production).
 */
export async function registerSubscribeRateLimit(
  app: FastifyInstance,
  deps: { config: object; redis?: Redis; queuePrefix?: string },
): Promise<void> {
  const config = deps.config as { SUBSCRIBE_RATE_LIMIT?: number }
  const max = config.SUBSCRIBE_RATE_LIMIT ?? 20
  if (max === 0) return
  const redis = deps.redis ? await limiterConnection(app, deps.redis) : undefined
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace: `${deps.queuePrefix ?? 'paperboy'}:subscribe-rate:` } : {}),
    skipOnError: true,
    allowList: (request) => !isSubscribeRoute(request),
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'RATE_LIMITED',
        429,
        `Too many subscribe requests from your network: at most ${context.max} a minute. Please try again in ${context.after}.`,
      ),
  })
}

/**
 * The limiter's own Redis connection, with auto-pipelining: it runs one script per subscribe request, and this way the
 * scripts of all the requests served in one turn of the event loop reach Redis in one write instead of one write each
 * (one each was ~9 % of the API process's CPU profile under load, and Redis' CPU per request fell from 0.07–0.08 to
 * 0.04–0.05 ms with one per turn: each write wakes Redis for one command). Not on the shared producer
 * connection: BullMQ queues jobs on that one and is not tested with auto-pipelining (Bull users reported lost job data
 * with it). Same options otherwise: while Redis is down the limiter fails fast and is skipped (skipOnError), and the
 * connection comes back on its own.
 */
async function limiterConnection(app: FastifyInstance, shared: Redis): Promise<Redis> {
  const redis = shared.duplicate({ enableAutoPipelining: true })
  redis.on('error', (error: Error) => app.log.warn({ event: 'rate_limit.redis_error', err: error }, 'subscribe rate limit: Redis unavailable, not limiting'))
  await redis.connect().catch(() => {})
  app.addHook('onClose', async () => redis.disconnect())
  return redis
}

export const subscriptionRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(deps.pages.render('landing', { title: 'Trending AI papers in your inbox', topicGroups: TOPICS_BY_GROUP })),
  )

  app.post('/subscribe', { bodyLimit: SMALL_BODY, schema: { hide: true } }, async (request, reply) => {
    const body = SubscribeForm.parse(request.body ?? {})
    await deps.subscriberService.subscribe(body)
    return reply.status(202).type('text/html; charset=utf-8').send(deps.pages.render('subscribed', { title: 'Check your inbox', message: ACCEPTED.message }))
  })

  app.post(
    '/api/subscriptions',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        summary: 'Subscribe an address (double opt-in)',
        description: 'Always 202 with the same body, whatever the state of the address. Sends a confirmation or an "already subscribed" email, throttled per address.',
        body: SubscribeBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      await deps.subscriberService.subscribe(request.body)
      return reply.status(202).send(ACCEPTED)
    },
  )

  app.get(
    '/api/topics',
    { schema: { summary: 'The topic catalogue', response: { 200: z.array(z.object({ slug: z.string(), name: z.string(), description: z.string(), group: z.string() })) } } },
    async () => TOPICS.map(({ slug, name, description, group }) => ({ slug, name, description, group })),
  )

  app.get(
    '/api/categories',
    { schema: { summary: 'The arXiv categories a subscriber may filter on', response: { 200: z.array(z.object({ code: z.string(), name: z.string() })) } } },
    async () => CATEGORY_LIST,
  )
}

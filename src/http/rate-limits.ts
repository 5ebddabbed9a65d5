import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { AppError } from '../errors.ts'

/** The two routes that can make the service send an email to an address someone typed in. */
const SUBSCRIBE_ROUTES = new Set(['POST /subscribe', 'POST /api/subscriptions'])
const isSubscribeRoute = (request: FastifyRequest) => SUBSCRIBE_ROUTES.has(`${request.method} ${request.routeOptions.url}`)

/**
 * The rate limits, counted in Redis under the installation's QUEUE_PREFIX so that they hold across every API process,
 * in preHandler, after schema validation (a request refused as malformed costs nothing). Over a limit: 429 with
 * Retry-After and a clear message (JSON or a page, as the client asked). If Redis cannot answer, requests go on.
 *
 * - Subscription bombing, per client IP: at most SUBSCRIBE_RATE_LIMIT subscribe requests a minute across both
 *   subscribe routes (one counter); the subscribe itself then answers 503 without Redis (it queues the email there).
 *   Behind a reverse proxy the client IP is only right with trustProxy (src/server.ts sets it in production).
 * - Votes, per vote link: a route opts in with `voteRateLimit` (see there).
 *
 * Must be registered before the routes.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  deps: { config: object; redis?: Redis; queuePrefix?: string },
): Promise<void> {
  const config = deps.config as { SUBSCRIBE_RATE_LIMIT?: number; VOTE_RATE_LIMIT?: number }
  const subscribeMax = config.SUBSCRIBE_RATE_LIMIT ?? 20
  if (subscribeMax === 0 && (config.VOTE_RATE_LIMIT ?? 0) === 0) return
  const redis = deps.redis ? await limiterConnection(app, deps.redis) : undefined
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: subscribeMax,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace: `${deps.queuePrefix ?? 'paperboy'}:rate:` } : {}),
    skipOnError: true,
    // the global limit is the subscribe routes' (a route with a limit of its own is counted on its own)
    allowList: (request) => subscribeMax === 0 || !isSubscribeRoute(request),
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
 * A vote route's own limit (its `config.rateLimit`): at most `max` votes an hour through one vote link, whoever sends
 * them, so a flood from one link is bounded (one row per reader and paper bounds what it can store anyway). Keyed by
 * the link, not by the reader its token names: a forged token must not use up a real reader's votes. `false` (no
 * limit) when max is 0.
 */
export function voteRateLimit(max: number): RateLimitOptions | false {
  if (max === 0) return false
  return {
    max,
    timeWindow: 3_600_000,
    allowList: undefined,
    keyGenerator: (request) => {
      const params = request.params as { paperId?: string; token?: string }
      return `${params.paperId}/${params.token}`
    },
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', 429, `Too many votes through this link: at most ${context.max} an hour. Please try again in ${context.after}; nothing was recorded.`),
  }
}

/**
 * The limiter's own Redis connection, with auto-pipelining: it runs one script per limited request, and this way the
 * scripts of all the requests served in one turn of the event loop reach Redis in one write instead of one write each
 * (one each was ~9 % of the API process's CPU profile under load, and Redis' CPU per request fell from 0.07–0.08 to
 * 0.04–0.05 ms with one per turn: each write wakes Redis for one command). Not on the shared producer
 * connection: BullMQ queues jobs on that one and is not tested with auto-pipelining (Bull users reported lost job data
 * with it). Same options otherwise: while Redis is down the limiter fails fast and is skipped (skipOnError), and the
 * connection comes back on its own.
 */
async function limiterConnection(app: FastifyInstance, shared: Redis): Promise<Redis> {
  const redis = shared.duplicate({ enableAutoPipelining: true })
  redis.on('error', (error: Error) => app.log.warn({ event: 'rate_limit.redis_error', err: error }, 'rate limit: Redis unavailable, not limiting'))
  await redis.connect().catch(() => {})
  app.addHook('onClose', async () => redis.disconnect())
  return redis
}

import { Redis } from 'ioredis'

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError'
}

/**
 * `producer` connections fail fast (no offline queue), so an HTTP request answers 503 instead of hanging when Redis is
 * down; `worker` connections wait forever, as BullMQ workers require (maxRetriesPerRequest: null).
 */
export function createRedis(url: string, role: 'producer' | 'worker'): Redis {
  return new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: (times) => Math.min(times * 200, 2000),
  })
}

/** Connects, or throws one clear error saying how to start Redis. */
export async function connectRedis(redis: Redis, url: string): Promise<void> {
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 5 s')), 5000).unref()),
    ])
    await redis.ping()
  } catch (error) {
    redis.disconnect()
    throw new RedisUnavailableError(
      `Redis is not reachable at ${url.replace(/\/\/[^@]*@/, '//***@')} (${(error as Error).message}). ` +
        'Start one with `redis-server --daemonize yes` (or `docker compose up -d redis`), or set REDIS_URL.',
    )
  }
}

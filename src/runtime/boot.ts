import path from 'node:path'
import type { Logger } from 'pino'
import { DEFAULT_REDIS_PORT, type Config } from '../config.ts'
import { migrate } from '../db/migrate.ts'
import type { Runtime } from '../deps.ts'
import { resolveAppSecret } from './app-secret.ts'
import { ensureDevRedis, listening } from './dev-redis.ts'

export interface Booted {
  runtime: Runtime
  /** Stops what boot started (embedded Postgres, mail catcher), after the app and workers are closed. */
  stop(): Promise<void>
}

export class BootError extends Error {
  override name = 'BootError'
}

/**
 * Resolves where Postgres, Redis and SMTP are, starting the development defaults when allowed, and applies pending
 * migrations. `embedded: false` (the separate API and worker entry points) requires DATABASE_URL and SMTP_URL:
 * two processes must not each start their own database.
 */
export async function boot(config: Config, logger: Logger, options: { embedded: boolean; mail?: boolean }): Promise<Booted> {
  const stops: (() => Promise<void>)[] = []
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => logger.warn({ err: e }, 'stop failed'))
  }
  try {
    let databaseUrl = config.DATABASE_URL
    if (!databaseUrl) {
      if (!options.embedded) throw new BootError('DATABASE_URL is required for this entry point; `npm start` runs everything with an embedded database instead')
      // Development tools load only when used: a production install (npm ci --omit=dev) does not have them.
      const { runningEmbeddedPostgres, startEmbeddedPostgres } = await import('../db/embedded-postgres.ts')
      databaseUrl = runningEmbeddedPostgres(config.DATA_DIR) ?? undefined
      if (databaseUrl) {
        logger.info({ event: 'boot.embedded_postgres' }, 'using the embedded PostgreSQL another Paperboy process runs')
      } else {
        const db = await startEmbeddedPostgres(config.DATA_DIR, (m) => logger.info(m))
        stops.push(db.stop)
        databaseUrl = db.url
        logger.info({ event: 'boot.embedded_postgres' }, `embedded PostgreSQL running (data in ${config.DATA_DIR}/postgres)`)
      }
    }
    let smtpUrl = config.SMTP_URL
    // Commands that send nothing (e.g. the CLI's ingest) need no SMTP; the mailer connects lazily, on first send.
    if (!smtpUrl && options.mail === false) smtpUrl = 'smtp://127.0.0.1:25'
    if (!smtpUrl) {
      if (!options.embedded) throw new BootError('SMTP_URL is required for this entry point; `npm start` runs a local mail catcher instead')
      if (await listening(config.MAILCATCHER_SMTP_PORT)) {
        smtpUrl = `smtp://127.0.0.1:${config.MAILCATCHER_SMTP_PORT}`
        logger.info({ event: 'boot.mail_catcher' }, `using the mail catcher already listening on port ${config.MAILCATCHER_SMTP_PORT}`)
      } else {
        const { startMailCatcher } = await import('./mail-catcher.ts')
        const catcher = await startMailCatcher({
          smtpPort: config.MAILCATCHER_SMTP_PORT,
          webPort: config.MAILCATCHER_WEB_PORT,
          mailDirectory: path.resolve(config.DATA_DIR, 'mail'),
        })
        stops.push(catcher.stop)
        smtpUrl = catcher.smtpUrl
        logger.info({ event: 'boot.mail_catcher', url: catcher.webUrl }, `mail catcher: every email is shown at ${catcher.webUrl}`)
      }
    }
    if (options.embedded && config.REDIS_DEFAULTED) {
      const redis = await ensureDevRedis({ port: DEFAULT_REDIS_PORT, dataDir: config.DATA_DIR })
      if (redis) {
        stops.push(redis.stop)
        logger.info({ event: 'boot.dev_redis' }, `Redis started for development (data in ${config.DATA_DIR}/redis)`)
      }
    }
    const result = await migrate(databaseUrl)
    logger.info({ event: 'boot.migrated', applied: result.applied }, `database schema up to date (${result.applied.length} migration(s) applied now)`)
    return { runtime: { databaseUrl, smtpUrl, appSecret: await resolveAppSecret(config) }, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

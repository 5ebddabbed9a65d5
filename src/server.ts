import { buildApp } from './app.ts'
import { createDeps } from './deps.ts'
import { loggerOptions, prettyLogs } from './logger.ts'
import { boot } from './runtime/boot.ts'
import { runMain } from './runtime/main.ts'

// The API alone (production): needs DATABASE_URL and SMTP_URL; applies pending migrations before serving.
await runMain('api', async (config, logger) => {
  const booted = await boot(config, logger, { embedded: false })
  const deps = await createDeps(config, booted.runtime, logger)
  const app = await buildApp(deps, { logger: loggerOptions(config.LOG_LEVEL, prettyLogs(config.NODE_ENV)), trustProxy: config.NODE_ENV === 'production' })
  await app.listen({ port: config.PORT, host: config.HOST })
  return async () => {
    deps.beginClose()
    await app.close()
    await deps.close()
    await booted.stop()
  }
})

import { buildApp } from './app.ts'
import { createDeps } from './deps.ts'
import { loggerOptions, prettyLogs } from './logger.ts'
import { boot } from './runtime/boot.ts'
import { ingestIfEmpty } from './runtime/first-run.ts'
import { runMain } from './runtime/main.ts'
import { startWorkers } from '../workers/workers.ts'

// `npm start`: everything in one process — migrations, API, workers and scheduler — on the development defaults
// when DATABASE_URL / SMTP_URL are unset. Production runs src/server.ts and workers/main.ts separately.
await runMain('start', async (config, logger) => {
  const booted = await boot(config, logger, { embedded: true })
  const deps = await createDeps(config, booted.runtime, logger)
  const workers = await startWorkers(deps)
  const app = await buildApp(deps, { logger: loggerOptions(config.LOG_LEVEL, prettyLogs(config.NODE_ENV)) })
  await app.listen({ port: config.PORT, host: config.HOST })
  logger.info({ event: 'boot.ready' }, `Paperboy is ready: open ${config.PUBLIC_URL}`)
  void ingestIfEmpty({ papers: deps.papers, ingest: deps.ingestService, logger })
  return async () => {
    deps.beginClose()
    await app.close()
    await workers.close()
    await deps.close()
    await booted.stop()
  }
})

import { createDeps } from '../src/deps.ts'
import { boot } from '../src/runtime/boot.ts'
import { runMain } from '../src/runtime/main.ts'
import { startWorkers } from './workers.ts'

// The workers alone (production; run as many as you like, on as many machines, against one Postgres and Redis).
await runMain('worker', async (config, logger) => {
  const booted = await boot(config, logger, { embedded: false })
  const deps = await createDeps(config, booted.runtime, logger)
  const workers = await startWorkers(deps)
  logger.info({ event: 'boot.ready' }, 'worker ready')
  return async () => {
    deps.beginClose()
    await workers.close()
    await deps.close()
    await booted.stop()
  }
})

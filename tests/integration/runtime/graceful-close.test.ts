import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exited, killAll, spawnTracked, watchOutput } from '../../helpers/processes.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
afterAll(killAll)

// `npm start`'s own command, run on the fixture instead of src/start.ts.
const START = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!
const [command, ...args] = START.replace('src/start.ts', 'tests/integration/runtime/fixtures/graceful-entry.ts').split(' ')

describe('Ctrl-C on an entry point run as npm start runs it', () => {
  // Busy: the signal arrives while the event loop is held up. Run through the tsx command, whose parent process
  // signals again when the child has not said within 30 ms that it got the signal, this ended the close early.
  for (const busyMs of [0, 2_000]) {
    it(`closes gracefully once, the event loop ${busyMs ? 'busy' : 'idle'} when the signal comes`, async () => {
      // Its own process group, so the signal goes to every process of it, as a terminal's Ctrl-C does.
      const child = spawnTracked(command!, args, {
        cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', LOG_LEVEL: 'info', BUSY_MS: String(busyMs) },
      })
      const { output, ready } = watchOutput(child, /"boot.ready"/, 'the entry point')
      await ready
      const code = exited(child)
      process.kill(-child.pid!, 'SIGINT')
      expect(await code, output()).toBe(0)
      expect(output()).toContain('closed gracefully')
      expect(output()).not.toMatch(/second SIGINT|foreign exit hook ran/)
    }, 30_000)
  }
})

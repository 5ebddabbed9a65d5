import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exited, killAll, spawnTracked, watchOutput } from '../../helpers/processes.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
afterAll(killAll)

describe('Ctrl-C on an entry point run through tsx (npm start)', () => {
  it('closes gracefully once: the signal reaches the process group, tsx is told, and nothing signals again', async () => {
    // Its own process group, so the signal goes to every process of it, as a terminal's Ctrl-C does.
    const child = spawnTracked(path.join(ROOT, 'node_modules/.bin/tsx'), ['tests/integration/runtime/fixtures/graceful-entry.ts'], {
      cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', LOG_LEVEL: 'info' },
    })
    const { output, ready } = watchOutput(child, /"boot.ready"/, 'the entry point')
    await ready
    const code = exited(child)
    process.kill(-child.pid!, 'SIGINT')
    expect(await code, output()).toBe(0)
    expect(output()).toContain('closed gracefully')
    expect(output()).not.toMatch(/second SIGINT|foreign exit hook ran/)
  }, 30_000)
})

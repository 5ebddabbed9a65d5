import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../../..')

/** `docker compose config` where the Compose plugin exists, else the standalone docker-compose (Debian's, in CI). */
async function composeConfig(env: Record<string, string>) {
  const options = { cwd: ROOT, env: { PATH: process.env.PATH, ...env } }
  const plugin = await run('docker', ['compose', 'version']).then(() => true, () => false)
  return plugin
    ? run('docker', ['compose', '-f', 'docker-compose.yml', 'config'], options)
    : run('docker-compose', ['-f', 'docker-compose.yml', 'config'], options)
}

describe('docker-compose.yml', () => {
  it('is valid and describes the production-shaped setup', async () => {
    const { stdout } = await composeConfig({ APP_SECRET: 'a'.repeat(44) })
    for (const service of ['postgres', 'redis', 'mail', 'api', 'worker']) expect(stdout).toMatch(new RegExp(`^  ${service}:$`, 'm'))
    // BullMQ needs a Redis that keeps its data and never evicts keys.
    expect(stdout).toMatch(/appendonly[\s\S]*yes/)
    expect(stdout).toMatch(/maxmemory-policy[\s\S]*noeviction/)
    expect(stdout).toContain('start:api')
    expect(stdout).toContain('start:worker')
    expect(stdout.match(/healthcheck:/g)?.length).toBeGreaterThanOrEqual(3)
  })

  it('refuses to run without APP_SECRET', async () => {
    await expect(composeConfig({})).rejects.toMatchObject({ stderr: expect.stringMatching(/APP_SECRET/) })
  })
})

import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../..')

/** `docker compose` where the Compose plugin exists, else the standalone docker-compose (Debian's, in CI). */
async function compose(): Promise<string[]> {
  if (await run('docker', ['compose', 'version']).then(() => true, () => false)) return ['docker', 'compose']
  if (await run('docker-compose', ['version']).then(() => true, () => false)) return ['docker-compose']
  throw new Error('docker compose is not installed: the system tests validate docker-compose.yml with it (Debian: apt-get install docker-compose)')
}

async function composeConfig(env: Record<string, string>) {
  const [command, ...args] = await compose()
  return run(command!, [...args, '-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } })
}

describe('docker-compose.yml', () => {
  it('is valid and describes the production-shaped setup: one image built here, migrations first, no source mounted', async () => {
    const { stdout } = await composeConfig({ APP_SECRET: 'a'.repeat(44) })
    for (const service of ['postgres', 'redis', 'mail', 'migrate', 'api', 'worker']) expect(stdout).toMatch(new RegExp(`^  ${service}:$`, 'm'))
    // BullMQ needs a Redis that keeps its data and never evicts keys.
    expect(stdout).toMatch(/appendonly[\s\S]*yes/)
    expect(stdout).toMatch(/maxmemory-policy[\s\S]*noeviction/)
    // the compiled build, from the image: no install at start, no bind mount of the source
    expect(stdout).toContain('dist/src/db/migrate-cli.js')
    expect(stdout).toContain('dist/src/server.js')
    expect(stdout).toContain('dist/workers/main.js')
    expect(stdout.match(/^ {4}build:$/gm)).toHaveLength(3)
    expect(stdout).not.toMatch(/npm ci|tsx|source: \.|\/app:/)
    expect(stdout.match(/condition: service_completed_successfully/g)).toHaveLength(2)
    expect(stdout.match(/healthcheck:/g)?.length).toBeGreaterThanOrEqual(3)
  })

  it('refuses to run without APP_SECRET', async () => {
    await compose() // a missing docker compose fails here, saying so, not as a refusal of the wrong kind
    await expect(composeConfig({})).rejects.toMatchObject({ stderr: expect.stringMatching(/APP_SECRET/) })
  })
})

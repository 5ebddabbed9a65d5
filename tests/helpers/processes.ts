import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import path from 'node:path'

/**
 * Child processes for fault-injection tests: real worker processes (`node --import tsx workers/main.ts`) and a private
 * redis-server that a test may kill and restart (never the shared one on 6379). Every child started here is tracked,
 * so `killAll()` in afterAll leaves nothing behind.
 */
const ROOT = path.resolve(import.meta.dirname, '../..')
const children = new Set<ChildProcess>()

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Any child process, tracked like the others (killAll ends it). */
export const spawnTracked = (...args: Parameters<typeof spawn>): ChildProcess => track(spawn(...args))

/**
 * What a child writes (stdout and stderr together), and `ready`: resolved once that output matches `ready`, rejected
 * (with the end of the output) if the child exits first. `ready` never goes unhandled: whoever awaits it gets the error.
 */
export function watchOutput(child: ChildProcess, ready: RegExp, name = 'child'): { output: () => string; ready: Promise<void> } {
  let out = ''
  const readyOrExit = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString()
      if (ready.test(out)) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    // 'close', not 'exit': by then everything it wrote has been read
    child.once('close', () => reject(new Error(`${name} exited before it was ready:\n${out.slice(-3000)}`)))
  })
  readyOrExit.catch(() => {})
  return { output: () => out, ready: readyOrExit }
}

/** Resolves with the exit code (or the signal's name) once the child has exited. */
export async function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode
  if (child.signalCode !== null) return child.signalCode
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  return code ?? signal ?? 'unknown'
}

/** SIGKILL, then wait until it is gone. */
export async function hardKill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = exited(child)
  child.kill('SIGKILL')
  await gone
}

/** Kills every child still running (afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...children].map((c) => hardKill(c)))
}

export interface RedisChild {
  url: string
  port: number
  /** Kills the server (its data is gone: no persistence) and starts an empty one on the same port. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** A private, non-persistent redis-server on a free port. */
export async function startRedis(): Promise<RedisChild> {
  const port = await freePort()
  let child: ChildProcess
  const start = async () => {
    child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
    await watchOutput(child, /Ready to accept connections/, 'redis-server').ready
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await hardKill(child)
      await start()
    },
    stop: () => hardKill(child),
  }
}

export interface WorkerChild {
  child: ChildProcess
  pid: number
  /** Everything it wrote (JSON log lines). */
  output(): string
  /** Resolves when it logged `boot.ready`. */
  ready: Promise<void>
}

/** A worker process exactly as production runs it, configured only by its environment. */
export function spawnWorker(env: Record<string, string>): WorkerChild {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', LOG_LEVEL: 'info', ARXIV_LOOKUP: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  const { output, ready } = watchOutput(child, /"boot.ready"/, 'worker')
  return { child, pid: child.pid!, output, ready }
}

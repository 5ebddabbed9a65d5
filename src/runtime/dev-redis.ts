import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { createConnection } from 'node:net'
import path from 'node:path'

/**
 * Development default when REDIS_URL is unset and nothing answers on its default address: a redis-server of this
 * machine's, started in this process's care with its data under DATA_DIR/redis (kept across restarts, as queues need)
 * and stopped with it. No Redis build is published on npm, so where none is installed this says how to get one.
 */
export class DevRedisError extends Error {
  override name = 'DevRedisError'
}

export interface DevRedis {
  stop(): Promise<void>
}

const INSTALL = 'install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running one'

export function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** null when something already listens on `port` (a Redis this process uses as it is); else the server it started. */
export async function ensureDevRedis(options: { port: number; dataDir: string; command?: string; host?: string }): Promise<DevRedis | null> {
  const host = options.host ?? '127.0.0.1'
  if (await listening(options.port, host)) return null
  const dir = path.resolve(options.dataDir, 'redis')
  await mkdir(dir, { recursive: true })
  const args = ['--port', String(options.port), '--bind', host, '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--maxmemory-policy', 'noeviction']
  let child: ChildProcess
  try {
    child = spawn(options.command ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    await once(child, 'spawn')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DevRedisError(`Redis is not running on ${host}:${options.port} and redis-server is not installed: ${INSTALL}`)
    throw error
  }
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = once(child, 'exit')
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (/Ready to accept connections/.test(out) ? resolve() : undefined)
    child.stdout!.on('data', check)
    void exited.then(() => reject(new DevRedisError(`redis-server exited before it was ready: ${out.trim().split('\n').slice(-3).join(' | ')}`)))
  })
  await ready
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}

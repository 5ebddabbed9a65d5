import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.ts'
import { DevRedisError, ensureDevRedis, listening } from '../../../src/runtime/dev-redis.ts'
import { freePort } from '../../helpers/processes.ts'

/** `npm start` without REDIS_URL: a redis-server of the machine's, started when none answers, stopped with the process. */
let dataDir: string
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'paperboy-dev-redis-'))
})
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

describe('the development Redis', () => {
  it('starts a redis-server with its data under DATA_DIR when none answers, and stops it', async () => {
    const port = await freePort()
    const redis = await ensureDevRedis({ port, dataDir })
    expect(redis).not.toBeNull()
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true })
    try {
      await client.connect()
      expect(await client.ping()).toBe('PONG')
      // what BullMQ needs: data kept (AOF), keys never evicted
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes'])
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction'])
      expect(await client.config('GET', 'dir')).toEqual(['dir', path.join(dataDir, 'redis')])
    } finally {
      client.disconnect()
    }
    await redis!.stop()
    expect(await listening(port)).toBe(false)
    expect((await stat(path.join(dataDir, 'redis'))).isDirectory()).toBe(true)
  })

  it('uses a Redis that already answers instead of starting one', async () => {
    expect(await ensureDevRedis({ port: 6379, dataDir })).toBeNull()
  })

  it('says how to get one when redis-server is not installed', async () => {
    const error = await ensureDevRedis({ port: await freePort(), dataDir, command: path.join(dataDir, 'no-redis-server') }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DevRedisError)
    expect((error as Error).message).toMatch(/redis-server is not installed: install it \(Debian\/Ubuntu: apt-get install redis-server; macOS: brew install redis\) or set REDIS_URL/)
  })

  it('is only for an unset REDIS_URL', () => {
    expect(loadConfig({}).REDIS_DEFAULTED).toBe(true)
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_DEFAULTED).toBe(false)
  })
})

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpGet, HttpUnavailableError, type HttpGet } from '../../../src/runtime/http-get.ts'

/** A server on this machine that redirects /moved to /target. */
let server: Server
let base: string
beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/moved') response.writeHead(302, { location: '/target' }).end()
    else response.writeHead(200, { 'content-type': 'text/plain' }).end('the target')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('createHttpGet and redirects', () => {
  it('follows them by default', async () => {
    const get = createHttpGet({ retries: 0, retryEvent: 'test.retry' })
    expect((await get(`${base}/moved`)).text).toBe('the target')
  })

  it('refuses them when told to: the URL checked before the request is the one that answers', async () => {
    const get = createHttpGet({ retries: 0, retryEvent: 'test.retry', redirect: 'error' })
    await expect(get(`${base}/moved`)).rejects.toBeInstanceOf(HttpUnavailableError)
    expect((await get(`${base}/target`)).text).toBe('the target')
  })
})

describe('createHttpGet stopped from outside', () => {
  const refused = async () => { throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }) }
  /** A promise and the call that settles it: for "the GET has got this far". */
  const signalled = () => {
    let reach!: () => void
    const reached = new Promise<void>((resolve) => (reach = resolve))
    return { reached, reach }
  }
  /** Starts the GET, stops it once it has `reached` a point, and expects it to end at once with the reason given. */
  async function stopAt(get: HttpGet, reached: Promise<void>) {
    const stopping = new AbortController()
    const got = get(`${base}/target`, {}, stopping.signal)
    await reached
    stopping.abort(new Error('shutting down'))
    await expect(got).rejects.toThrow('shutting down')
  }

  it('stops waiting between attempts at once, with the reason it was given, and asks no more', async () => {
    let fetches = 0
    const asleep = signalled()
    const get = createHttpGet({
      retries: 5, retryEvent: 'test.retry', fetch: (async () => (fetches++, refused())) as typeof fetch,
      // a wait that would never end by itself
      sleep: () => (asleep.reach(), new Promise<void>(() => {})),
    })
    await stopAt(get, asleep.reached)
    expect(fetches).toBe(1)
  })

  it('stops a request in flight, not as a timeout to retry', async () => {
    let fetches = 0
    const asked = signalled()
    // a server that never answers: only the signal ends the request
    const hanging = ((_url: string, init: RequestInit) => {
      fetches++
      asked.reach()
      return new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))
    }) as typeof fetch
    const retried: unknown[] = []
    const logger = { warn: (entry: unknown) => retried.push(entry) } as unknown as Logger
    const get = createHttpGet({ retries: 5, retryEvent: 'test.retry', fetch: hanging, sleep: async () => {}, logger })
    await stopAt(get, asked.reached)
    expect(fetches).toBe(1)
    // not logged as a failed attempt to retry
    expect(retried).toEqual([])
  })
})

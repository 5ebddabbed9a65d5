import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpGet, HttpUnavailableError } from '../../../src/runtime/http-get.ts'

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

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteDeps } from './route-deps.ts'

const Readiness = z.object({ status: z.enum(['ready', 'unavailable']), postgres: z.boolean(), redis: z.boolean() })

export const healthRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', { schema: { summary: 'Readiness: Postgres and Redis answer', response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
    const checks = await deps.checkReady()
    const ready = checks.postgres && checks.redis
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', ...checks })
  })

  app.get('/assets/app.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(deps.pages.asset('app.css')),
  )
  app.get('/assets/app.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(deps.pages.asset('app.js')),
  )
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { requireAdmin } from './admin-auth.ts'
import type { RouteDeps } from './route-deps.ts'

/** Prometheus text format; scrape with `authorization: { credentials: <ADMIN_TOKEN> }`. */
export const metricsRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.addHook('onRequest', requireAdmin(deps.config.ADMIN_TOKEN))
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['admin'] } }, async (_request, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.render()),
  )
}

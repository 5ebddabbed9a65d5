import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's security headers (CSP, HSTS, X-Frame-Options, …) on every response; a route that needs another CSP (the
 * digest's browser view, /docs, the queue dashboard) sets its own header, which wins.
 *
 * helmet's middleware is built once here. @fastify/helmet 13 builds it again for every request (parsing and checking
 * every CSP directive each time): ~9 % of the API process's CPU per subscribe request, measured.
 */
export function addSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const setHeaders = helmet(options)
  app.addHook('onRequest', (request, reply, done) => setHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)))
}

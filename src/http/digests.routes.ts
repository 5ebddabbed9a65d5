import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteDeps } from './route-deps.ts'

const Params = z.object({ token: z.string().min(1).max(512), date: z.string().max(20) })

const FeedParams = z.object({ token: z.string().min(1).max(512), format: z.enum(['atom.xml', 'rss.xml'], { error: 'the feed is atom.xml or rss.xml' }) })

export const digestRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.get('/feeds/:token/:format', { schema: { params: FeedParams, hide: true } }, async (request, reply) => {
    const atom = request.params.format === 'atom.xml'
    const xml = await deps.digestService.feed(request.params.token, atom ? 'atom' : 'rss')
    return reply.type(atom ? 'application/atom+xml; charset=utf-8' : 'application/rss+xml; charset=utf-8').header('cache-control', 'private, max-age=300').send(xml)
  })

  app.get('/digests/:token/:date', { schema: { params: Params, hide: true } }, async (request, reply) => {
    const html = await deps.digestService.viewDigest(request.params.token, request.params.date)
    // The email's HTML carries inline styles (email clients need them); this page alone allows them, never scripts.
    return reply
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
      .type('text/html; charset=utf-8')
      .send(html)
  })
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { TokenParams } from './confirm.routes.ts'
import type { RouteDeps } from './route-deps.ts'

export const unsubscribeRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  // RFC 8058 one-click: mail providers POST `List-Unsubscribe=One-Click` as form-urlencoded or multipart/form-data.
  // The token in the path is the whole authorisation, so the body is accepted and not read; this parser is scoped
  // to this plugin, so other routes still refuse multipart.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, _body, done) => done(null, {}))

  app.get('/unsubscribe/:token', { schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    const { subscriber, manageUrl } = await deps.subscriberService.peekUnsubscribe(request.params.token)
    if (subscriber.status === 'unsubscribed') return reply.type('text/html; charset=utf-8').send(unsubscribedPage(deps, manageUrl))
    return reply.type('text/html; charset=utf-8').send(
      deps.pages.render('unsubscribe', { title: 'Unsubscribe', email: subscriber.email, action: `/unsubscribe/${request.params.token}`, manageUrl }),
    )
  })

  app.post('/unsubscribe/:token', { bodyLimit: 64 * 1024, schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    const { manageUrl } = await deps.subscriberService.unsubscribe(request.params.token)
    // 200 with a page, no redirect and no cookie (RFC 8058 §3.2).
    return reply.status(200).type('text/html; charset=utf-8').send(unsubscribedPage(deps, manageUrl))
  })
}

function unsubscribedPage(deps: RouteDeps['deps'], manageUrl: string) {
  return deps.pages.render('message', {
    title: 'You are unsubscribed',
    message: 'You will get no more digests from Paperboy. Changed your mind? You can subscribe again from your preferences page.',
    linkUrl: manageUrl,
    linkText: 'Open my preferences',
  })
}

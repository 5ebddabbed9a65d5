import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteDeps } from './route-deps.ts'

export const TokenParams = z.object({ token: z.string().min(1).max(512) })

export const confirmRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  // GET only shows a button: mail scanners that prefetch links must not confirm anything.
  app.get('/confirm/:token', { schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    const subscriber = await deps.subscriberService.peekConfirm(request.params.token)
    return reply.type('text/html; charset=utf-8').send(
      deps.pages.render('confirm', { title: 'Confirm your subscription', email: subscriber.email, action: `/confirm/${request.params.token}` }),
    )
  })

  app.post('/confirm/:token', { schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    const { manageUrl } = await deps.subscriberService.confirm(request.params.token)
    return reply.type('text/html; charset=utf-8').send(
      deps.pages.render('message', {
        title: 'You are subscribed',
        message: 'Your first digest arrives at your chosen hour. Pick your topics, the time and how many papers you want on your preferences page; the link is also in every email.',
        linkUrl: manageUrl,
        linkText: 'Choose my topics',
      }),
    )
  })
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SubscribeBody, SubscribeForm } from '../subscribers/subscriber.schemas.ts'
import { ARXIV_CATEGORIES } from '../arxiv/categories.ts'
import { TOPICS, TOPICS_BY_GROUP } from '../topics/catalogue.ts'
import type { RouteDeps } from './route-deps.ts'

const CATEGORY_LIST = Object.entries(ARXIV_CATEGORIES).map(([code, name]) => ({ code, name }))

/** Same status and body whatever the address's state: the response must not reveal who is subscribed. */
export const ACCEPTED = {
  status: 'accepted',
  message: 'Thanks! If this address can receive email, a message is on its way: follow it to confirm your subscription.',
} as const
export const Accepted = z.object({ status: z.literal('accepted'), message: z.string() })

const SMALL_BODY = 16 * 1024

export const subscriptionRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(deps.pages.render('landing', { title: 'Trending AI papers in your inbox', topicGroups: TOPICS_BY_GROUP })),
  )

  app.post('/subscribe', { bodyLimit: SMALL_BODY, schema: { hide: true } }, async (request, reply) => {
    const body = SubscribeForm.parse(request.body ?? {})
    await deps.subscriberService.subscribe(body)
    return reply.status(202).type('text/html; charset=utf-8').send(deps.pages.render('subscribed', { title: 'Check your inbox', message: ACCEPTED.message }))
  })

  app.post(
    '/api/subscriptions',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        summary: 'Subscribe an address (double opt-in)',
        description: 'Always 202 with the same body, whatever the state of the address. Sends a confirmation or an "already subscribed" email, throttled per address.',
        body: SubscribeBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      await deps.subscriberService.subscribe(request.body)
      return reply.status(202).send(ACCEPTED)
    },
  )

  app.get(
    '/api/topics',
    { schema: { summary: 'The topic catalogue', response: { 200: z.array(z.object({ slug: z.string(), name: z.string(), description: z.string(), group: z.string() })) } } },
    async () => TOPICS.map(({ slug, name, description, group }) => ({ slug, name, description, group })),
  )

  app.get(
    '/api/categories',
    { schema: { summary: 'The arXiv categories a subscriber may filter on', response: { 200: z.array(z.object({ code: z.string(), name: z.string() })) } } },
    async () => CATEGORY_LIST,
  )
}

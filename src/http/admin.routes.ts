import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { isIsoDate } from '../digests/schedule.ts'
import { requireAdmin } from './admin-auth.ts'
import type { RouteDeps } from './route-deps.ts'

const IsoDate = z.string().refine(isIsoDate, 'date must be a calendar date as YYYY-MM-DD')
const SubscriberId = z.object({ id: z.uuid('id must be a subscriber id (a UUID)') })
const Status = z.enum(['pending', 'active', 'unsubscribed', 'bounced'])

/** Operator API, only when ADMIN_TOKEN is set, only with `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.addHook('onRequest', requireAdmin(deps.config.ADMIN_TOKEN))

  app.get('/api/admin/stats', { schema: { summary: 'Counts of subscribers, deliveries and papers', tags: ['admin'] } }, async () => deps.admin.stats())

  app.get(
    '/api/admin/subscribers',
    {
      schema: {
        summary: 'List or search subscribers, newest first',
        tags: ['admin'],
        querystring: z.object({
          q: z.string().max(254).optional(),
          status: Status.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          before: z.iso.datetime({ error: 'before must be an ISO timestamp (from the previous page)' }).optional(),
        }),
      },
    },
    async (request) => {
      const { q, status, limit, before } = request.query
      const rows = await deps.admin.searchSubscribers({ limit, ...(q ? { query: q } : {}), ...(status ? { status } : {}), ...(before ? { before: new Date(before) } : {}) })
      return {
        subscribers: rows.map((s) => ({ id: s.id, email: s.email, status: s.status, topics: s.topics, keywords: s.keywords, paused: s.paused, frequency: s.frequency, createdAt: s.createdAt, confirmedAt: s.confirmedAt })),
        next: rows.length === limit ? rows.at(-1)!.createdAt.toISOString() : null,
      }
    },
  )

  app.get('/api/admin/subscribers/:id/export', { schema: { summary: 'Export a subscriber (GDPR)', tags: ['admin'], params: SubscriberId } }, async (request) =>
    deps.subscriberService.exportById(request.params.id),
  )

  app.delete('/api/admin/subscribers/:id', { schema: { summary: 'Erase a subscriber (GDPR)', tags: ['admin'], params: SubscriberId } }, async (request) => {
    await deps.subscriberService.eraseById(request.params.id)
    return { status: 'erased' as const }
  })

  app.post('/api/admin/ingest', { schema: { summary: 'Fetch a papers-day from the source now', tags: ['admin'], body: z.strictObject({ date: IsoDate }) } }, async (request) =>
    deps.ingestService.ingestDay(request.body.date),
  )

  app.post(
    '/api/admin/send',
    { schema: { summary: "Send a date's edition now to everyone due that day, whatever their hour; never twice", tags: ['admin'], body: z.strictObject({ date: IsoDate }) } },
    async (request, reply) => reply.status(202).send(await deps.digestService.sendEdition(request.body.date)),
  )

  app.get('/api/admin/editions/:date', { schema: { summary: 'Deliveries of an edition by status', tags: ['admin'], params: z.object({ date: IsoDate }) } }, async (request) => ({
    date: request.params.date,
    deliveries: await deps.digestService.progress(request.params.date),
  }))
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../errors.ts'
import { isIsoDate } from '../digests/schedule.ts'
import { RATE_LINE } from '../admin/metrics.ts'
import { requireAdmin } from './admin-auth.ts'
import type { RouteDeps } from './route-deps.ts'

const DateForm = z.object({ date: z.string().refine(isIsoDate, 'date must be a calendar date as YYYY-MM-DD') })

/**
 * A small operator page at /admin, behind ADMIN_TOKEN with HTTP Basic (the browser remembers it). Because a browser
 * sends remembered credentials with cross-site requests too, its forms accept only same-origin POSTs.
 */
export const adminPageRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  app.addHook('onRequest', requireAdmin(deps.config.ADMIN_TOKEN, { basic: true }))
  const ownOrigin = new URL(deps.config.PUBLIC_URL).origin
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return
    const site = request.headers['sec-fetch-site']
    const origin = request.headers.origin
    if (site ? site !== 'same-origin' : origin !== ownOrigin) {
      throw new AppError('UNAUTHORIZED', 403, 'Admin actions are accepted only from the admin page itself.')
    }
  })

  const page = async (notice: string | null) => {
    const today = new Date().toISOString().slice(0, 10)
    const [stats, todayProgress, rates] = await Promise.all([deps.admin.stats(), deps.digestService.progress(today), deps.mailEventService.dailyRates(today, 14)])
    const percent = (rate: number) => `${(100 * rate).toFixed(2)} %`
    return deps.pages.render('admin', {
      title: 'Operations',
      notice,
      today,
      todayDeliveries: Object.entries(todayProgress).map(([status, count]) => ({ status, count })),
      subscribers: Object.entries(stats.subscribers).map(([status, count]) => ({ status, count })),
      deliveries: Object.entries(stats.deliveries).flatMap(([kind, byStatus]) => Object.entries(byStatus).map(([status, count]) => ({ kind, status, count }))),
      papers: stats.papers,
      rateLine: percent(RATE_LINE),
      rates: rates.map((r) => ({
        ...r, bounceRate: percent(r.bounceRate), complaintRate: percent(r.complaintRate),
        bounceOver: r.bounceRate > RATE_LINE, complaintOver: r.complaintRate > RATE_LINE,
      })),
    })
  }

  app.get('/admin', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(await page(null)))

  app.post('/admin/ingest', { schema: { hide: true } }, async (request, reply) => {
    const { date } = DateForm.parse(request.body ?? {})
    const result = await deps.ingestService.ingestDay(date)
    const notice = `Ingested ${result.fetched} papers for ${date}: ${result.inserted} new, ${result.updated} updated, ${result.skipped} malformed skipped.`
    return reply.type('text/html; charset=utf-8').send(await page(notice))
  })

  app.post('/admin/send', { schema: { hide: true } }, async (request, reply) => {
    const { date } = DateForm.parse(request.body ?? {})
    const { planned } = await deps.digestService.sendEdition(date)
    return reply.type('text/html; charset=utf-8').send(await page(`Queued ${planned} new digests for ${date}; the workers are sending them.`))
  })
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { signLink } from '../links/tokens.ts'
import { Preferences, PreferencesBody, PreferencesForm } from '../subscribers/subscriber.schemas.ts'
import { ARXIV_CATEGORIES, COMMON_CATEGORIES } from '../arxiv/categories.ts'
import { TOPICS_BY_GROUP } from '../topics/catalogue.ts'
import { TokenParams } from './confirm.routes.ts'
import { SELECTION_COUNTED, type Selection } from '../digests/digest.service.ts'
import { dateLabel } from '../digests/schedule.ts'
import type { RouteDeps } from './route-deps.ts'

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].map((name, value) => ({ name, value }))
const HOURS = Array.from({ length: 24 }, (_, value) => ({ value, name: `${String(value).padStart(2, '0')}:00` }))
const TIMEZONES = Intl.supportedValuesOf('timeZone')
const SMALL_BODY = 32 * 1024
const COMMON = COMMON_CATEGORIES.map((code) => ({ code, name: ARXIV_CATEGORIES[code]! }))

/** What the preferences page says above the papers a reader's choices select. */
function selectionSummary(s: Selection, prefs: { frequency: string; topics: string[]; keywords: string[]; categories: string[] }): string {
  // a digest's window: the day and the one before for a daily digest (late papers), the week for a weekly one
  const when = prefs.frequency === 'weekly' ? `In the latest week of papers, to ${dateLabel(s.date)}` : `In the latest papers, of ${dateLabel(s.fromDay)} and ${dateLabel(s.date)}`
  const what = prefs.topics.length + prefs.keywords.length + prefs.categories.length === 0 ? 'the whole trending list (no topics, categories or filters chosen) holds' : 'your topics, categories and filters select'
  if (s.total === 0) return `${when}, ${what} no paper: a digest of such days would have nothing to send.`
  const count = s.total >= SELECTION_COUNTED ? `${SELECTION_COUNTED} papers or more` : s.total === 1 ? '1 paper' : `${s.total} papers`
  const first = s.papers.length < s.total ? `; the first ${s.papers.length}, in your digest's order` : ''
  return `${when}, ${what} ${count} (papers already sent to you included)${first}:`
}

export const preferencesRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  const page = async (token: string, saved: boolean, notice: string | null = null) => {
    const { preferences, subscriberId } = await deps.subscriberService.getPreferences(token)
    const [taught, selection] = await Promise.all([
      deps.feedbackService.summary(subscriberId),
      // an extra, not the page: when it fails the page still shows, and saves, without it
      deps.digestService.selection(subscriberId, preferences).catch((error: unknown) => {
        app.log.warn({ event: 'preferences.selection_failed', err: error }, 'the selection preview failed; the page shows without it')
        return null
      }),
    ])
    return deps.pages.render('preferences', {
      title: 'Your preferences',
      prefs: preferences,
      saved,
      topicGroups: TOPICS_BY_GROUP,
      commonCategories: COMMON,
      // Categories the subscriber chose beyond the common ones, typed in a text field.
      moreCategories: preferences.categories.filter((c) => !COMMON_CATEGORIES.includes(c)).join(' '),
      weekdays: WEEKDAYS,
      hours: HOURS,
      timezones: TIMEZONES,
      keywordsText: preferences.keywords.join('\n'),
      action: `/preferences/${token}`,
      resubscribeAction: `/preferences/${token}/resubscribe`,
      eraseAction: `/preferences/${token}/delete`,
      taught: taught && { votes: taught.votes, more: taught.more.join(', '), less: taught.less.join(', ') },
      selection: selection && { ...selection, summary: selectionSummary(selection, preferences) },
      forgetAction: `/preferences/${token}/forget`,
      exportUrl: `/api/preferences/${token}/export`,
      unsubscribeUrl: deps.links.unsubscribe(subscriberId),
      feed: deps.links.feed(subscriberId),
      devSendAction: deps.config.NODE_ENV === 'development' && preferences.status === 'active' ? `/preferences/${token}/send-latest` : null,
      notice,
    })
  }

  app.get('/preferences/:token', { schema: { params: TokenParams, hide: true } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(await page(request.params.token, false)),
  )

  app.post('/preferences/:token', { bodyLimit: SMALL_BODY, schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    await deps.subscriberService.updatePreferences(request.params.token, PreferencesForm.parse(request.body ?? {}))
    return reply.type('text/html; charset=utf-8').send(await page(request.params.token, true))
  })

  // Development only: lets a newcomer see a real digest in the mail catcher without waiting for their hour.
  if (deps.config.NODE_ENV === 'development') {
    app.post('/preferences/:token/send-latest', { schema: { params: TokenParams, hide: true } }, async (request, reply) => {
      const { subscriberId } = await deps.subscriberService.getPreferences(request.params.token)
      const result = await deps.digestService.sendLatestTo(subscriberId)
      const notice = !result.editionDate
        ? 'There are no papers yet: the source could not be reached. Load a saved listing with `npm run cli -- ingest --file <listing.json>`.'
        : result.queued
          ? `The digest of ${result.editionDate} is on its way: look in the mail catcher.`
          : `You already have the digest of ${result.editionDate}.`
      return reply.type('text/html; charset=utf-8').send(await page(request.params.token, false, notice))
    })
  }

  app.post('/preferences/:token/resubscribe', { bodyLimit: SMALL_BODY, schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    await deps.subscriberService.resubscribe(request.params.token)
    return reply.type('text/html; charset=utf-8').send(await page(request.params.token, true))
  })

  app.post('/preferences/:token/forget', { bodyLimit: SMALL_BODY, schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    const { subscriberId } = await deps.subscriberService.getPreferences(request.params.token)
    const forgotten = await deps.feedbackService.forget(subscriberId)
    const notice = `Forgotten: ${forgotten === 1 ? '1 vote' : `${forgotten} votes`}. Your digests are ranked as before you voted.`
    return reply.type('text/html; charset=utf-8').send(await page(request.params.token, false, notice))
  })

  app.post('/preferences/:token/delete', { bodyLimit: SMALL_BODY, schema: { params: TokenParams, hide: true } }, async (request, reply) => {
    // The checkbox guards against a stray click; the token is the authorisation.
    z.object({ confirm: z.literal('yes', { error: 'tick the box to confirm the deletion' }) }).parse(request.body ?? {})
    await deps.subscriberService.erase(request.params.token)
    return reply.type('text/html; charset=utf-8').send(
      deps.pages.render('message', { title: 'Your data is deleted', message: 'Your subscription and its history are gone, and every link in our old emails now stops working. You can subscribe again at any time.', linkUrl: '/', linkText: 'Start page' }),
    )
  })

  app.get(
    '/api/preferences/:token',
    { schema: { summary: 'Read a subscriber\'s preferences', params: TokenParams, response: { 200: Preferences } } },
    async (request) => (await deps.subscriberService.getPreferences(request.params.token)).preferences,
  )

  app.put(
    '/api/preferences/:token',
    { bodyLimit: SMALL_BODY, schema: { summary: 'Change preferences (only the fields given)', params: TokenParams, body: PreferencesBody, response: { 200: Preferences } } },
    async (request) => deps.subscriberService.updatePreferences(request.params.token, request.body),
  )

  app.get(
    '/api/preferences/:token/export',
    { schema: { summary: 'Export everything held about the subscriber (GDPR)', params: TokenParams } },
    async (request, reply) => {
      const data = await deps.subscriberService.exportData(request.params.token)
      return reply.header('content-disposition', 'attachment; filename="paperboy-data.json"').send(data)
    },
  )

  app.delete(
    '/api/preferences/:token',
    { schema: { summary: 'Erase the subscriber and every link to it (GDPR)', params: TokenParams, response: { 200: z.object({ status: z.literal('erased') }) } } },
    async (request) => {
      await deps.subscriberService.erase(request.params.token)
      return { status: 'erased' as const }
    },
  )
}

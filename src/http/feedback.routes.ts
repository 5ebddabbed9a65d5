import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { VoteChoice } from '../taste/feedback.service.ts'
import { voteRateLimit } from './rate-limits.ts'
import type { RouteDeps } from './route-deps.ts'

const SMALL_BODY = 4 * 1024

const VoteParams = z.object({
  paperId: z.string().regex(/^[A-Za-z0-9._/-]{1,64}$/, 'is not a paper id'),
  token: z.string().min(1).max(512),
})
const Choice = z.enum(['more', 'less'], { error: 'must be "more" or "less"' })
const VoteQuery = z.object({ vote: Choice.optional() })
const VoteBody = z.object({ vote: Choice })

const wording: Record<VoteChoice, string> = { more: 'More like this', less: 'Less like this' }

/**
 * The "more like this / less like this" links of every digest. Following one (GET) shows the paper and two buttons
 * and records nothing: corporate link scanners follow every link of an email. The vote is the form's POST, which works
 * without JavaScript; voting again on the same paper replaces the vote.
 */
export const feedbackRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  const page = (params: z.infer<typeof VoteParams>, data: { title: string; vote: VoteChoice | null; suggested?: VoteChoice; recorded?: boolean; learned?: { more: string[]; less: string[] } | null }) =>
    deps.pages.render('vote', {
      title: data.recorded ? 'Thanks: noted' : 'More or less like this?',
      paperTitle: data.title,
      action: `/feedback/${encodeURIComponent(params.paperId)}/${params.token}`,
      // the button the link was for comes first
      choices: (data.suggested === 'less' ? (['less', 'more'] as const) : (['more', 'less'] as const)).map((value) => ({ value, label: wording[value], current: data.vote === value })),
      current: data.vote && wording[data.vote],
      recorded: data.recorded ?? false,
      learnedMore: data.learned?.more.join(', ') ?? '',
      learnedLess: data.learned?.less.join(', ') ?? '',
    })

  app.get('/feedback/:paperId/:token', { schema: { params: VoteParams, querystring: VoteQuery, hide: true } }, async (request, reply) => {
    const ballot = await deps.feedbackService.ballot(request.params.paperId, request.params.token)
    return reply.type('text/html; charset=utf-8').send(page(request.params, { ...ballot, suggested: request.query.vote }))
  })

  app.post('/feedback/:paperId/:token', { bodyLimit: SMALL_BODY, schema: { params: VoteParams, hide: true }, config: { rateLimit: voteRateLimit(deps.config.VOTE_RATE_LIMIT) } }, async (request, reply) => {
    const { vote } = VoteBody.parse(request.body ?? {})
    const result = await deps.feedbackService.vote(request.params.paperId, request.params.token, vote)
    return reply.type('text/html; charset=utf-8').send(page(request.params, { title: result.title, vote, recorded: true, learned: result.learned }))
  })
}

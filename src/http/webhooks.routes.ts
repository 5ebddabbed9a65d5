import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { WebhookProvider } from '../mail-events/mail-event.ts'
import type { RouteDeps } from './route-deps.ts'

const PROVIDERS: readonly WebhookProvider[] = ['ses', 'postmark', 'mailgun', 'sendgrid']
/** SendGrid batches up to a few thousand events in one POST. */
const WEBHOOK_BODY = 2 * 1024 * 1024

const Recorded = z.object({
  status: z.literal('ok'),
  recorded: z.object({ suppressed: z.number(), unsubscribed: z.number(), counted: z.number(), duplicate: z.number() }).partial(),
  note: z.string().optional(),
})

/**
 * Bounce and complaint webhooks of Amazon SES (through SNS), Postmark, Mailgun and SendGrid: POST /webhooks/<provider>.
 * The body is kept as sent (signatures are over its bytes), whatever its content type (SNS sends text/plain), and
 * handed to the provider's verifier; see src/mail-events.
 */
export const webhookRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { deps }) => {
  // this plugin's own parsers only
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY }, (_request, body, done) => done(null, body))

  for (const provider of PROVIDERS) {
    app.post(
      `/webhooks/${provider}`,
      { bodyLimit: WEBHOOK_BODY, schema: { summary: `${provider} bounce and complaint webhook`, response: { 200: Recorded } } },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const result = await deps.mailEventService.handle(provider, { headers: request.headers, body })
        return { status: 'ok' as const, ...result }
      },
    )
  }
}

import formbody from '@fastify/formbody'
import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { LoggerOptions } from 'pino'
import { adminPageRoutes } from './http/admin-page.routes.ts'
import { adminRoutes } from './http/admin.routes.ts'
import { confirmRoutes } from './http/confirm.routes.ts'
import { digestRoutes } from './http/digests.routes.ts'
import { registerDocs } from './http/docs.ts'
import { createErrorHandler, createNotFoundHandler } from './http/error-handler.ts'
import { feedbackRoutes } from './http/feedback.routes.ts'
import { healthRoutes } from './http/health.routes.ts'
import { metricsRoutes } from './http/metrics.routes.ts'
import { preferencesRoutes } from './http/preferences.routes.ts'
import { registerQueueDashboard } from './http/queue-dashboard.ts'
import type { RouteDeps } from './http/route-deps.ts'
import { addSecurityHeaders } from './http/security-headers.ts'
import { registerRateLimits } from './http/rate-limits.ts'
import { subscriptionRoutes } from './http/subscriptions.routes.ts'
import { unsubscribeRoutes } from './http/unsubscribe.routes.ts'
import { webhookRoutes } from './http/webhooks.routes.ts'

/** Builds the HTTP app without listening, so tests use `inject` and entry points decide where to listen. */
export async function buildApp(deps: RouteDeps['deps'], options: { logger?: LoggerOptions | false; trustProxy?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 64 * 1024,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    routerOptions: { maxParamLength: 600 },
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(createErrorHandler(deps.pages))
  app.setNotFoundHandler(createNotFoundHandler(deps.pages))

  addSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Only over HTTPS: on a plain-HTTP deployment (a LAN, development) it would send browsers to https:// for CSS.
        upgradeInsecureRequests: deps.config.PUBLIC_URL.startsWith('https:') ? [] : null,
      },
    },
  })
  await app.register(formbody, { bodyLimit: 64 * 1024 })

  // Subscribe rate limit per client IP (POST /subscribe and /api/subscriptions), Redis-backed so it holds across API
  // processes; must come before the routes. See registerRateLimits.
  await registerRateLimits(app, deps)

  await registerDocs(app, deps.config.PUBLIC_URL)

  for (const routes of [subscriptionRoutes, confirmRoutes, preferencesRoutes, unsubscribeRoutes, feedbackRoutes, webhookRoutes, digestRoutes, adminRoutes, adminPageRoutes, metricsRoutes, healthRoutes]) {
    await app.register(routes, { deps })
  }
  await registerQueueDashboard(app, deps.queues, deps.config.ADMIN_TOKEN)
  return app
}

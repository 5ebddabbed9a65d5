import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'

/**
 * OpenAPI of the JSON API at /docs (UI) and /docs/json, generated from the same zod schemas that validate requests.
 * Must be registered before the routes. Pages for people are marked `hide` in their schemas.
 */
export async function registerDocs(app: FastifyInstance, publicUrl: string) {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Paperboy API', description: 'Subscriptions, preferences and operator API of Paperboy.', version: '1.0.0' },
      servers: [{ url: publicUrl }],
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } } },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(async (scope) => {
    // Swagger UI ships inline scripts and styles; only /docs gets a CSP that allows them.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
    })
    await scope.register(swaggerUi, { routePrefix: '/docs' })
  })
}

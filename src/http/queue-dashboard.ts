import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyInstance } from 'fastify'
import type { Queues } from '../queues/queues.ts'
import { requireAdmin } from './admin-auth.ts'

export const QUEUE_DASHBOARD_PATH = '/admin/queues'

/** Bull Board at /admin/queues, behind ADMIN_TOKEN (Bearer, or Basic with the token as password for browsers). */
export async function registerQueueDashboard(app: FastifyInstance, queues: Pick<Queues, 'ingest' | 'plan' | 'send'>, adminToken: string | undefined) {
  await app.register(async (scope) => {
    scope.addHook('onRequest', requireAdmin(adminToken, { basic: true }))
    // Bull Board's UI needs inline scripts and styles; this scope alone gets a CSP that allows them.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
    })
    const serverAdapter = new FastifyAdapter()
    serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH)
    createBullBoard({ queues: [queues.send, queues.plan, queues.ingest].map((q) => new BullMQAdapter(q)), serverAdapter })
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH })
  })
}

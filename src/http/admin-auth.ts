import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'

/** Compares digests, so neither the length nor the content of the token leaks through timing. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** The token from `Authorization: Bearer <t>`, or from HTTP Basic (any user, password = token) so a browser can log in. */
function presentedToken(header: string | undefined): string {
  if (!header) return ''
  if (header.startsWith('Bearer ')) return header.slice(7)
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
    return decoded.slice(decoded.indexOf(':') + 1)
  }
  return ''
}

/**
 * onRequest hook for everything behind ADMIN_TOKEN: 404 when no token is configured (the feature is off), 401 with
 * a challenge otherwise. `basic` makes browsers show a login prompt (queue dashboard).
 */
export function requireAdmin(expected: string | undefined, options: { basic?: boolean } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) throw new AppError('NOT_FOUND', 404, 'This is disabled: set ADMIN_TOKEN to enable the admin API, metrics and the queue dashboard.')
    const token = presentedToken(request.headers.authorization)
    if (!token || !tokenMatches(token, expected)) {
      reply.header('www-authenticate', options.basic ? 'Basic realm="paperboy-admin", charset="UTF-8"' : 'Bearer realm="paperboy-admin"')
      throw new AppError('UNAUTHORIZED', 401, 'A valid admin token is required: send Authorization: Bearer <ADMIN_TOKEN>.')
    }
  }
}

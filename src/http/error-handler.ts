import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { ZodError } from 'zod'
import { AppError } from '../errors.ts'
import type { Pages } from './pages.ts'

interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
  requestId: string
  issues?: { path: string; message: string }[]
}

const REASON: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
}

/** Programs get JSON (Fastify's own error shape plus requestId), people get a page; never a stack trace. */
export const wantsJson = (request: FastifyRequest) =>
  request.url.startsWith('/api/') || !String(request.headers.accept ?? '').includes('text/html')

function describe(error: unknown): Omit<ErrorBody, 'requestId' | 'error'> {
  if (error instanceof AppError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message }
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({
      path: [error.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].filter(Boolean).join('.'),
      message: v.message ?? 'is not valid',
    }))
    return { statusCode: 400, code: 'VALIDATION_FAILED', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues }
  }
  if (error instanceof ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.join('.') || 'body', message: i.message }))
    const message = issues.map((i) => (i.path === 'body' ? i.message : `${i.path}: ${i.message}`)).join('; ')
    return { statusCode: 400, code: 'VALIDATION_FAILED', message, issues }
  }
  const fastifyError = error as FastifyError
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { statusCode: fastifyError.statusCode, code: fastifyError.code ?? 'BAD_REQUEST', message: fastifyError.message }
  }
  if (isUnavailable(error)) {
    return { statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable right now; nothing was changed. Please try again shortly.' }
  }
  return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Something went wrong on our side. It has been logged; please try again.' }
}

/** Connection-level failures of Postgres (through Prisma or pg) mean "try again later", not "bug". */
function isUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '')
    // P2024/P2028: no pool connection or transaction slot in time (overload): "try again", not a bug.
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'P1001', 'P1002', 'P1017', 'P2024', 'P2028', '57P01', '57P03', '53300'].includes(code)) return true
    if (/DatabaseNotReachable|Can't reach database|Connection terminated|connect ECONNREFUSED/i.test(String((e as Error).message ?? ''))) return true
  }
  return false
}

export function createErrorHandler(pages: Pages) {
  return function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
    const described = describe(error)
    const body: ErrorBody = { ...described, error: REASON[described.statusCode] ?? 'Error', requestId: request.id }
    if (body.statusCode >= 500) request.log.error({ err: error, event: 'http.error', method: request.method, url: request.url }, 'request failed')
    else request.log.info({ event: 'http.rejected', code: body.code, statusCode: body.statusCode }, body.message)
    sendError(request, reply, body, pages)
  }
}

export function sendError(request: FastifyRequest, reply: FastifyReply, body: ErrorBody, pages: Pages) {
  reply.status(body.statusCode)
  if (wantsJson(request)) return reply.type('application/json').send(body)
  const title = body.statusCode === 404 ? 'Not found' : body.statusCode >= 500 ? 'Something went wrong' : 'That did not work'
  return reply.type('text/html; charset=utf-8').send(pages.render('error', { title, ...body }))
}

export function createNotFoundHandler(pages: Pages) {
  return (request: FastifyRequest, reply: FastifyReply) =>
    sendError(request, reply, {
      statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', requestId: request.id,
      message: `There is nothing at ${request.method} ${request.url.split('?')[0]}.`,
    }, pages)
}

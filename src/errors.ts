import type { LinkPurpose } from './links/tokens.ts'
import { VOTE_TTL_DAYS } from './links/urls.ts'

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNKNOWN_TOPIC'
  | 'LINK_INVALID'
  | 'LINK_EXPIRED'
  | 'SUBSCRIBER_NOT_FOUND'
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'REPLAYED'

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: unknown

  constructor(code: ErrorCode, statusCode: number, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
    this.statusCode = statusCode
    this.details = options?.details
  }
}

export const linkInvalid = () =>
  new AppError('LINK_INVALID', 400, 'This link is not valid. Please use the link from your most recent email.')
export const linkExpired = (purpose: LinkPurpose = 'confirm') =>
  new AppError(
    'LINK_EXPIRED',
    410,
    purpose === 'vote'
      ? `This vote link has expired: links to vote on a paper last ${VOTE_TTL_DAYS} days. Your more recent digests have fresh ones.`
      : 'This confirmation link has expired. Please subscribe again to get a new one.',
  )
export const subscriberGone = () =>
  new AppError('SUBSCRIBER_NOT_FOUND', 404, 'This subscription no longer exists. You can subscribe again at any time.')
export const validationFailed = (message: string, details?: unknown) =>
  new AppError('VALIDATION_FAILED', 400, message, { details })
export const serviceUnavailable = (what: string, cause?: unknown) =>
  new AppError('SERVICE_UNAVAILABLE', 503, `${what} is unavailable right now; nothing was changed. Please try again shortly.`, {
    cause,
  })

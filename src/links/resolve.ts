import { linkExpired, linkInvalid, subscriberGone } from '../errors.ts'
import { verifyLink, type LinkPurpose } from './tokens.ts'

/**
 * The subscriber a signed link belongs to, or the AppError a person should see: invalid (400), expired (410), or
 * gone (404, erased — every link dies with its row).
 */
export async function subscriberFromLink<S>(
  link: { secret: string; token: string; purpose: LinkPurpose; now: Date; subject?: string },
  findById: (id: string) => Promise<S | null>,
): Promise<S> {
  const result = verifyLink(link.secret, link.token, link.purpose, link.now, link.subject)
  if (!result.ok) throw result.reason === 'expired' ? linkExpired(link.purpose) : linkInvalid()
  const subscriber = await findById(result.subscriberId)
  if (!subscriber) throw subscriberGone()
  return subscriber
}

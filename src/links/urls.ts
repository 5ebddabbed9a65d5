import { CONFIRM_TTL_MS, signLink } from './tokens.ts'

/** How long a digest's "more / less like this" links work, from the digest's date. */
export const VOTE_TTL_DAYS = 60

/** Builds every absolute link that goes into an email or a page. Pure apart from the clock passed in. */
export function createLinks(publicUrl: string, secret: string) {
  return {
    confirm: (subscriberId: string, now: Date) =>
      `${publicUrl}/confirm/${signLink(secret, 'confirm', subscriberId, new Date(now.getTime() + CONFIRM_TTL_MS))}`,
    manage: (subscriberId: string) => `${publicUrl}/preferences/${signLink(secret, 'manage', subscriberId)}`,
    unsubscribe: (subscriberId: string) => `${publicUrl}/unsubscribe/${signLink(secret, 'unsubscribe', subscriberId)}`,
    /** "View in browser": a read-only capability, so a forwarded digest does not hand over the preferences. */
    view: (subscriberId: string, editionDate: string) => `${publicUrl}/digests/${signLink(secret, 'view', subscriberId)}/${editionDate}`,
    /** The private Atom and RSS feeds: the same read-only capability as "view in browser". */
    feed: (subscriberId: string) => {
      const base = `${publicUrl}/feeds/${signLink(secret, 'view', subscriberId)}`
      return { atom: `${base}/atom.xml`, rss: `${base}/rss.xml` }
    },
    /**
     * "More / less like this" on one paper of one digest (the page it opens asks which): signed for the subscriber and
     * the paper, working until the end (UTC) of the VOTE_TTL_DAYS-th day after the digest's date; from the date, not
     * the clock, so the same digest always carries the same links.
     */
    vote: (subscriberId: string, paperId: string, editionDate: string) => {
      const expires = new Date(Date.parse(`${editionDate}T00:00:00Z`) + (VOTE_TTL_DAYS + 1) * 86_400_000)
      return `${publicUrl}/feedback/${encodeURIComponent(paperId)}/${signLink(secret, 'vote', subscriberId, expires, paperId)}`
    },
    home: () => `${publicUrl}/`,
  }
}
export type Links = ReturnType<typeof createLinks>

import { CONFIRM_TTL_MS, signLink } from './tokens.ts'

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
    home: () => `${publicUrl}/`,
  }
}
export type Links = ReturnType<typeof createLinks>

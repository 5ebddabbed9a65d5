/** The data contract of every email template; renaming a field here breaks the type check, not production. */
interface Common {
  email: string
  homeUrl: string
  senderName: string
  footerReason: string
  manageUrl?: string
  unsubscribeUrl?: string
}

/** One paper as the digest shows it; every string comes from the source and is escaped by the template. */
export interface DigestPaper {
  number: number
  /** The paper's id (not shown: what its vote link is signed for). */
  paperId: string
  title: string
  url: string
  authors: string
  organization: string | null
  upvotes: number
  githubUrl: string | null
  githubStars: number | null
  /** arXiv's primary category, once the lookup has answered. */
  category: string | null
  summary: string
  matched: string
  /** The recipient's "more / less like this" page for this paper ('' for none); the template adds `?vote=more|less`. */
  feedbackUrl: string
}

/** A paper as every recipient of it shows it: all but their own vote link. */
export type SharedPaper = Omit<DigestPaper, 'feedbackUrl'>

export interface DigestData extends Common {
  manageUrl: string
  unsubscribeUrl: string
  viewUrl: string
  dateLabel: string
  heading: string
  intro: string
  papers: DigestPaper[]
}

/** What every recipient of the same papers (same edition and frequency) shares in a digest. */
export type DigestContent = Pick<DigestData, 'dateLabel' | 'heading' | 'intro'> & { papers: SharedPaper[] }

export type RenderRequest =
  | { template: 'confirm'; data: Common & { confirmUrl: string } }
  | { template: 'already-subscribed'; data: Common & { manageUrl: string; unsubscribeUrl: string } }
  | { template: 'digest'; data: DigestData }

export type TemplateName = RenderRequest['template']
export const TEMPLATE_NAMES: readonly TemplateName[] = ['confirm', 'already-subscribed', 'digest']

export const SUBJECTS: { [K in TemplateName]: (data: Extract<RenderRequest, { template: K }>['data']) => string } = {
  confirm: () => 'Confirm your Paperboy subscription',
  'already-subscribed': () => 'You are already subscribed to Paperboy',
  digest: (data) => (data.papers.length > 0 ? `${data.papers[0]!.title} and more: AI papers, ${data.dateLabel}` : `No matching AI papers, ${data.dateLabel}`),
}

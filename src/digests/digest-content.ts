import type { DigestContent, SharedPaper } from '../email/rendering/templates.ts'
import { dateLabel, type Frequency } from './schedule.ts'

export type DigestOrder = 'upvotes' | 'taste' | 'as-sent'
const ORDER_SAID: Record<DigestOrder, string> = {
  upvotes: ', most upvoted first',
  taste: ', the ones most like what you asked for first',
  // shown again later (in the browser): how it was ordered when sent is not kept
  'as-sent': '',
}

/** What the digest needs of a stored paper. */
export interface PaperForDigest {
  id: string
  title: string
  summary: string
  aiSummary: string | null
  authors: string[]
  organization: string | null
  upvotes: number
  githubRepo: string | null
  githubStars: number | null
  /** arXiv's primary category (cs.CL, …); null until the arXiv lookup has answered. */
  primaryCategory: string | null
}

const SUMMARY_CHARS = 320
const AUTHORS_SHOWN = 4

/** Only http(s) links reach an href: a feed value like `javascript:…` must never become a live link. */
export const safeHttpUrl = (value: string | null): string | null => (value && /^https?:\/\/[^\s"<>]+$/i.test(value) ? value : null)

export function shortSummary(paper: Pick<PaperForDigest, 'summary' | 'aiSummary'>): string {
  const text = (paper.aiSummary ?? paper.summary).replace(/\s+/g, ' ').trim()
  if (text.length <= SUMMARY_CHARS) return text
  const cut = text.slice(0, SUMMARY_CHARS)
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), SUMMARY_CHARS - 40)).replace(/[\s,.;:]+$/, '')}…`
}

/** A paper's page on the papers source (Hugging Face), where every title links. */
export const paperPageUrl = (paperPageBase: string, paperId: string): string => `${paperPageBase}/papers/${encodeURIComponent(paperId)}`

export function authorLine(authors: string[]): string {
  if (authors.length <= AUTHORS_SHOWN) return authors.join(', ')
  return `${authors.slice(0, AUTHORS_SHOWN).join(', ')} et al.`
}

type Shown = Omit<SharedPaper, 'number' | 'matched'>
const shownOnce = new WeakMap<PaperForDigest, { base: string; shown: Shown }>()

/**
 * How a paper shows in any digest. A send batch reads each paper once and puts it in many digests, so this is worked
 * out once per paper object, which is never changed once read (the summary's whitespace pass and cut cost more than
 * the rest of a digest's data).
 */
function shown(p: PaperForDigest, paperPageBase: string): Shown {
  const known = shownOnce.get(p)
  if (known && known.base === paperPageBase) return known.shown
  const fields: Shown = {
    paperId: p.id,
    title: p.title,
    url: paperPageUrl(paperPageBase, p.id),
    authors: authorLine(p.authors),
    organization: p.organization,
    upvotes: p.upvotes,
    githubUrl: safeHttpUrl(p.githubRepo),
    githubStars: p.githubStars,
    category: p.primaryCategory,
    summary: shortSummary(p),
  }
  shownOnce.set(p, { base: paperPageBase, shown: fields })
  return fields
}

/**
 * Pure. Turns ranked papers into the part of the digest template's data every recipient of them shares (the
 * recipient's own fields are added by the caller). `papers` is already in send order; `matched` holds the reasons
 * (topic names, keyword filters) per paper id.
 */
export function buildDigestContent(input: {
  papers: PaperForDigest[]
  /** How the papers were ordered: by upvotes, by the reader's taste (they voted), or as stored (a digest shown again). */
  order: DigestOrder
  matched: Map<string, string[]>
  editionDate: string
  frequency: Frequency
  paperPageBase: string
}): DigestContent {
  const papers: SharedPaper[] = input.papers.map((p, i) => ({
    number: i + 1,
    ...shown(p, input.paperPageBase),
    matched: (input.matched.get(p.id) ?? []).join(', '),
  }))
  const period = input.frequency === 'weekly' ? 'this week' : 'today'
  const count = papers.length === 1 ? '1 paper' : `${papers.length} papers`
  return {
    papers,
    dateLabel: dateLabel(input.editionDate),
    heading: input.frequency === 'weekly' ? 'Your weekly AI papers' : 'Your AI papers for today',
    intro:
      papers.length > 0
        ? `${count} trending ${period} that match your topics${ORDER_SAID[input.order]}.`
        : `No trending paper matched your topics ${period}. You can widen your topics or lower the minimum upvotes in your preferences.`,
  }
}

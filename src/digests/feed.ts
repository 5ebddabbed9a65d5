import { Feed } from 'feed'
import { authorLine, paperPageUrl, shortSummary, type PaperForDigest } from './digest-content.ts'

export interface FeedEntry {
  paper: PaperForDigest
  matched: string
  sentAt: Date
}

/**
 * Pure. A subscriber's private feed: the papers of their recent digests, newest digest first, as Atom or RSS. The
 * feed library escapes every string (titles and abstracts come from the papers source).
 */
export function buildFeed(input: { entries: FeedEntry[]; selfUrl: { atom: string; rss: string }; homeUrl: string; paperPageBase: string; format: 'atom' | 'rss' }): string {
  const feed = new Feed({
    id: input.selfUrl.atom,
    title: 'Paperboy: your AI papers',
    description: 'The trending AI papers picked for you by Paperboy, as in your email digests.',
    link: input.homeUrl,
    updated: input.entries[0]?.sentAt ?? new Date(0),
    copyright: 'Paper texts belong to their authors',
    generator: 'Paperboy',
    feedLinks: { atom: input.selfUrl.atom, rss: input.selfUrl.rss },
  })
  for (const { paper, matched, sentAt } of input.entries) {
    const link = paperPageUrl(input.paperPageBase, paper.id)
    feed.addItem({
      title: paper.title,
      id: link,
      link,
      date: sentAt,
      description: `${shortSummary(paper)}${matched ? ` (matched: ${matched})` : ''}`,
      author: [{ name: authorLine(paper.authors) || 'Unknown authors' }],
    })
  }
  return input.format === 'atom' ? feed.atom1() : feed.rss2()
}

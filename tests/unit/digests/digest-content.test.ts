import { describe, expect, it } from 'vitest'
import { authorLine, buildDigestContent, safeHttpUrl, shortSummary, type PaperForDigest } from '../../../src/digests/digest-content.ts'

const aPaper = (over: Partial<PaperForDigest> = {}): PaperForDigest => ({
  id: '2606.13681', title: 'EvoArena', summary: 'An abstract.', aiSummary: null, authors: ['Ada', 'Grace'],
  organization: null, upvotes: 5, githubRepo: null, githubStars: null, primaryCategory: null, ...over,
})

describe('digest content', () => {
  it('prefers the AI summary and cuts long text at a word boundary', () => {
    expect(shortSummary({ summary: 'long abstract', aiSummary: 'Short AI summary.' })).toBe('Short AI summary.')
    const long = `${'word '.repeat(100)}end`
    const cut = shortSummary({ summary: long, aiSummary: null })
    expect(cut.length).toBeLessThanOrEqual(321)
    expect(cut).toMatch(/word…$/)
  })

  it('shortens long author lists', () => {
    expect(authorLine(['A', 'B'])).toBe('A, B')
    expect(authorLine(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C, D et al.')
  })

  it('never turns a non-http link from the feed into a link', () => {
    expect(safeHttpUrl('https://github.com/a/b')).toBe('https://github.com/a/b')
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'https://x" onclick="y', '//github.com/a', null]) expect(safeHttpUrl(bad)).toBeNull()
  })

  it('numbers papers in order, links them to their page and explains each match', () => {
    const data = buildDigestContent({
      papers: [aPaper({ upvotes: 9 }), aPaper({ id: '2606.1', title: 'Second', githubRepo: 'javascript:x' })],
      order: 'upvotes',
      matched: new Map([['2606.13681', ['Agents', '"world model"']]]),
      editionDate: '2026-06-12', frequency: 'daily', paperPageBase: 'https://huggingface.co',
    })
    expect(data.papers.map((p) => [p.number, p.title, p.url, p.matched, p.githubUrl])).toEqual([
      [1, 'EvoArena', 'https://huggingface.co/papers/2606.13681', 'Agents, "world model"', null],
      [2, 'Second', 'https://huggingface.co/papers/2606.1', '', null],
    ])
    expect(data.intro).toBe('2 papers trending today that match your topics, most upvoted first.')
    expect(data.dateLabel).toBe('Friday, 12 June 2026')
  })

  it('says how the papers are ordered: by upvotes, by the reader’s votes, or not at all when shown again', () => {
    const intro = (order: 'upvotes' | 'taste' | 'as-sent') =>
      buildDigestContent({ papers: [aPaper(), aPaper({ id: '2606.1' })], order, matched: new Map(), editionDate: '2026-06-12', frequency: 'daily', paperPageBase: 'https://huggingface.co' }).intro
    expect(intro('taste')).toBe('2 papers trending today that match your topics, the ones most like what you asked for first.')
    expect(intro('as-sent')).toBe('2 papers trending today that match your topics.')
  })

  it('says so when nothing matched', () => {
    const data = buildDigestContent({ papers: [], order: 'upvotes', matched: new Map(), editionDate: '2026-06-12', frequency: 'weekly', paperPageBase: 'x' })
    expect(data.heading).toBe('Your weekly AI papers')
    expect(data.intro).toMatch(/^No trending paper matched your topics this week/)
  })
})

import { describe, expect, it } from 'vitest'
import { rankPapers, type Hit, type RankContext } from '../../../src/digests/rank.ts'

const catalogue = [
  { slug: 'agents', name: 'Agents' },
  { slug: 'rl', name: 'Reinforcement learning' },
]
const hits = (...pairs: [string, number][]): Hit[] => pairs.map(([paperId, rank]) => ({ paperId, rank }))

function context(over: Partial<RankContext> = {}): RankContext {
  return {
    catalogue,
    topicHits: new Map([
      ['agents', hits(['p1', 0.5], ['p2', 0.1])],
      ['rl', hits(['p2', 0.2], ['p3', 0.3])],
    ]),
    categoryHits: new Map([['cs.RO', hits(['p6', 1])]]),
    keywordHits: new Map([
      ['planning', hits(['p1', 0.25], ['p4', 0.1])],
      ['Agents', hits(['p5', 0.9])],
    ]),
    upvotes: new Map([['p1', 10], ['p2', 10], ['p3', 30], ['p4', 1], ['p5', 50], ['p6', 99]]),
    sent: new Set(),
    ...over,
  }
}
const prefs = (over: Partial<Parameters<typeof rankPapers>[0]> = {}) => ({ topics: [], keywords: [], categories: [], minUpvotes: 0, limit: 50, ...over })
const ids = (list: { paperId: string }[]) => list.map((p) => p.paperId)

describe('rankPapers', () => {
  it('orders by upvotes, then summed relevance, then id, and says why each matched (topics in catalogue order, then keywords)', () => {
    const got = rankPapers(prefs({ topics: ['rl', 'agents'], keywords: ['planning'] }), context())
    expect(ids(got)).toEqual(['p3', 'p1', 'p2', 'p4'])
    expect(got[1]).toEqual({ paperId: 'p1', upvotes: 10, relevance: Math.fround(0.5 + 0.25), matched: ['Agents', 'planning'] })
    expect(got[2]!.matched).toEqual(['Agents', 'Reinforcement learning'])
    // sums like PostgreSQL's sum(real): in single precision
    expect(got[2]!.relevance).toBe(Math.fround(Math.fround(0.1) + 0.2))
  })

  it('breaks equal upvotes and relevance by id', () => {
    const got = rankPapers(prefs({ keywords: ['tie'] }), context({ keywordHits: new Map([['tie', hits(['b', 0.5], ['a', 0.5])]]), upvotes: new Map([['a', 1], ['b', 1]]) }))
    expect(ids(got)).toEqual(['a', 'b'])
  })

  it('counts a slug or keyword listed twice once, and a keyword spelled like one of the topic names only as the topic', () => {
    const got = rankPapers(prefs({ topics: ['agents', 'agents'], keywords: ['Agents', 'planning', 'planning'] }), context())
    expect(got.find((p) => p.paperId === 'p1')!.matched).toEqual(['Agents', 'planning'])
    expect(ids(got)).not.toContain('p5')
    // without the topic, the same keyword is a reason of its own
    expect(ids(rankPapers(prefs({ keywords: ['Agents'] }), context()))).toEqual(['p5'])
  })

  it('applies minimum upvotes, history and limit; ignores unknown topics and hits outside the window', () => {
    expect(ids(rankPapers(prefs({ topics: ['rl', 'agents'], minUpvotes: 11 }), context()))).toEqual(['p3'])
    expect(ids(rankPapers(prefs({ topics: ['rl', 'agents'] }), context({ sent: new Set(['p3', 'p1']) })))).toEqual(['p2'])
    expect(ids(rankPapers(prefs({ topics: ['rl', 'agents'], limit: 2 }), context()))).toEqual(['p3', 'p1'])
    expect(rankPapers(prefs({ topics: ['unknown'] }), context())).toEqual([])
    expect(ids(rankPapers(prefs({ topics: ['agents'] }), context({ upvotes: new Map([['p2', 3]]) })))).toEqual(['p2'])
  })

  it('gives the whole window, by upvotes, to a subscriber with neither topics nor keywords', () => {
    const got = rankPapers(prefs({ minUpvotes: 10 }), context({ sent: new Set(['p5']) }))
    expect(ids(got)).toEqual(['p6', 'p3', 'p1', 'p2'])
    expect(got.every((p) => p.relevance === 0 && p.matched.length === 0)).toBe(true)
  })
})

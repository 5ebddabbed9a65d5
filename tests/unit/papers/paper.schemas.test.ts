import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DailyPapersFormatError, dedupeById, parseDailyPapers, type PaperInput } from '../../../src/papers/paper.schemas.ts'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/hf-daily-papers')
const JUNE_12 = '2026-06-12_limit100_sotawhat.json'
const JULY_31 = '2026-07-31_limit30_personal-news-feed.json'
const JULY_13 = '2026-07-13_limit25_ai-weekly-radar.json'

/** A fresh, mutable copy of a real recorded response. */
const load = (name: string): Record<string, any>[] => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'))

const byId = (papers: PaperInput[], id: string) => {
  const found = papers.find((p) => p.id === id)
  if (!found) throw new Error(`paper ${id} not parsed`)
  return found
}

const countByDay = (papers: PaperInput[]) =>
  papers.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.day]: (acc[p.day] ?? 0) + 1 }), {})

describe('parseDailyPapers on real Hugging Face responses', () => {
  it('reads the 2026-06-12 response as 30 papers of that day, all with AI summaries and keywords', () => {
    const { papers, skipped } = parseDailyPapers(load(JUNE_12))
    expect(skipped).toEqual([])
    expect(papers).toHaveLength(30)
    expect(countByDay(papers)).toEqual({ '2026-06-12': 30 })
    for (const p of papers) {
      expect(p.aiSummary).toEqual(expect.any(String))
      expect(p.aiKeywords.length).toBeGreaterThan(0)
    }
  })

  it('reads the 2026-07-31 response, where no paper has an AI summary, without skipping any', () => {
    const { papers, skipped } = parseDailyPapers(load(JULY_31))
    expect(skipped).toEqual([])
    expect(papers).toHaveLength(30)
    expect(countByDay(papers)).toEqual({ '2026-07-31': 30 })
    expect(papers.every((p) => p.aiSummary === null && p.aiKeywords.length === 0)).toBe(true)
  })

  it('assigns each paper of the 2026-07-13 response to its submittedOnDailyAt day, not the top-level publishedAt', () => {
    const items = load(JULY_13)
    const { papers, skipped } = parseDailyPapers(items)
    expect(skipped).toEqual([])
    expect(countByDay(papers)).toEqual({ '2026-07-13': 14, '2026-07-10': 11 })
    expect(papers.filter((p) => p.aiSummary !== null)).toHaveLength(10)

    // The top-level publishedAt is the arXiv date minus 4 hours: it would put the paper on the previous day.
    const first = items[0]!
    expect(first.publishedAt).toBe('2026-07-07T20:00:00.000Z')
    const parsed = byId(papers, first.paper.id)
    expect(parsed.day).toBe('2026-07-13')
    expect(parsed.publishedAt).toEqual(new Date('2026-07-08T00:00:00.000Z'))
  })

  it('stores the organisation display name, falling back to its handle', () => {
    const items = load(JUNE_12)
    const caltech = items.find((i) => i.paper.id === '2606.00467')!
    expect(caltech.paper.organization).toMatchObject({ name: 'caltech', fullname: 'California institute of technology' })

    const noFullname = items.find((i) => i.paper.id === '2606.12575')!
    delete noFullname.paper.organization.fullname
    delete noFullname.organization

    const { papers } = parseDailyPapers(items)
    expect(byId(papers, '2606.00467').organization).toBe('California institute of technology')
    expect(byId(papers, '2606.12575').organization).toBe('Tongyi-MAI')
  })

  it('falls back to the item-level organization when the paper has none', () => {
    const items = load(JUNE_12)
    const item = items.find((i) => i.paper.id === '2606.00467')!
    delete item.paper.organization
    item.organization = { _id: 'x', name: 'some-lab', fullname: 'Some Lab', avatar: '' }
    expect(byId(parseDailyPapers(items).papers, '2606.00467').organization).toBe('Some Lab')
  })

  it('maps a paper with no repository, project page, organisation or AI fields to nulls and empty lists', () => {
    const { papers } = parseDailyPapers(load(JULY_31))
    expect(byId(papers, '2607.28308')).toMatchObject({
      githubRepo: null,
      githubStars: null,
      projectPage: null,
      organization: null,
      aiSummary: null,
      aiKeywords: [],
      thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2607.28308.png',
    })
  })

  it('leaves hidden authors out and keeps the others in paper order', () => {
    const { papers } = parseDailyPapers(load(JUNE_12))
    const paper = byId(papers, '2606.12575')
    expect(paper.authors).toEqual([
      'Dongyang Liu', 'Ruoyi Du', 'David Liu', 'Liangchen Li', 'Qilong Wu', 'Zhen Li', 'Steven C. H. Hoi', 'Hongsheng Li', 'Peng Gao',
    ])
    expect(paper.authors).not.toContain('Dengyang Jiang')
  })

  it('joins arXiv hard line-wraps in abstracts and titles into single spaces and trims titles', () => {
    const items = load(JULY_31)
    expect(items.find((i) => i.paper.id === '2607.28227')!.paper.summary).toContain('computer.\n  Acr')
    const titled = items.find((i) => i.paper.id === '2607.28308')!
    titled.paper.title = '  Scaling Laws for\n  Contrastive Loss \n'

    const { papers } = parseDailyPapers(items)
    expect(byId(papers, '2607.28227').summary).toContain('computer. Acr')
    expect(papers.every((p) => !p.summary.includes('\n') && !p.title.includes('\n'))).toBe(true)
    expect(byId(papers, '2607.28308').title).toBe('Scaling Laws for Contrastive Loss')
  })

  it('copies counts and links from the item', () => {
    const items = load(JUNE_12)
    const withRepo = items.find((i) => typeof i.paper.githubStars === 'number' && i.paper.projectPage)!
    const parsed = byId(parseDailyPapers(items).papers, withRepo.paper.id)
    expect(parsed).toMatchObject({
      upvotes: withRepo.paper.upvotes,
      numComments: withRepo.numComments,
      githubRepo: withRepo.paper.githubRepo,
      githubStars: withRepo.paper.githubStars,
      projectPage: withRepo.paper.projectPage,
    })
  })
})

describe('parseDailyPapers on damaged or unexpected input', () => {
  it('skips and counts malformed items, with their position and a reason, and keeps the rest of the day', () => {
    const items: unknown[] = load(JUNE_12)
    ;(items[3] as any).paper.upvotes = 'many'
    delete (items[7] as any).paper.id
    delete (items[8] as any).paper.submittedOnDailyAt
    items[10] = 'not an item'
    items[11] = null
    ;(items[12] as any).paper.title = ' \n  '

    const { papers, skipped } = parseDailyPapers(items)
    expect(papers).toHaveLength(24)
    expect(skipped.map((s) => s.index)).toEqual([3, 7, 8, 10, 11, 12])
    expect(skipped[0]!.reason).toContain('paper.upvotes')
    expect(skipped[1]!.reason).toContain('paper.id')
    expect(skipped[2]!.reason).toContain('paper.submittedOnDailyAt')
    expect(skipped[5]!.reason).toContain('paper.title')
  })

  it('numbers skipped items from the given offset, so positions stay meaningful across pages', () => {
    const items = load(JUNE_12).slice(0, 3)
    delete items[1]!.paper.summary
    expect(parseDailyPapers(items, 100).skipped).toEqual([{ index: 101, reason: expect.stringContaining('paper.summary') }])
  })

  it('rejects an item whose submittedOnDailyAt is not a timestamp', () => {
    const items = load(JUNE_12).slice(0, 2)
    items[0]!.paper.submittedOnDailyAt = 'yesterday'
    const { papers, skipped } = parseDailyPapers(items)
    expect(papers.map((p) => p.id)).toEqual([items[1]!.paper.id])
    expect(skipped).toHaveLength(1)
  })

  it('ignores unknown fields and treats malformed optional fields as not reported', () => {
    const items = load(JUNE_12).slice(0, 1)
    const item = items[0]!
    item.brandNewField = { nested: true }
    item.paper.someFutureFlag = 42
    item.paper.githubStars = 'lots'
    item.paper.ai_keywords = 'not a list'
    item.paper.organization = null
    delete item.organization
    item.paper.authors.push({ _id: 'x', hidden: false }, 'garbage')

    const { papers, skipped } = parseDailyPapers(items)
    expect(skipped).toEqual([])
    expect(papers).toHaveLength(1)
    const paper = papers[0]!
    expect(paper).toMatchObject({ id: item.paper.id, githubStars: null, aiKeywords: [], organization: null })
    expect(paper.authors).toHaveLength(item.paper.authors.length - 2)
    expect(Object.keys(paper)).not.toContain('brandNewField')
    expect(Object.keys(paper)).not.toContain('someFutureFlag')
  })

  it('accepts the 2024 shape of an item that has only the required paper fields', () => {
    const { papers, skipped } = parseDailyPapers([
      {
        paper: {
          id: '2410.17243',
          title: 'Breaking the Memory Barrier: Near Infinite Batch Size Scaling for\n  Contrastive Loss',
          summary: 'Contrastive loss is a powerful approach.\n  It scales.',
          submittedOnDailyAt: '2024-10-25T00:57:09.392Z',
          upvotes: 3,
        },
      },
    ])
    expect(skipped).toEqual([])
    expect(papers).toEqual([
      {
        id: '2410.17243',
        title: 'Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss',
        summary: 'Contrastive loss is a powerful approach. It scales.',
        authors: [],
        aiSummary: null,
        aiKeywords: [],
        upvotes: 3,
        numComments: 0,
        githubRepo: null,
        githubStars: null,
        projectPage: null,
        organization: null,
        thumbnail: null,
        day: '2024-10-25',
        publishedAt: null,
      },
    ])
  })

  it('takes the UTC date of a submittedOnDailyAt with an offset', () => {
    const [item] = load(JUNE_12)
    item!.paper.submittedOnDailyAt = '2026-06-13T01:30:00+02:00'
    expect(parseDailyPapers([item]).papers[0]!.day).toBe('2026-06-12')
  })

  it('throws a format error for a body that is not an array', () => {
    expect(() => parseDailyPapers({ error: 'Invalid date' })).toThrow(DailyPapersFormatError)
    expect(() => parseDailyPapers(null)).toThrow(/expected a JSON array/)
  })

  it('returns nothing, without error, for an empty day', () => {
    expect(parseDailyPapers([])).toEqual({ papers: [], skipped: [] })
  })
})

describe('dedupeById', () => {
  it('keeps one row per id, the last one seen, in first-seen order', () => {
    const [a, b] = parseDailyPapers(load(JUNE_12).slice(0, 2)).papers
    const fresherA = { ...a!, upvotes: a!.upvotes + 10 }
    expect(dedupeById([a!, b!, fresherA])).toEqual([fresherA, b])
  })
})

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import { z } from 'zod'
import { parseArxivFeed } from '../../src/arxiv/arxiv-feed.ts'
import { parseDailyPapersFile } from '../../src/papers/hf-source.ts'
import type { PaperText } from '../../src/topics/text.ts'

/**
 * The labelled papers' text, read from the recorded fixtures with the production parsers wherever production reads that
 * format (the Hugging Face listing, the arXiv export API). Hugging Face papers carry AI keywords and no categories
 * (as in production before the arXiv lookup answers); arXiv papers carry categories and no keywords.
 */
export interface EvalPaper extends PaperText {
  id: string
  /** The fixture it was read from, relative to tests/fixtures. */
  source: string
  /** Hugging Face upvotes when the listing was recorded; 0 for papers read from arXiv or the seed listing. */
  upvotes: number
}

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures')

const SeedListing = z.array(z.object({ title: z.string(), abstract: z.string(), upvotes: z.number().int().nonnegative() }))
const ArxivRecording = z.object({ status_code: z.number(), body: z.string() })

// The category feeds (rss.arxiv.org) are not what production reads: a small reader of their own, for the eval only.
const feedXml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, parseTagValue: false, isArray: (n) => n === 'item' || n === 'entry' || n === 'category' })
const unwrap = (s: unknown) => String(s ?? '').replace(/\s+/g, ' ').trim()
// "arXiv:2604.22002v1 Announce Type: new Abstract: …"
const announced = (s: unknown) => unwrap(s).replace(/^arXiv:\S+ Announce Type: \S+ Abstract: /, '')

function categoryFeed(file: string, xml: string): EvalPaper[] {
  // The Atom recording was cut mid-entry by its origin: keep its complete entries.
  const whole = xml.includes('</feed>') || xml.includes('</rss>') ? xml : `${xml.slice(0, xml.lastIndexOf('</entry>') + '</entry>'.length)}</feed>`
  const doc = feedXml.parse(whole)
  const items: Record<string, unknown>[] = doc.rss?.channel?.item ?? doc.feed?.entry ?? []
  return items.map((item) => {
    const link = typeof item.link === 'string' ? item.link : String((item.link as { href?: string })?.href ?? '')
    const categories = ((item.category ?? []) as unknown[]).map((c) => (typeof c === 'string' ? c : String((c as { term: string }).term)))
    return {
      id: link.replace(/^.*\/abs\//, '').replace(/v\d+$/, ''),
      source: file,
      upvotes: 0,
      title: unwrap(item.title),
      abstract: announced(item.description ?? item.summary),
      keywords: [],
      categories,
      // These feeds do not say which category is primary.
      primaryCategory: null,
    }
  })
}

export async function loadEvalPapers(): Promise<Map<string, EvalPaper>> {
  const papers = new Map<string, EvalPaper>()
  const add = (paper: EvalPaper) => {
    if (!papers.has(paper.id)) papers.set(paper.id, paper)
  }

  for (const file of readdirSync(path.join(FIXTURES, 'hf-daily-papers')).sort()) {
    const source = `hf-daily-papers/${file}`
    for (const p of (await parseDailyPapersFile(path.join(FIXTURES, source))).papers) {
      add({ id: p.id, source, upvotes: p.upvotes, title: p.title, abstract: p.summary, keywords: p.aiKeywords, categories: [], primaryCategory: null })
    }
  }

  SeedListing.parse(JSON.parse(readFileSync(path.join(FIXTURES, 'seed-listing.json'), 'utf8'))).forEach((s, i) =>
    add({ id: `seed-${String(i).padStart(2, '0')}`, source: 'seed-listing.json', upvotes: s.upvotes, title: unwrap(s.title), abstract: unwrap(s.abstract), keywords: [], categories: [], primaryCategory: null }),
  )

  for (const file of readdirSync(path.join(FIXTURES, 'arxiv')).sort()) {
    const source = `arxiv/${file}`
    const text = readFileSync(path.join(FIXTURES, source), 'utf8')
    if (file.startsWith('api')) {
      const recording = file.endsWith('.json') ? ArxivRecording.parse(JSON.parse(text)) : { status_code: 200, body: text }
      if (recording.status_code !== 200) continue
      const xml = recording.body
      for (const e of parseArxivFeed(xml).entries) {
        add({ id: e.id, source, upvotes: 0, title: e.title, abstract: e.summary, keywords: [], categories: e.categories, primaryCategory: e.primaryCategory })
      }
    } else {
      for (const paper of categoryFeed(source, text)) add(paper)
    }
  }
  return papers
}

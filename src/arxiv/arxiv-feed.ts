import { XMLParser } from 'fast-xml-parser'
import { z } from 'zod'
import { CATEGORY_ALIASES } from './categories.ts'

/**
 * The arXiv export API's Atom feed (`/api/query`), read leniently: the current layout and the 2016 one (inline
 * namespaces, hard-wrapped text, other element order) both parse; unknown elements are ignored; an entry without an id
 * or a title is skipped and counted, not the whole feed. See tests/fixtures/arxiv and shared/fixtures/README.md §5.
 */

export interface ArxivEntry {
  /** Without the version: `2607.22535`, `cond-mat/0102536`. */
  id: string
  version: number | null
  title: string
  summary: string
  /** Every category, primary first, each once: `cs.RO`, `cs.CV`. */
  categories: string[]
  primaryCategory: string | null
  /** The authors' comment, e.g. "Accepted at ICML 2026; code at …". */
  comment: string | null
  journalRef: string | null
  doi: string | null
}

export interface ArxivFeed {
  /** opensearch:totalResults, when the feed says it. */
  totalResults: number | null
  entries: ArxivEntry[]
  /** Entries left out, with why. */
  skipped: { index: number; reason: string }[]
}

/** The body is not an arXiv feed at all (an HTML error page, truncated XML…). */
export class ArxivFeedError extends Error {
  override name = 'ArxivFeedError'
}

/** The API answered with its error feed: one entry titled "Error" whose id is https://arxiv.org/api/errors#… */
export class ArxivApiError extends Error {
  override name = 'ArxivApiError'
  /** The fragment of the error id, e.g. `incorrect_id_format_for_abc`. */
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // `arxiv:comment` and the 2016 layout's inline-declared namespaces read the same way.
  removeNSPrefix: true,
  // Ids and titles such as "1.5" must stay text.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'entry' || name === 'category' || name === 'author' || name === 'link',
})

const clean = (value: string) => value.replaceAll('\u0000', '').replace(/\s+/g, ' ').trim()
// An element with attributes (`<title type="text">`) parses as { '#text': …, type: … }: its text is what counts.
const Text = z
  .preprocess((v) => (v && typeof v === 'object' && '#text' in v ? (v as { '#text': unknown })['#text'] : v), z.union([z.string(), z.number()]))
  .transform((v) => clean(String(v)))
const optionalText = Text.nullish().catch(null).transform((v) => (v ? v : null))
const Term = z.object({ term: Text }).transform((c) => c.term)

const Entry = z.object({
  id: Text,
  title: Text.refine((t) => t.length > 0, 'has an empty title'),
  summary: optionalText,
  category: z.array(Term.nullable().catch(null)).nullish().catch([]),
  primary_category: Term.nullish().catch(null),
  comment: optionalText,
  journal_ref: optionalText,
  doi: optionalText,
})

// http://arxiv.org/abs/2607.22535v1, https://arxiv.org/abs/cond-mat/0102536v2
const ABS_ID = /\/abs\/([^?#]+?)(?:v(\d+))?$/
const API_ERROR = /\/api\/errors#(.+)$/

export function parseArxivFeed(xml: string): ArxivFeed {
  let doc: { feed?: Record<string, unknown> }
  try {
    doc = parser.parse(xml, true)
  } catch (error) {
    throw new ArxivFeedError(`not well-formed XML: ${(error as Error).message.split('\n')[0]}`, { cause: error })
  }
  const feed = doc.feed
  if (!feed || typeof feed !== 'object') throw new ArxivFeedError('not an Atom feed (no <feed> element)')

  const raw = Array.isArray(feed.entry) ? (feed.entry as unknown[]) : []
  const first = raw[0] as { id?: unknown; title?: unknown; summary?: unknown } | undefined
  const apiError = typeof first?.id === 'string' ? API_ERROR.exec(first.id) : null
  if (apiError && clean(String(first?.title ?? '')) === 'Error') {
    throw new ArxivApiError(apiError[1]!, clean(String(first?.summary ?? apiError[1])))
  }

  const entries: ArxivEntry[] = []
  const skipped: ArxivFeed['skipped'] = []
  raw.forEach((item, index) => {
    const parsed = Entry.safeParse(item)
    if (!parsed.success) {
      skipped.push({ index, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'entry'} ${i.message}`).join('; ') })
      return
    }
    const e = parsed.data
    const match = ABS_ID.exec(e.id)
    if (!match) {
      skipped.push({ index, reason: `id is not an arXiv abstract URL: ${e.id}` })
      return
    }
    // arXiv lists a paper under a category's main name; should an alias come back, it is stored as the main name
    const named = (c: string) => CATEGORY_ALIASES[c] ?? c
    const listed = (e.category ?? []).filter((c): c is string => !!c).map(named)
    const primary = e.primary_category ? named(e.primary_category) : (listed[0] ?? null)
    entries.push({
      id: match[1]!,
      version: match[2] ? Number(match[2]) : null,
      title: e.title,
      summary: e.summary ?? '',
      categories: [...new Set([...(primary ? [primary] : []), ...listed])],
      primaryCategory: primary,
      comment: e.comment,
      journalRef: e.journal_ref,
      doi: e.doi,
    })
  })
  const total = Number(feed.totalResults)
  return { totalResults: Number.isFinite(total) && String(feed.totalResults ?? '').trim() !== '' ? total : null, entries, skipped }
}

import { z } from 'zod'

/**
 * The Hugging Face Daily Papers listing (`GET /api/daily_papers`), read leniently: the format has changed before
 * (see shared/fixtures/README.md §4) and will again. Unknown keys are ignored (z.object strips them); an optional
 * field that is missing, null or of an unexpected type becomes "not reported" instead of costing us the paper.
 * Only what a stored row cannot do without is required.
 */

// PostgreSQL text cannot hold U+0000: one NUL in one abstract must not cost the whole day, so it is dropped.
const text = z.string().transform((value) => value.replaceAll('\u0000', ''))

// Missing, null or malformed all mean "the source did not tell us".
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined)

const Organization = z.object({ name: optional(text), fullname: optional(text) })

// A malformed author entry costs us that name, not the paper.
const Author = z
  .object({ name: text, hidden: optional(z.boolean()) })
  .nullable()
  .catch(null)

// Shapes like "2026-06-12T00:00:00.000Z", and the occasional exact time ("2026-03-06T03:55:12.777Z").
const Timestamp = z.iso.datetime({ offset: true })

export const DailyPaper = z.object({
  id: text.pipe(
    z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(64)
      .regex(/^\S+$/, 'must not contain spaces'),
  ),
  title: text,
  summary: text,
  submittedOnDailyAt: Timestamp,
  upvotes: z.number().int().min(0),
  authors: optional(z.array(Author)),
  publishedAt: optional(Timestamp),
  ai_summary: optional(text),
  ai_keywords: optional(z.array(text)),
  githubRepo: optional(text),
  githubStars: optional(z.number().int().min(0)),
  projectPage: optional(text),
  organization: optional(Organization),
  mediaUrls: optional(z.array(text)),
})
export type DailyPaper = z.infer<typeof DailyPaper>

export const DailyPaperItem = z.object({
  paper: DailyPaper,
  thumbnail: optional(text),
  numComments: optional(z.number().int().min(0)),
  organization: optional(Organization),
  mediaUrls: optional(z.array(text)),
})
export type DailyPaperItem = z.infer<typeof DailyPaperItem>

/** One normalised row for the `papers` table (field names as in the Prisma model). */
export interface PaperInput {
  /** arXiv id without version, e.g. "2606.12575". */
  id: string
  title: string
  summary: string
  /** Names of the non-hidden authors, in paper order. */
  authors: string[]
  aiSummary: string | null
  aiKeywords: string[]
  upvotes: number
  numComments: number
  githubRepo: string | null
  githubStars: number | null
  projectPage: string | null
  /** The organisation's display name (`fullname`, else its handle). */
  organization: string | null
  thumbnail: string | null
  /** The papers-day 'YYYY-MM-DD' (UTC date of `paper.submittedOnDailyAt`, never the item's `publishedAt`). */
  day: string
  /** arXiv publication time (`paper.publishedAt`). */
  publishedAt: Date | null
}

export interface SkippedItem {
  /** Position of the item in the listing (across pages when fetched page by page). */
  index: number
  reason: string
}

export interface ParsedDailyPapers {
  papers: PaperInput[]
  skipped: SkippedItem[]
}

/** The body as a whole is not a listing (not a JSON array): nothing in it can be trusted. */
export class DailyPapersFormatError extends Error {
  override name = 'DailyPapersFormatError'
}

// arXiv hard-wraps titles and abstracts ("...via\n  Reinforcement Learning"); a line break there is never meaningful.
const unwrap = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim()
const blankToNull = (text: string | null | undefined) => {
  const trimmed = text?.trim()
  return trimmed ? trimmed : null
}

export function toPaperInput(item: DailyPaperItem): PaperInput {
  const { paper } = item
  const org = paper.organization ?? item.organization
  return {
    id: paper.id,
    title: unwrap(paper.title),
    summary: unwrap(paper.summary),
    authors: (paper.authors ?? []).flatMap((a) => (a && !a.hidden && a.name.trim() ? [a.name.trim()] : [])),
    aiSummary: blankToNull(paper.ai_summary),
    aiKeywords: (paper.ai_keywords ?? []).map((k) => k.trim()).filter((k) => k.length > 0),
    upvotes: paper.upvotes,
    numComments: item.numComments ?? 0,
    githubRepo: blankToNull(paper.githubRepo),
    githubStars: paper.githubStars ?? null,
    projectPage: blankToNull(paper.projectPage),
    organization: blankToNull(org?.fullname) ?? blankToNull(org?.name),
    thumbnail: blankToNull(item.thumbnail),
    day: new Date(paper.submittedOnDailyAt).toISOString().slice(0, 10),
    publishedAt: paper.publishedAt ? new Date(paper.publishedAt) : null,
  }
}

const describeIssues = (error: z.ZodError) =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'item'}: ${i.message}`)
    .join('; ')

/**
 * Parses one listing body. A malformed item is skipped and reported with its position, never fatal for the day;
 * a body that is not an array throws DailyPapersFormatError. `indexOffset` numbers items across pages.
 */
export function parseDailyPapers(json: unknown, indexOffset = 0): ParsedDailyPapers {
  if (!Array.isArray(json)) {
    const got = json === null ? 'null' : typeof json
    throw new DailyPapersFormatError(`expected a JSON array of daily papers, got ${got}`)
  }
  const papers: PaperInput[] = []
  const skipped: SkippedItem[] = []
  json.forEach((raw: unknown, i) => {
    const index = indexOffset + i
    const parsed = DailyPaperItem.safeParse(raw)
    if (!parsed.success) {
      skipped.push({ index, reason: describeIssues(parsed.error) })
      return
    }
    const paper = toPaperInput(parsed.data)
    if (paper.title === '') {
      skipped.push({ index, reason: 'paper.title: must not be empty' })
      return
    }
    papers.push(paper)
  })
  return { papers, skipped }
}

/** Keeps one row per paper id (the last seen: later pages and later reads are the fresher ones), first-seen order. */
export function dedupeById(papers: readonly PaperInput[]): PaperInput[] {
  const byId = new Map<string, PaperInput>()
  for (const p of papers) byId.set(p.id, p)
  return [...byId.values()]
}

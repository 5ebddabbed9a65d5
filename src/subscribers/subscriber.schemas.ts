import { z } from 'zod'
import { canonicalCategory } from '../arxiv/categories.ts'
import { isTimeZone } from '../digests/schedule.ts'
import { TOPICS, unknownTopics } from '../topics/catalogue.ts'
import { parseEmailAddress } from './email-address.ts'

export const EmailAddress = z
  .string({ error: 'email is required' })
  .max(320, 'email is too long (an address has at most 254 characters)')
  .transform((input, ctx) => {
    const parsed = parseEmailAddress(input)
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: `email ${parsed.reason}` })
      return z.NEVER
    }
    return parsed.email
  })

export const TopicSlugs = z
  .array(z.string().max(64), { error: 'topics must be a list of topic slugs' })
  .max(TOPICS.length)
  .transform((slugs) => [...new Set(slugs)])
  .superRefine((slugs, ctx) => {
    const unknown = unknownTopics(slugs)
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown topic(s): ${unknown.join(', ')} (GET /api/topics lists them)` })
    }
  })

export const KEYWORDS_MAX = 20
export const Keywords = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'a keyword filter must not be empty')
      .max(200, 'a keyword filter has at most 200 characters')
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'a keyword filter must not contain control characters'),
    { error: 'keywords must be a list of search queries' },
  )
  .max(KEYWORDS_MAX, `at most ${KEYWORDS_MAX} keyword filters`)
  .transform((list) => [...new Set(list)])

export const CATEGORIES_MAX = 30
export const Categories = z
  .array(z.string().max(32), { error: 'categories must be a list of arXiv categories such as cs.CL' })
  .max(CATEGORIES_MAX, `at most ${CATEGORIES_MAX} arXiv categories`)
  .transform((list, ctx) => {
    const unknown = list.filter((c) => !canonicalCategory(c))
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown arXiv categor${unknown.length === 1 ? 'y' : 'ies'}: ${unknown.join(', ')} (GET /api/categories lists them)` })
      return z.NEVER
    }
    return [...new Set(list.map((c) => canonicalCategory(c)!))]
  })

export const TimeZone = z.string().max(64).refine(isTimeZone, 'timezone must be an IANA time zone such as Europe/Paris')

export const SubscribeBody = z.strictObject({
  email: EmailAddress,
  topics: TopicSlugs.optional(),
  keywords: Keywords.optional(),
  timezone: TimeZone.optional(),
})
export type SubscribeBody = z.infer<typeof SubscribeBody>

export const Frequency = z.enum(['daily', 'weekly'])

export const PreferencesBody = z.strictObject({
  topics: TopicSlugs.optional(),
  keywords: Keywords.optional(),
  categories: Categories.optional(),
  minUpvotes: z.number().int().min(0).max(100_000).optional(),
  papersPerEmail: z.number().int().min(1).max(50).optional(),
  frequency: Frequency.optional(),
  weeklyDay: z.number().int().min(0).max(6).optional(),
  sendHour: z.number().int().min(0).max(23).optional(),
  timezone: TimeZone.optional(),
  skipEmpty: z.boolean().optional(),
  paused: z.boolean().optional(),
})
export type PreferencesBody = z.infer<typeof PreferencesBody>

export const Preferences = z.object({
  email: z.string(),
  status: z.enum(['pending', 'active', 'unsubscribed', 'bounced']),
  topics: z.array(z.string()),
  keywords: z.array(z.string()),
  categories: z.array(z.string()),
  minUpvotes: z.number().int(),
  papersPerEmail: z.number().int(),
  frequency: Frequency,
  weeklyDay: z.number().int(),
  sendHour: z.number().int(),
  timezone: z.string(),
  skipEmpty: z.boolean(),
  paused: z.boolean(),
})
export type Preferences = z.infer<typeof Preferences>

/** The preferences page posts an HTML form: checkboxes are absent when off, repeated keys are arrays, numbers are text. */
const asList = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v])
const formNumber = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && /^-?\d+$/.test(v.trim()) ? Number(v) : v)
const FormFields = z.record(z.string(), z.unknown(), { error: 'the form could not be read' })

export const PreferencesForm = FormFields
  .transform((f) =>
    PreferencesBody.parse({
      topics: asList(f.topics),
      keywords: String(f.keywords ?? '').split(/\r?\n/).map((s) => s.trim()).filter(Boolean),
      // Ticked common categories, and any others typed in, separated by spaces or commas.
      categories: [...asList(f.categories), ...String(f.moreCategories ?? '').split(/[\s,]+/).filter(Boolean)],
      minUpvotes: formNumber(f.minUpvotes),
      papersPerEmail: formNumber(f.papersPerEmail),
      frequency: f.frequency,
      weeklyDay: formNumber(f.weeklyDay),
      sendHour: formNumber(f.sendHour),
      timezone: f.timezone,
      skipEmpty: f.skipEmpty !== undefined,
      paused: f.paused !== undefined,
    }),
  )

export const SubscribeForm = FormFields
  .transform((f) =>
    SubscribeBody.parse({
      email: f.email,
      topics: asList(f.topics),
      ...(typeof f.timezone === 'string' && f.timezone !== '' ? { timezone: f.timezone } : {}),
    }),
  )

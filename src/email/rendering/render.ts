import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { packageRoot } from '../../runtime/package-root.ts'
import Handlebars from 'handlebars'
import mjml2html from 'mjml'
import { keptOrMade } from '../../runtime/bounded-cache.ts'
import { appendFilled, asIs, escapeHtml, fillFor, PAPER_RECIPIENT_FIELDS, readsOnly, RECIPIENT_FIELDS, type Fill } from './recipient-fill.ts'
import { SUBJECTS, TEMPLATE_NAMES, type DigestData, type DigestPaper, type RenderRequest, type TemplateName } from './templates.ts'

export const TEMPLATES_DIR = path.join(packageRoot(), 'templates')

export interface RenderedEmail {
  subject: string
  html: string
  text: string
}

/** A digest as it is sent: the same subject, text and HTML as `render` gives, both bodies already UTF-8. */
export interface RenderedDigest {
  subject: string
  html: Buffer
  text: Buffer
}

/**
 * Papers' blocks, each rendered once with a stand-in for the recipient's vote link (`fill`; null: the block must be
 * rendered per recipient), kept by body, paper, place and reasons with the paper it was made from. One map serves a
 * process's every send batch: a day's papers recur in most digests, at a few places and with a few reasons each.
 */
export type PaperBlocks = Map<string, { paper: DigestPaper; fill: Fill | null }>

export interface Renderer {
  render(request: RenderRequest): RenderedEmail
  /**
   * The digest for sending, byte for byte `render`'s HTML and text. Each paper's block is rendered and encoded once
   * into `blocks` (a paper with the same place, reasons and row renders alike in every digest, but for the recipient's
   * vote link, filled in); the rest per recipient.
   */
  renderDigest(data: DigestData, blocks: PaperBlocks): RenderedDigest
}

export class TemplateError extends Error {
  override name = 'TemplateError'
}

/**
 * MJML indents its output; the indentation is a quarter of a digest's bytes, and every byte is encoded, written and
 * received once per recipient. A line break followed by spaces collapses to one space in HTML, as the line break
 * alone does, so dropping the spaces changes nothing on screen (MJML writes no <pre>); the line breaks stay, so lines
 * stay short (< 998 bytes, SMTP's limit, whatever transfer encoding is used).
 */
const withoutIndentation = (html: string) => html.replace(/\n[ \t]+/g, '\n')

/**
 * Compiles every MJML template once (MJML costs ~20 ms a compile), keeping Handlebars placeholders in the HTML, then
 * fills them per recipient. Handlebars escapes every value in the HTML; the text part is compiled without escaping
 * because it is not HTML. Each template has a text twin, built from the same data, never by stripping the HTML.
 */
export async function createRenderer(templatesDir = TEMPLATES_DIR): Promise<Renderer> {
  const compiled = new Map<TemplateName, { html: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate }>()
  const sources = new Map<TemplateName, { html: string; text: string }>()
  for (const name of TEMPLATE_NAMES) {
    const filePath = path.join(templatesDir, `${name}.mjml`)
    const source = await readFile(filePath, 'utf8')
    // MJML 5 ignores mj-include unless told otherwise; includes are confined to the templates folder.
    const result = await mjml2html(source, { validationLevel: 'strict', filePath, keepComments: false, ignoreIncludes: false, includePath: templatesDir } as never)
    if (result.errors.length > 0) {
      throw new TemplateError(`${name}.mjml: ${result.errors.map((e) => e.formattedMessage).join('; ')}`)
    }
    const text = await readFile(path.join(templatesDir, `${name}.txt.hbs`), 'utf8')
    const html = withoutIndentation(result.html)
    sources.set(name, { html, text })
    compiled.set(name, {
      html: Handlebars.compile(html, { strict: true }),
      text: Handlebars.compile(text, { strict: true, noEscape: true }),
    })
  }
  const render: Renderer['render'] = (request) => {
    const templates = compiled.get(request.template)!
    const subject = (SUBJECTS[request.template] as (d: typeof request.data) => string)(request.data)
    return { subject, html: templates.html(request.data), text: templates.text(request.data) }
  }
  const digestSource = sources.get('digest')!
  const cut = {
    html: splitAtPapers(digestSource.html, { strict: true }, (data) => render({ template: 'digest', data }).html),
    text: splitAtPapers(digestSource.text, { strict: true, noEscape: true }, (data) => render({ template: 'digest', data }).text),
  }
  const escapes = { html: escapeHtml, text: asIs }
  // Head and tail Fills by body, part and shared fields: a handful per edition (date, frequency, paper count).
  const fills = new Map<string, Fill | null>()
  /**
   * A digest's head or tail for one recipient: from the Fill of recipients with the same shared fields (`shared`, the
   * key of those, or null when this recipient's fields are not all non-empty strings, as the stand-ins were) where the
   * part allows one (it reads only the digest's own fields), else rendered for this recipient alone (where a missing
   * field fails, as in `render`).
   */
  const appendPart = (which: 'html' | 'text', name: 'head' | 'tail', data: DigestData, shared: string | null, out: Buffer[]) => {
    const parts = cut[which]!
    if (parts.fillable[name] && shared !== null) {
      const fill = keptOrMade(fills, `${which}\u0000${name}\u0000${shared}`, FILLS_KEPT, () => fillFor(parts[name], data, escapes[which]))
      if (fill) return appendFilled(fill, data, escapes[which], out)
    }
    out.push(Buffer.from(parts[name](data), 'utf8'))
  }
  /**
   * One body of a digest: its parts around the papers, each paper's block from `blocks` (by body, paper, place and reasons);
   * a body that could not be cut comes from the whole digest, rendered once for both bodies (`whole`).
   */
  const body = (which: 'html' | 'text', data: DigestData, shared: string | null, blocks: PaperBlocks, whole: () => RenderedEmail): Buffer => {
    const parts = cut[which]
    if (!parts) return Buffer.from(whole()[which], 'utf8')
    const pieces: Buffer[] = []
    appendPart(which, 'head', data, shared, pieces)
    for (const paper of data.papers) {
      // a paper without a vote link ('' or, wrongly, none: then rendering it fails, as `render` does) renders on its own
      const block = typeof paper.feedbackUrl !== 'string' || paper.feedbackUrl === '' ? null : paperBlock(blocks, which, paper, () =>
        fillFor(parts.paper, paper, escapes[which], PAPER_RECIPIENT_FIELDS))
      if (block) appendFilled(block, paper, escapes[which], pieces)
      else pieces.push(Buffer.from(parts.paper(paper), 'utf8'))
    }
    appendPart(which, 'tail', data, shared, pieces)
    return Buffer.concat(pieces)
  }
  return {
    render,
    renderDigest(data, blocks) {
      let rendered: RenderedEmail | undefined
      const whole = () => (rendered ??= render({ template: 'digest', data }))
      // once per digest, for the four heads and tails of its two bodies
      const shared = RECIPIENT_FIELDS.every((field) => typeof data[field] === 'string' && data[field] !== '')
        ? SHARED_FIELDS.map((field) => data[field]).join('\u0000')
        : null
      return { subject: SUBJECTS.digest(data), html: body('html', data, shared, blocks, whole), text: body('text', data, shared, blocks, whole) }
    },
  }
}

/** A digest with every optional field both present and absent, to check the cut templates against the whole. */
const samplePaper = (n: number, full: boolean): DigestPaper => ({
  number: n, paperId: `2601.0000${n}`, feedbackUrl: full ? `https://example.org/feedback/${n}?x=<&>` : '', title: `Title ${n} & <b>`, url: `https://example.org/papers/${n}?a=1&b=2`, authors: 'A "B" C', organization: full ? 'Org' : null,
  upvotes: n * 7, githubUrl: full ? 'https://github.com/o/r' : null, githubStars: full ? 12 : null, category: full ? 'cs.CL' : null, summary: `Summary ${n} ▲ …`, matched: full ? 'Agents, "x"' : '',
})
const SAMPLE_DIGEST: DigestData = {
  email: 'a@example.org', homeUrl: 'https://example.org/', senderName: 'Paperboy', footerReason: 'why', manageUrl: 'https://example.org/m',
  unsubscribeUrl: 'https://example.org/u', viewUrl: 'https://example.org/v', dateLabel: 'Friday', heading: 'Heading', intro: 'Intro',
  papers: [samplePaper(1, true), samplePaper(2, false)],
}

/** A digest's own fields: all but its papers (which a head or tail may read only to render per recipient). */
const OWN_FIELDS = (Object.keys(SAMPLE_DIGEST) as (keyof DigestData)[]).filter((field): field is Exclude<keyof DigestData, 'papers'> => field !== 'papers')
/** The fields recipients of one edition and frequency share in a digest's head and tail (its own but theirs). */
const SHARED_FIELDS = OWN_FIELDS.filter(
  (field): field is Exclude<keyof DigestData, 'papers' | (typeof RECIPIENT_FIELDS)[number]> => !(RECIPIENT_FIELDS as readonly string[]).includes(field),
)
const FILLS_KEPT = 64
/**
 * Blocks kept per process (a failed fill, null, included): about 2.5 KB each with their paper, 10 MB at most. A day's
 * papers at their places with their reasons are usually far fewer; readers' own keyword filters add reasons, and a
 * block pushed out is only made again.
 */
const BLOCKS_KEPT = 4096

/** Whether two papers' blocks show the same: every field alike but the vote link, which is filled in. */
function showsAlike(a: DigestPaper, b: DigestPaper): boolean {
  const [x, y] = [a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>]
  for (const field in x) if (field !== 'feedbackUrl' && (x[field] !== y[field] || !(field in y))) return false
  for (const field in y) if (!(field in x)) return false
  return true
}

/**
 * A paper's block for one body, made once and kept; made again when the paper kept under its key (paper, place,
 * reasons) shows anything else (its row changed since: upvotes, stars, category…). Checking the kept paper field by
 * field costs less than a key holding every field.
 */
function paperBlock(blocks: PaperBlocks, which: string, paper: DigestPaper, make: () => Fill | null): Fill | null {
  const key = `${which}\u0000${paper.paperId}\u0000${paper.number}\u0000${paper.matched}`
  // kept without the vote link: a reader's signed link has no business outliving their digest in memory
  const entry = () => ({ paper: { ...paper, feedbackUrl: '' }, fill: make() })
  const kept = keptOrMade(blocks, key, BLOCKS_KEPT, entry)
  if (showsAlike(kept.paper, paper)) return kept.fill
  const made = entry()
  blocks.set(key, made)
  return made.fill
}


/**
 * A digest template (HTML or text) cut around its one top-level `{{#each papers}}` block: the part before, the block
 * for one paper (rendered with the paper as its context, as `each` does), the part after. The cut is made in
 * Handlebars' parsed template, after its whitespace control, so the parts render exactly what the whole does; that
 * is checked here against `whole` on a sample with every optional field both present and absent. A template of
 * another shape gives null, and that body renders whole.
 */
function splitAtPapers(source: string, options: Parameters<typeof Handlebars.compile>[1], whole: (data: DigestData) => string) {
  const program = Handlebars.parse(source)
  const isEachPapers = (s: hbs.AST.Statement): s is hbs.AST.BlockStatement => {
    if (s.type !== 'BlockStatement') return false
    const block = s as hbs.AST.BlockStatement
    return (block.path as hbs.AST.PathExpression).original === 'each' && block.params.length === 1 && (block.params[0] as hbs.AST.PathExpression).original === 'papers'
  }
  const at = program.body.findIndex(isEachPapers)
  if (at < 0 || program.body.slice(at + 1).some(isEachPapers)) return null
  const each = program.body[at] as hbs.AST.BlockStatement
  if (each.inverse || each.program.blockParams?.length) return null
  const around = { head: { ...program, body: program.body.slice(0, at) }, tail: { ...program, body: program.body.slice(at + 1) } }
  const part = (body: hbs.AST.Program) => Handlebars.compile(body, options)
  const parts = { head: part(around.head), paper: part({ ...program, body: each.program.body }), tail: part(around.tail) }
  const data = SAMPLE_DIGEST
  try {
    const cut = parts.head(data) + data.papers.map((p) => parts.paper(p)).join('') + parts.tail(data)
    if (whole(data) !== cut) return null
    const own = new Set<string>(OWN_FIELDS)
    const fillable = { head: readsOnly(around.head, own), tail: readsOnly(around.tail, own) }
    return { ...parts, fillable }
  } catch {
    // a block that needs more than its paper (`../`, `@root`) cannot render alone: render whole
    return null
  }
}

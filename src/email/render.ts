import { readFile } from 'node:fs/promises'
import path from 'node:path'
import Handlebars from 'handlebars'
import mjml2html from 'mjml'
import { SUBJECTS, TEMPLATE_NAMES, type RenderRequest, type TemplateName } from './templates.ts'

export const TEMPLATES_DIR = path.resolve(import.meta.dirname, '../../templates')

export interface RenderedEmail {
  subject: string
  html: string
  text: string
}

export interface Renderer {
  render(request: RenderRequest): RenderedEmail
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
  for (const name of TEMPLATE_NAMES) {
    const filePath = path.join(templatesDir, `${name}.mjml`)
    const source = await readFile(filePath, 'utf8')
    // MJML 5 ignores mj-include unless told otherwise; includes are confined to the templates folder.
    const result = await mjml2html(source, { validationLevel: 'strict', filePath, keepComments: false, ignoreIncludes: false, includePath: templatesDir } as never)
    if (result.errors.length > 0) {
      throw new TemplateError(`${name}.mjml: ${result.errors.map((e) => e.formattedMessage).join('; ')}`)
    }
    const text = await readFile(path.join(templatesDir, `${name}.txt.hbs`), 'utf8')
    compiled.set(name, {
      html: Handlebars.compile(withoutIndentation(result.html), { strict: true }),
      text: Handlebars.compile(text, { strict: true, noEscape: true }),
    })
  }
  return {
    render(request) {
      const templates = compiled.get(request.template)!
      const subject = (SUBJECTS[request.template] as (d: typeof request.data) => string)(request.data)
      return { subject, html: templates.html(request.data), text: templates.text(request.data) }
    },
  }
}

import { readFileSync } from 'node:fs'
import path from 'node:path'
import Handlebars from 'handlebars'
import { TEMPLATES_DIR } from '../email/rendering/render.ts'

/**
 * HTML pages for people. Handlebars templates in templates/pages, compiled once; every value is escaped by
 * Handlebars. The layout links /assets/app.css and /assets/app.js (no inline script or style: the CSP forbids them).
 */
export type PageName = 'landing' | 'subscribed' | 'confirm' | 'message' | 'preferences' | 'unsubscribe' | 'vote' | 'error' | 'admin'
const PAGE_NAMES: readonly PageName[] = ['landing', 'subscribed', 'confirm', 'message', 'preferences', 'unsubscribe', 'vote', 'error', 'admin']

export interface Pages {
  render(name: PageName, data: { title: string } & Record<string, unknown>): string
  asset(name: 'app.css' | 'app.js'): string
}

export function createPages(dir = path.join(TEMPLATES_DIR, 'pages')): Pages {
  const hb = Handlebars.create()
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  hb.registerHelper('includes', (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item))
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8')
  const layout = hb.compile(read('layout.hbs'))
  const pages = new Map(PAGE_NAMES.map((name) => [name, hb.compile(read(`${name}.hbs`))]))
  const assets = { 'app.css': read('app.css'), 'app.js': read('app.js') }
  return {
    render(name, data) {
      return layout({ ...data, body: new hb.SafeString(pages.get(name)!(data)) })
    },
    asset: (name) => assets[name],
  }
}

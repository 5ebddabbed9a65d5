import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import sparticuz from '@sparticuz/chromium'
import { chromium, type Browser, type Page } from 'playwright-core'

/**
 * A real headless Chromium driven by playwright-core, plus the checks the UI tests share: horizontal overflow, WCAG
 * text contrast, screenshots. The browser is the one published on npm (@sparticuz/chromium, unpacked to /tmp on first
 * use), so `npm test` needs nothing from the system; CHROMIUM_PATH runs the tests in another (e.g. Debian's chromium).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH

/** Screenshots land here for a person to look at; `.data/` is git-ignored, so they are never committed. */
export const SCREENSHOTS_DIR = path.resolve(import.meta.dirname, '../../.data/screenshots')

// The npm build's own flags, less those that would change what the pages are tested for (same-origin and CSP checks,
// site isolation: a page must behave here as in a reader's browser) and --single-process (closing one page took the
// whole browser with it).
const RELAXING = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--single-process'])
const QUIET = ['--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']

export async function launchBrowser(): Promise<Browser> {
  if (CHROMIUM_PATH) {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at CHROMIUM_PATH=${CHROMIUM_PATH}`)
    return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox', '--disable-gpu', ...QUIET] })
  }
  return chromium.launch({ executablePath: await sparticuz.executablePath(), args: [...sparticuz.args.filter((a) => !RELAXING.has(a)), ...QUIET] })
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true })
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/** How far the document is wider than the viewport (0 = no horizontal scrolling), and the elements that stick out. */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; offenders: string[] }> {
  return page.evaluate(`(() => {
    const innerWidth = window.innerWidth
    const scrollWidth = document.scrollingElement.scrollWidth
    const offenders = []
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect()
      if (r.width > 0 && r.right > innerWidth + 0.5) offenders.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') + ' right=' + Math.round(r.right) + ' "' + (el.textContent || '').trim().slice(0, 40) + '"')
    }
    return { scrollWidth, innerWidth, offenders: offenders.slice(0, 10) }
  })()`)
}

export interface ContrastFailure {
  text: string
  color: string
  background: string
  ratio: number
  required: number
}

/**
 * Every visible element with its own text, its WCAG 2 contrast ratio between the computed text colour and the
 * effective background (the background colours of it and its ancestors composited over the canvas), against 4.5:1
 * for normal text and 3:1 for large text (≥ 24 px, or ≥ 18.66 px bold). The canvas is white, or Chromium's dark
 * canvas (#121212) when the page opts into dark (`color-scheme` allows it and the dark scheme is emulated).
 * Background images are not considered: the pages and emails use none.
 */
export async function contrastFailures(page: Page): Promise<{ checked: number; failures: ContrastFailure[] }> {
  return page.evaluate(`(() => {
    const parse = (value) => {
      const m = /rgba?\\(([^)]+)\\)/.exec(value)
      if (!m) throw new Error('cannot parse colour ' + value)
      const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number)
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }
    }
    const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 })
    const lum = (c) => {
      const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) }
      return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)
    }
    const ratio = (a, b) => { const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05) }
    const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')
    const rootScheme = getComputedStyle(document.documentElement).colorScheme || ''
    const metaScheme = (document.querySelector('meta[name="color-scheme"]') || {}).content || ''
    const darkCanvas = matchMedia('(prefers-color-scheme: dark)').matches && /dark/.test(rootScheme + ' ' + metaScheme)
    const canvas = darkCanvas ? { r: 18, g: 18, b: 18, a: 1 } : { r: 255, g: 255, b: 255, a: 1 }
    const background = (el) => {
      const layers = []
      for (let e = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor))
      return layers.reverse().reduce((below, layer) => over(layer, below), canvas)
    }
    const failures = []
    let checked = 0
    for (const el of document.body.querySelectorAll('*')) {
      const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim()
      if (!own) continue
      const style = getComputedStyle(el)
      const rect = el.getBoundingClientRect()
      if (style.visibility !== 'visible' || rect.width < 1 || rect.height < 1 || el.closest('select, datalist, option, script, style')) continue
      checked++
      const bg = background(el)
      const fg = over(parse(style.color), bg)
      const size = parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      const required = large ? 3 : 4.5
      const r = ratio(fg, bg)
      if (r < required) failures.push({ text: own.slice(0, 50), color: hex(fg), background: hex(bg), ratio: Math.round(r * 100) / 100, required })
    }
    return { checked, failures }
  })()`)
}

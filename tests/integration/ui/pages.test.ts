import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { contrastFailures, horizontalOverflow, launchBrowser, screenshot } from '../../helpers/browser.ts'
import { digestEmail } from '../../helpers/emails.ts'
import { JUNE_12, LATEST_DAY, relabelledListing } from '../../helpers/papers.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/**
 * The pages people use, in a real Chromium against the real app listening on 127.0.0.1 (PUBLIC_URL is that address,
 * so the links in the emails lead back here): sign up with the keyboard, confirm from the email, change preferences,
 * unsubscribe, and read a digest in the browser. Every page is checked at desktop and phone widths, light and dark.
 */
let t: TestApp
let browser: Browser
let context: BrowserContext
let page: Page
const problems: string[] = []

const DESKTOP = { width: 1024, height: 800 }
const PHONES = [{ width: 390, height: 844 }, { width: 320, height: 640 }]

beforeAll(async () => {
  t = await buildTestApp({ listen: true })
  browser = await launchBrowser()
  // A reader in Paris: the landing page's script should send this time zone with the sign-up.
  context = await browser.newContext({ viewport: DESKTOP, timezoneId: 'Europe/Paris', locale: 'en-GB' })
  page = await context.newPage()
  // Anything the browser complains about (a script error, a resource or inline style refused by the CSP) is a defect.
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`${page.url()}: console ${message.type()}: ${message.text()} ${message.location().url}`) })
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`))
  page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`))
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.url()}: HTTP ${response.status()}`) })
})
beforeEach(() => {
  problems.length = 0
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

/** The page at each phone size: no horizontal scrolling; then light and dark: text contrast. Screenshots for people. */
async function checkLayout(name: string) {
  for (const size of PHONES) {
    await page.setViewportSize(size)
    const overflow = await horizontalOverflow(page)
    await screenshot(page, `page-${name}-${size.width}`)
    expect(overflow.scrollWidth, `${name} at ${size.width} px is wider than the screen: ${overflow.offenders.join('; ')}`).toBeLessThanOrEqual(overflow.innerWidth)
  }
  await page.setViewportSize(DESKTOP)
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    if (colorScheme === 'dark') await screenshot(page, `page-${name}-desktop-dark`)
    const contrast = await contrastFailures(page)
    expect(contrast.checked, name).toBeGreaterThan(2)
    expect(contrast.failures, `${name}, ${colorScheme}: low contrast`).toEqual([])
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await screenshot(page, `page-${name}-desktop`)
}

interface Control { id: string; top: number; left: number; label: string }

/**
 * Keyboard use of the page: every control has a label; Tab from the top reaches every visible control, once, in
 * document order, which runs top to bottom on screen; each shows a clearly visible focus ring when reached.
 */
async function checkKeyboard(name: string) {
  const controls: Control[] = await page.evaluate(`(() => {
    window.__ids = 0
    const label = (el) => {
      if (el.matches('a, button')) return el.textContent.trim()
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label')
      return [...(el.labels || [])].map((l) => l.textContent.trim()).join(' ')
    }
    return [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')]
      .filter((el) => !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility === 'visible')
      .map((el) => {
        el.dataset.uiId = String(window.__ids++)
        const r = el.getBoundingClientRect()
        return { id: el.dataset.uiId, top: r.top + scrollY, left: r.left, label: label(el) }
      })
  })()`)
  expect(controls.length, name).toBeGreaterThan(1)
  for (const control of controls) expect(control.label, `${name}: control ${control.id} has no label`).toMatch(/\w/)

  await focusTop()
  const reached: string[] = []
  for (let i = 0; i < controls.length + 2; i++) {
    await page.keyboard.press('Tab')
    const focus = await page.evaluate(`(() => {
      const el = document.activeElement
      if (!el || el === document.body) return null
      const s = getComputedStyle(el)
      const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.outlineStyle === 'auto' || (s.boxShadow && s.boxShadow !== 'none')
      return { id: el.dataset.uiId || el.outerHTML.slice(0, 80), ring, visible: el.matches(':focus-visible') }
    })()`) as { id: string; ring: boolean; visible: boolean } | null
    if (!focus || focus.id === reached[0]) break
    expect(focus.ring && focus.visible, `${name}: no visible focus ring on ${focus.id} (${controls.find((c) => c.id === focus.id)?.label})`).toBe(true)
    reached.push(focus.id)
  }
  expect(reached, `${name}: Tab order`).toEqual(controls.map((c) => c.id))
  // Document order is also the reading order on screen: nothing jumps back up.
  for (let i = 1; i < controls.length; i++) {
    expect(controls[i]!.top, `${name}: "${controls[i]!.label}" is above "${controls[i - 1]!.label}"`).toBeGreaterThanOrEqual(controls[i - 1]!.top - 4)
  }
}

/** Puts the keyboard's starting point at the top of the page, as for a reader arriving on it (a click on blank space). */
async function focusTop() {
  await page.evaluate('window.scrollTo(0, 0)')
  await page.mouse.click(DESKTOP.width - 4, 4)
}

/** Moves focus with Tab until the control labelled `label` has it (at most `limit` presses). */
async function tabTo(label: RegExp, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab')
    const name = await page.evaluate(`(() => {
      const el = document.activeElement
      return el.matches('a, button') ? el.textContent.trim() : [...(el.labels || [])].map((l) => l.textContent.trim()).join(' ')
    })()`) as string
    if (label.test(name)) return
  }
  throw new Error(`Tab never reached ${label}`)
}

describe('the pages in a browser', () => {
  it('signs up with the keyboard, confirms from the email, changes preferences and unsubscribes', async () => {
    // the latest day of papers of the whole run, so the preferences page shows its selection from them
    await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, LATEST_DAY)).file)
    // A long address without hyphens: it must wrap on a 320 px screen, not push the page sideways.
    const email = `readerwithaverylongaddress${anEmail('').replace(/[^a-z0-9@.]/g, '')}`

    // Landing: email, two topics ticked with Space, Enter on the button.
    await page.goto(`${t.url}/`)
    expect(await page.title()).toContain('Paperboy')
    await checkKeyboard('landing')
    await checkLayout('landing')
    await focusTop()
    await tabTo(/^Your email address$/)
    await page.keyboard.type(email)
    await tabTo(/^LLM reasoning/)
    await page.keyboard.press('Space')
    await tabTo(/^Agents/)
    await page.keyboard.press('Space')
    await tabTo(/^Subscribe$/)
    const [subscribed] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(subscribed?.status()).toBe(202)
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox')
    await checkLayout('subscribed')

    const stored = await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })
    expect(stored).toMatchObject({ status: 'pending', topics: ['llm-reasoning', 'agents'], timezone: 'Europe/Paris' })

    // The confirmation email's link opens a page with a button; the GET alone changes nothing.
    const [confirmation] = await t.smtp.waitFor(email)
    const confirmUrl = new RegExp(`${t.url}/confirm/\\S+`).exec(confirmation!.parsed.text!)![0]
    await page.goto(confirmUrl)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('pending')
    await expect.poll(() => page.locator('main').textContent()).toContain(email)
    await checkKeyboard('confirm')
    await checkLayout('confirm')
    await focusTop()
    await tabTo(/^Confirm subscription$/)
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(await page.locator('h1').textContent()).toBe('You are subscribed')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('active')
    await checkLayout('confirmed')

    // Preferences, from the link on that page: the sign-up's topics are ticked.
    await tabTo(/^Choose my topics$/)
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(page.url()).toMatch(new RegExp(`^${t.url}/preferences/`))
    const topic = (name: RegExp) => page.getByRole('checkbox', { name })
    expect(await topic(/^LLM reasoning/).isChecked()).toBe(true)
    expect(await topic(/^Agents/).isChecked()).toBe(true)
    expect(await topic(/^Robotics/).isChecked()).toBe(false)
    await checkKeyboard('preferences')
    await checkLayout('preferences')

    // Change topics with the keyboard and every option through its label, then save.
    await focusTop()
    await tabTo(/^Agents/)
    await page.keyboard.press('Space')
    await tabTo(/^Robotics/)
    await page.keyboard.press('Space')
    await tabTo(/^cs\.RO Robotics/)
    await page.keyboard.press('Space')
    await page.getByLabel(/^Other categories/).fill('q-bio.NC')
    await page.getByLabel(/^Your own filters/).fill('"world model" -robot\nRL OR "reinforcement learning"')
    await page.getByLabel('Papers per email').fill('7')
    await page.getByLabel('Minimum upvotes').fill('3')
    // The weekday is asked only for a weekly digest.
    expect(await page.getByLabel('Weekly on').isVisible()).toBe(false)
    await page.getByLabel('How often').selectOption('weekly')
    expect(await page.getByLabel('Weekly on').isVisible()).toBe(true)
    await page.getByLabel('Weekly on').selectOption({ label: 'Friday' })
    await page.getByLabel('At (local hour)').selectOption({ label: '07:00' })
    await page.getByLabel('Time zone').fill('Asia/Tokyo')
    await page.getByLabel('Skip the email when no paper matches').uncheck()
    await page.getByRole('button', { name: 'Save preferences' }).focus()
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(await page.getByRole('status').textContent()).toBe('Saved.')
    expect(await topic(/^Robotics/).isChecked()).toBe(true)
    expect(await topic(/^Agents/).isChecked()).toBe(false)
    expect(await page.getByRole('checkbox', { name: /^cs\.RO/ }).isChecked()).toBe(true)
    expect(await page.getByLabel(/^Other categories/).inputValue()).toBe('q-bio.NC')
    expect(await page.getByLabel('How often').inputValue()).toBe('weekly')
    await checkLayout('preferences-saved')
    // what the saved choices select in the latest week of papers: the selection's papers, with their reasons
    const saved = await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })
    const expected = (await t.deps.digestService.selection(saved.id, saved, LATEST_DAY))!
    expect(expected.papers.length).toBeGreaterThan(0)
    const selection = page.locator('#selection')
    expect(await selection.locator('p').first().textContent()).toBe(
      `In the latest week of papers, to Friday, 31 December 9999, your topics, categories and filters select ${expected.total} papers (papers already sent to you included)${expected.total > 7 ? '; the first 7, in your digest\'s order' : ''}:`)
    expect(await selection.locator('li a').allTextContents()).toEqual(expected.papers.map((p) => p.title))
    expect(await selection.locator('li small').allTextContents()).toEqual(expected.papers.map((p) => `Why: ${p.why}`))
    for (const p of expected.papers) expect(p.why).toMatch(/LLM reasoning|Robotics|cs\.RO|q-bio\.NC|world model|RL|reinforcement learning/)
    expect(await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).toMatchObject({
      status: 'active',
      topics: ['llm-reasoning', 'robotics'],
      keywords: ['"world model" -robot', 'RL OR "reinforcement learning"'],
      categories: ['cs.RO', 'q-bio.NC'],
      papersPerEmail: 7,
      minUpvotes: 3,
      frequency: 'weekly',
      weeklyDay: 5,
      sendHour: 7,
      timezone: 'Asia/Tokyo',
      skipEmpty: false,
      paused: false,
    })

    // Unsubscribe: the link on the preferences page, then the page's button.
    await page.getByRole('link', { name: 'Unsubscribe' }).focus()
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(await page.locator('h1').textContent()).toBe('Unsubscribe')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('active')
    await checkKeyboard('unsubscribe')
    await checkLayout('unsubscribe')
    await page.getByRole('button', { name: 'Unsubscribe' }).focus()
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(await page.locator('h1').textContent()).toBe('You are unsubscribed')
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('unsubscribed')
    await checkLayout('unsubscribed')

    expect(problems).toEqual([])
  }, 90_000)

  it('shows the "view in browser" digest, readable on a phone and in dark mode', async () => {
    const { message } = await digestEmail(t)
    const viewUrl = new RegExp(`View in browser: (${t.url}/digests/\\S+)`).exec(message.parsed.text!)![1]!
    expect(message.parsed.html).toContain(`href="${viewUrl}"`)
    const response = await page.goto(viewUrl)
    expect(response?.status()).toBe(200)
    expect(await page.title()).toMatch(/^Your AI papers for today, /)
    // The same papers as the email, in the same order, each linking to its paper page.
    const titles = [...message.parsed.text!.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]!)
    expect(titles).toHaveLength(10)
    const links = await page.locator('a[href^="https://huggingface.co/papers/"]').allTextContents()
    expect(links.map((s) => s.trim())).toEqual(titles)
    // It is the browser view: no "View in browser" link to itself.
    expect(await page.getByRole('link', { name: 'View in browser' }).count()).toBe(0)
    await checkLayout('digest-view')
    expect(problems).toEqual([])

    // Its "Less like this" on the first paper: the page that asks, then the one that thanks, both usable and legible.
    const lessLinks = page.getByRole('link', { name: 'Less like this' })
    expect(await lessLinks.count()).toBe(10)
    await lessLinks.first().click()
    await expect(page.locator('h1').textContent()).resolves.toBe('More or less like this?')
    await checkKeyboard('vote')
    await checkLayout('vote')
    await page.getByRole('button', { name: 'Less like this' }).click()
    await expect(page.locator('h1').textContent()).resolves.toBe('Thanks: noted')
    await checkLayout('vote-recorded')
    expect(problems).toEqual([])
  })
})

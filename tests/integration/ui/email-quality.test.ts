import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contrastFailures, horizontalOverflow, launchBrowser, screenshot } from '../../helpers/browser.ts'
import { alreadySubscribedEmail, confirmationEmail, digestEmail } from '../../helpers/emails.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/**
 * The emails as a reader sees them: the HTML part of each real message, rendered by Chromium at the width of a
 * desktop client (600 px) and of a small phone (320 px), in light and dark. Screenshots go to .data/screenshots
 * (git-ignored) for a person to look at; the test checks what can be measured: no horizontal scrolling, readable
 * contrast, no hidden text.
 */
let t: TestApp
let browser: Browser
const html: Record<string, string> = {}

beforeAll(async () => {
  t = await buildTestApp()
  browser = await launchBrowser()
  html.confirm = (await confirmationEmail(t)).parsed.html as string
  html['already-subscribed'] = (await alreadySubscribedEmail(t)).parsed.html as string
  html.digest = (await digestEmail(t)).message.parsed.html as string
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

/** Text a reader cannot see: in an element that is not rendered, or rendered at (almost) no size. */
async function hiddenText(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const hidden = []
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim()
      if (!text || node.parentElement.closest('style, script')) continue
      const range = document.createRange()
      range.selectNodeContents(node)
      const rect = range.getBoundingClientRect()
      const style = getComputedStyle(node.parentElement)
      if (rect.width < 1 || rect.height < 1 || style.visibility !== 'visible' || parseFloat(style.fontSize) < 9 || Number(style.opacity) < 0.1) hidden.push(text.slice(0, 60))
    }
    return hidden
  })()`)
}

describe('the emails in a browser', () => {
  for (const template of ['digest', 'confirm', 'already-subscribed'] as const) {
    it(`${template}: fits 600 and 320 px, readable in light and dark, nothing hidden`, async () => {
      const page = await browser.newPage()
      try {
        for (const width of [600, 320]) {
          await page.setViewportSize({ width, height: 900 })
          await page.setContent(html[template]!, { waitUntil: 'load' })
          for (const colorScheme of ['light', 'dark'] as const) {
            await page.emulateMedia({ colorScheme })
            await screenshot(page, `email-${template}-${width}-${colorScheme}`)
            const where = `${template} at ${width} px, ${colorScheme}`
            const overflow = await horizontalOverflow(page)
            expect(overflow.scrollWidth, `${where}: wider than the screen: ${overflow.offenders.join('; ')}`).toBeLessThanOrEqual(overflow.innerWidth)
            const contrast = await contrastFailures(page)
            expect(contrast.checked, where).toBeGreaterThan(3)
            expect(contrast.failures, `${where}: low contrast`).toEqual([])
            expect(await hiddenText(page), `${where}: hidden text`).toEqual([])
          }
        }
      } finally {
        await page.close()
      }
    })
  }
})

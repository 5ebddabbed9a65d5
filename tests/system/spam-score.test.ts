import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alreadySubscribedEmail, confirmationEmail, digestEmail } from '../helpers/emails.ts'
import { requireSpamassassin, spamassassin, type SpamReport } from '../helpers/spamassassin.ts'
import type { CapturedMessage } from '../helpers/smtp-sink.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'

/**
 * Every email template, as the real app sends it, scored by SpamAssassin offline (local rules only, no Bayes).
 *
 * The test environment differs from a real delivery in two ways, handled openly:
 * - The sink is the first and only SMTP hop, so the captured source has no `Received:` header. SpamAssassin then
 *   marks it NO_RECEIVED / NO_RELAYS (0 points) and skips its relay rules. So each message is scored twice: as
 *   captured, and with the `Received:` header the receiving MTA adds, from a routable sender address. A
 *   documentation address (192.0.2.0/24 etc.) would trip RCVD_ILLEGAL_IP, which no real sender would.
 * - The sender is `digest@paperboy.test` and recipients are `@example.org`; no local rule fires on them (network
 *   rules such as SPF, DKIM and DNS blocklists need DNS and are outside `-L`, so deliverability of the real domain
 *   is the operator's DNS setup, not this test's).
 */
const MAX_SCORE = 1.0
/** Hidden or disguised text (the classic hidden preheader) must not fire at all, whatever it scores. */
const HIDDEN_TEXT_RULES = /HIDDEN|INVISIBLE|LOW_CONTRAST|TINY|FONT_SIZE|SHORT_LINK_IMG|IMAGE_ONLY|OBFU/

const asReceived = (raw: string) =>
  `Received: from mail.paperboy.example (mail.paperboy.example [93.184.215.14])\r\n\tby mx.example.org (Postfix) with ESMTPS id 4QxYz1bCdF\r\n\tfor <reader@example.org>; ${new Date().toUTCString().replace('GMT', '+0000')}\r\n${raw}`

let t: TestApp
beforeAll(async () => {
  await requireSpamassassin()
  t = await buildTestApp()
})
afterAll(async () => {
  await t?.close()
})

async function expectClean(message: CapturedMessage) {
  const [captured, received] = await Promise.all([spamassassin(message.raw), spamassassin(asReceived(message.raw))])
  const reports: [string, SpamReport][] = [['as captured', captured], ['as received', received]]
  for (const [how, report] of reports) {
    expect(report.score, `${how}:\n${report.report}`).toBeLessThanOrEqual(MAX_SCORE)
    expect(report.rules.filter((r) => HIDDEN_TEXT_RULES.test(r.name)), `${how}:\n${report.report}`).toEqual([])
  }
  // The added Received header does what it should: SpamAssassin now sees one relay.
  expect(reports[1]![1].rules.map((r) => r.name)).not.toContain('NO_RELAYS')
  return reports.map(([how, r]) => `${how}: ${r.score} (${r.rules.map((x) => `${x.name} ${x.points}`).join(', ')})`).join('; ')
}

describe('SpamAssassin, offline', () => {
  it('scores the confirmation email at most 1.0', async () => {
    console.log('confirm:', await expectClean(await confirmationEmail(t)))
  })

  it('scores the already-subscribed email at most 1.0', async () => {
    console.log('already-subscribed:', await expectClean(await alreadySubscribedEmail(t)))
  })

  it('scores a digest of a real day at most 1.0', async () => {
    console.log('digest:', await expectClean((await digestEmail(t)).message))
  })
})

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { NotAReport, readMailReport } from '../../../src/mail-events/mail-report.ts'

const fixture = (name: string) => readFile(path.join(import.meta.dirname, '../../fixtures/mail-reports', name))
const ABOUT = '<abc123@paperboy.example.org>'

describe('readMailReport', () => {
  it('reads a hard bounce (Postfix): the recipient, 5.1.1 and its diagnostic, when it happened, which message it returns', async () => {
    expect(await readMailReport(await fixture('postfix-hard-bounce.eml'))).toEqual({
      aboutMessageId: ABOUT,
      occurredAt: new Date('2026-08-03T06:10:01Z'),
      recipients: [{
        recipient: 'reader@example.com', kind: 'hard_bounce',
        detail: '5.1.1 550 5.1.1 <reader@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
      }],
      ignored: [],
    })
  })

  it('counts a message given up on after retries as a soft bounce (Exim says 5.0.0 for it); a delay is not a bounce yet', async () => {
    const report = await readMailReport(await fixture('exim-gave-up-and-delayed.eml'))
    expect(report.aboutMessageId).toBe(ABOUT)
    expect(report.recipients).toEqual([{ recipient: 'reader@example.com', kind: 'soft_bounce', detail: '5.0.0 retry timeout exceeded' }])
    expect(report.ignored).toEqual(['other@example.com: delayed 4.2.2'])
    // no Arrival-Date: the report's own date
    expect(report.occurredAt).toEqual(new Date('2026-08-05T07:12:44Z'))
  })

  it('reads a failure by its status class, or by the SMTP reply where the class says little (x.0.0)', async () => {
    const postfix = (await fixture('postfix-hard-bounce.eml')).toString()
    const withStatus = (status: string, diagnostic: string) =>
      readMailReport(postfix.replace('Status: 5.1.1', `Status: ${status}`).replace(/Diagnostic-Code: smtp; 550 5\.1\.1 [^]*?mailbox table\n/, `Diagnostic-Code: ${diagnostic}\n`))
    const kind = async (status: string, diagnostic: string) => (await withStatus(status, diagnostic)).recipients[0]?.kind
    expect(await kind('4.2.2', 'smtp; 452 4.2.2 Mailbox full')).toBe('soft_bounce')
    expect(await kind('5.0.0', 'smtp; 452 Mailbox full')).toBe('soft_bounce')
    expect(await kind('5.0.0', 'smtp; 550 No such user')).toBe('hard_bounce')
    expect(await kind('5.2.2 (over quota)', 'smtp; 552 5.2.2 Over quota')).toBe('hard_bounce')
    // a comment after the action; control characters never kept
    const commented = await readMailReport(postfix.replace('Action: failed', 'Action: failed (permanent)').replace('Recipient address\n    rejected', 'Recipient address \u001b[31m\n    rejected'))
    expect(commented.recipients[0]).toMatchObject({ kind: 'hard_bounce' })
    expect(commented.recipients[0]!.detail).not.toMatch(/[\u0000-\u001f]/)
  })

  it('reads the reports of internationalised mail (RFC 6533: global-delivery-status)', async () => {
    const global = (await fixture('postfix-hard-bounce.eml')).toString()
      .replace('report-type=delivery-status', 'report-type=global-delivery-status').replace('Content-Type: message/delivery-status', 'Content-Type: message/global-delivery-status')
    expect((await readMailReport(global)).recipients).toMatchObject([{ recipient: 'reader@example.com', kind: 'hard_bounce' }])
  })

  it('records nothing for a success notification', async () => {
    const report = await readMailReport(await fixture('delivered.eml'))
    expect(report.recipients).toEqual([])
    expect(report.ignored).toEqual(['reader@example.com: delivered 2.0.0'])
  })

  it('reads an abuse report (ARF) as a complaint by the returned copy\'s recipient; other feedback types are not complaints', async () => {
    const abuse = await readMailReport(await fixture('arf-abuse.eml'))
    expect(abuse).toMatchObject({ aboutMessageId: ABOUT, recipients: [{ recipient: 'Reader@Example.com', kind: 'complaint', detail: 'feedback: abuse' }] })
    // Original-Rcpt-To, when the report has it, names the recipient
    const named = await readMailReport((await fixture('arf-abuse.eml')).toString().replace('Version: 1\n', 'Version: 1\nOriginal-Rcpt-To: <someone@example.com>\n'))
    expect(named.recipients).toMatchObject([{ recipient: 'someone@example.com', kind: 'complaint' }])
    const notSpam = await readMailReport(await fixture('arf-not-spam.eml'))
    expect(notSpam).toMatchObject({ recipients: [], ignored: ['feedback of type not-spam'] })
  })

  it('refuses what is no report: an auto-reply, a report without its report part', async () => {
    await expect(readMailReport(await fixture('out-of-office.eml'))).rejects.toThrow(NotAReport)
    const withoutStatus = (await fixture('postfix-hard-bounce.eml')).toString().replace('Content-Type: message/delivery-status', 'Content-Type: text/plain')
    await expect(readMailReport(withoutStatus)).rejects.toThrow(/delivery-status report without its report part/)
  })

  it('reads a report whose copy returns no Message-ID as about no message', async () => {
    const raw = (await fixture('postfix-hard-bounce.eml')).toString().replace(/^Message-ID: <abc123.*\n/m, '')
    expect((await readMailReport(raw)).aboutMessageId).toBeNull()
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSmtpMailer } from '../../../src/email/transport/mailer.ts'
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/** Where mail servers send their reports back: the SMTP envelope's sender, not the From header readers reply to. */
let t: TestApp
let sink: SmtpSink
beforeAll(async () => {
  t = await buildTestApp({ workers: true, env: { MAIL_RETURN_PATH: 'bounces@paperboy.test' } })
  sink = await startSmtpSink()
})
afterAll(async () => {
  await sink?.close()
  await t?.close()
})

const message = (to: string) => ({
  from: 'Paperboy <digest@paperboy.test>', to, subject: 'Hello', html: '<p>Hi</p>', text: 'Hi', messageId: `<${crypto.randomUUID()}@paperboy.test>`,
  listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' },
})

describe('the return path', () => {
  it('is the From address unless one is set; the From header stays', async () => {
    for (const [returnPath, expected] of [[undefined, 'digest@paperboy.test'], ['bounces@paperboy.test', 'bounces@paperboy.test']] as const) {
      const mailer = createSmtpMailer(sink.url, returnPath ? { returnPath } : {})
      const to = anEmail('return-path')
      await mailer.send(message(to))
      const [got] = await sink.waitFor(to)
      expect(got!.envelopeFrom).toBe(expected)
      expect(got!.parsed.from?.value[0]?.address).toBe('digest@paperboy.test')
      await mailer.close()
    }
  })

  it('is MAIL_RETURN_PATH for the emails the service sends', async () => {
    const email = anEmail('return-path-app')
    await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email } })
    const [confirmation] = await t.smtp.waitFor(email)
    expect(confirmation!.envelopeFrom).toBe('bounces@paperboy.test')
  })
})

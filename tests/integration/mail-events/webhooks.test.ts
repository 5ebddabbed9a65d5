import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emailHash } from '../../../src/subscribers/email-address.ts'
import { mailgunSignature, sendgridSigner, snsSigner } from '../../helpers/providers.ts'
import { uniqueDay } from '../../helpers/papers.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/**
 * Provider webhooks against the real app, PostgreSQL and Redis: payloads shaped as each provider documents them,
 * signed with each provider's real scheme (keys made in the test), verified by the production code. Real-shaped ones
 * suppress or unsubscribe exactly once; forged, unsigned and replayed ones get a 4xx that says why and change nothing.
 */
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:paperboy-ses-notices'
const POSTMARK = 'postmark:correct-horse-battery-staple'
const MAILGUN_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'

let t: TestApp
let sns: Awaited<ReturnType<typeof snsSigner>>
const sendgrid = sendgridSigner()
const snsRequests: string[] = []

beforeAll(async () => {
  sns = await snsSigner()
  t = await buildTestApp({
    workers: false,
    env: {
      SES_SNS_TOPIC_ARNS: `arn:aws:sns:eu-west-1:123456789012:other,${TOPIC}`, POSTMARK_WEBHOOK_AUTH: POSTMARK,
      MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY, SENDGRID_WEBHOOK_PUBLIC_KEY: sendgrid.publicKey, SOFT_BOUNCE_LIMIT: '3',
    },
    // SNS, as far as this test goes: the certificate at its URL, and 200 for a subscription confirmation
    runtime: {
      snsGet: async (url) => {
        snsRequests.push(url)
        return url === sns.certUrl ? { status: 200, text: sns.certificate } : { status: 200, text: '<ConfirmSubscriptionResponse/>' }
      },
    },
  })
})
afterAll(() => t?.close())

const subscriber = (label: string) =>
  t.prisma.subscriber.create({ data: { email: anEmail(label), status: 'active', confirmedAt: new Date() } })
const state = async (email: string) => ({
  status: (await t.prisma.subscriber.findUnique({ where: { email } }))?.status,
  suppressed: (await t.prisma.suppression.findUnique({ where: { emailHash: emailHash(email) } }))?.reason ?? null,
  events: await t.prisma.mailEvent.count({ where: { emailHash: emailHash(email) } }),
})
const post = (provider: string, body: string | object, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST', url: `/webhooks/${provider}`,
    headers: { 'content-type': provider === 'ses' ? 'text/plain; charset=UTF-8' : 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('Amazon SES through SNS', () => {
  const notification = (message: object, over: Record<string, string> = {}, version: '1' | '2' = '2') =>
    JSON.stringify(sns.message({ Type: 'Notification', MessageId: randomUUID(), TopicArn: TOPIC, Message: JSON.stringify(message), Timestamp: new Date().toISOString(), ...over }, version))
  const bounce = (email: string, bounceType = 'Permanent') => ({
    notificationType: 'Bounce',
    bounce: { bounceType, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: email, action: 'failed', status: '5.1.1', diagnosticCode: `smtp; 550 5.1.1 <${email}>: user unknown` }], timestamp: new Date().toISOString(), feedbackId: randomUUID() },
    mail: { timestamp: new Date().toISOString(), messageId: randomUUID(), destination: [email] },
  })

  it('confirms the subscription SNS asks for, once its signature checks out', async () => {
    const subscribeUrl = `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=${randomUUID()}`
    const confirmation = sns.message({ Type: 'SubscriptionConfirmation', MessageId: randomUUID(), Token: 'tok', TopicArn: TOPIC, Message: 'You have chosen to subscribe…', SubscribeURL: subscribeUrl, Timestamp: new Date().toISOString() })
    const forged = { ...confirmation, SubscribeURL: `${subscribeUrl}&evil=1` }
    const refused = await post('ses', JSON.stringify(forged))
    expect(refused.statusCode).toBe(401)
    expect(snsRequests).not.toContain(forged.SubscribeURL)
    const res = await post('ses', JSON.stringify(confirmation))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().note).toBe(`subscribed to ${TOPIC}`)
    expect(snsRequests).toContain(subscribeUrl)
  })

  it('suppresses a hard bounce once, with either signature version, and unsubscribes on a complaint', async () => {
    const a = await subscriber('ses-bounce')
    const body = notification(bounce(a.email), {}, '1')
    expect((await post('ses', body)).json()).toEqual({ status: 'ok', recorded: { suppressed: 1 } })
    expect(await state(a.email)).toEqual({ status: 'bounced', suppressed: 'bounce', events: 1 })
    // the provider's reason is kept without the address
    const [stored] = await t.prisma.mailEvent.findMany({ where: { emailHash: emailHash(a.email) } })
    expect(stored!.detail).toBe('Permanent General 5.1.1 smtp; 550 5.1.1 <<address>>: user unknown')
    // SNS delivering it again: recorded once
    expect((await post('ses', body)).json()).toEqual({ status: 'ok', recorded: { duplicate: 1 } })
    expect((await state(a.email)).events).toBe(1)

    const b = await subscriber('ses-complaint')
    const complaint = { notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: b.email.toUpperCase() }], timestamp: new Date().toISOString(), feedbackId: randomUUID(), complaintFeedbackType: 'abuse' }, mail: {} }
    expect((await post('ses', notification(complaint))).json()).toEqual({ status: 'ok', recorded: { unsubscribed: 1 } })
    expect(await state(b.email)).toEqual({ status: 'unsubscribed', suppressed: 'complaint', events: 1 })

    // "not-spam" feedback is no complaint
    const c = await subscriber('ses-not-spam')
    const notSpam = { notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: c.email }], timestamp: new Date().toISOString(), feedbackId: randomUUID(), complaintFeedbackType: 'not-spam' }, mail: {} }
    expect((await post('ses', notification(notSpam))).json()).toMatchObject({ status: 'ok', recorded: {} })
    expect(await state(c.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
  })

  it('suppresses an address at its third transient bounce within the window', async () => {
    const a = await subscriber('ses-soft')
    const outcomes = []
    for (let i = 0; i < 3; i++) outcomes.push((await post('ses', notification(bounce(a.email, 'Transient')))).json().recorded)
    expect(outcomes).toEqual([{ counted: 1 }, { counted: 1 }, { suppressed: 1 }])
    expect(await state(a.email)).toEqual({ status: 'bounced', suppressed: 'soft-bounces', events: 3 })
  })

  it('refuses a forged signature, a certificate from elsewhere, another topic and an old message, changing nothing', async () => {
    const a = await subscriber('ses-forged')
    const good = JSON.parse(notification(bounce(a.email))) as Record<string, string>
    const cases: [string, string, number, RegExp][] = [
      ['tampered message', JSON.stringify({ ...good, Message: JSON.stringify(bounce(anEmail('someone-else'))) }), 401, /valid SNS signature/],
      ['signed by another key', JSON.stringify(sns.message({ ...good }, '2', sns.otherKey)), 401, /valid SNS signature/],
      ['certificate elsewhere', JSON.stringify({ ...good, SigningCertURL: 'https://evil.example/cert.pem' }), 401, /not on an SNS host/],
      ['certificate in an S3 bucket named sns', JSON.stringify({ ...good, SigningCertURL: 'https://sns.s3.amazonaws.com/SimpleNotificationService-00.pem' }), 401, /not on an SNS host/],
      ['unsigned', JSON.stringify({ Type: 'Notification', Message: good.Message }), 401, /not a signed SNS message/],
      ['another topic', notification(bounce(a.email), { TopicArn: 'arn:aws:sns:us-east-1:999999999999:not-ours' }), 401, /not in SES_SNS_TOPIC_ARNS/],
      ['two hours old', notification(bounce(a.email), { Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() }), 409, /more than an hour ago/],
    ]
    for (const [what, body, status, message] of cases) {
      const res = await post('ses', body)
      expect(res.statusCode, what).toBe(status)
      expect(res.json().message, what).toMatch(message)
      expect(res.json().message, what).toMatch(/Nothing was changed/)
    }
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
  })
})

describe('Postmark', () => {
  const auth = (credentials: string) => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })
  const hardBounce = (email: string, id = Math.floor(Math.random() * 1e12)) => ({
    RecordType: 'Bounce', ID: id, Type: 'HardBounce', TypeCode: 1, MessageID: randomUUID(), Email: email,
    BouncedAt: new Date().toISOString(), Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).', Inactive: true,
  })

  it('suppresses a hard bounce once and unsubscribes on a spam complaint, with the webhook credentials only', async () => {
    const a = await subscriber('postmark')
    const event = hardBounce(a.email)
    for (const [what, headers] of [['none', {}], ['wrong', auth('postmark:guessed-password-1')]] as const) {
      const res = await post('postmark', event, headers)
      expect(res.statusCode, what).toBe(401)
      expect(res.json().message).toMatch(/credentials/)
    }
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
    expect((await post('postmark', event, auth(POSTMARK))).json()).toEqual({ status: 'ok', recorded: { suppressed: 1 } })
    expect((await post('postmark', event, auth(POSTMARK))).json()).toEqual({ status: 'ok', recorded: { duplicate: 1 } })
    expect(await state(a.email)).toEqual({ status: 'bounced', suppressed: 'bounce', events: 1 })

    // a type that is not the mailbox saying no (Postmark's Unknown, an auto-responder) counts for nothing
    const c = await subscriber('postmark-unknown')
    for (const Type of ['Unknown', 'AutoResponder', 'SMTPApiError']) {
      expect((await post('postmark', { ...hardBounce(c.email), Type, TypeCode: 0 }, auth(POSTMARK))).json()).toEqual({ status: 'ok', recorded: {} })
    }
    expect(await state(c.email)).toEqual({ status: 'active', suppressed: null, events: 0 })

    const b = await subscriber('postmark-spam')
    const spam = { RecordType: 'SpamComplaint', ID: Math.floor(Math.random() * 1e12), Type: 'SpamComplaint', TypeCode: 100001, Email: b.email, BouncedAt: new Date().toISOString() }
    expect((await post('postmark', spam, auth(POSTMARK))).json()).toEqual({ status: 'ok', recorded: { unsubscribed: 1 } })
    expect(await state(b.email)).toEqual({ status: 'unsubscribed', suppressed: 'complaint', events: 1 })
  })
})

describe('Mailgun', () => {
  const failed = (email: string, severity: 'permanent' | 'temporary', at = new Date(), signingKey = MAILGUN_KEY) => ({
    signature: mailgunSignature(signingKey, at),
    'event-data': { event: 'failed', id: randomUUID(), timestamp: at.getTime() / 1000, severity, reason: 'bounce', recipient: email, 'delivery-status': { code: severity === 'permanent' ? 550 : 452, description: 'mailbox unavailable' } },
  })

  it('suppresses a permanent failure; a temporary one is an attempt Mailgun retries, no bounce', async () => {
    const a = await subscriber('mailgun-hard')
    expect((await post('mailgun', failed(a.email, 'permanent'))).json()).toEqual({ status: 'ok', recorded: { suppressed: 1 } })
    expect(await state(a.email)).toEqual({ status: 'bounced', suppressed: 'bounce', events: 1 })

    const b = await subscriber('mailgun-soft')
    for (let i = 0; i < 3; i++) expect((await post('mailgun', failed(b.email, 'temporary'))).json()).toEqual({ status: 'ok', recorded: {} })
    expect(await state(b.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
  })

  it('refuses another key\'s signature, a replayed token and an old signature, changing nothing', async () => {
    const a = await subscriber('mailgun-forged')
    const forged = await post('mailgun', failed(a.email, 'permanent', new Date(), 'key-not-this-installations-key'))
    expect(forged.statusCode).toBe(401)
    const unsigned = await post('mailgun', { 'event-data': failed(a.email, 'permanent')['event-data'] })
    expect(unsigned.statusCode).toBe(401)
    const old = await post('mailgun', failed(a.email, 'permanent', new Date(Date.now() - 20 * 60_000)))
    expect(old.statusCode).toBe(409)
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 0 })

    const complaint = { signature: mailgunSignature(MAILGUN_KEY, new Date()), 'event-data': { event: 'complained', id: randomUUID(), timestamp: Date.now() / 1000, recipient: a.email } }
    expect((await post('mailgun', complaint)).json()).toEqual({ status: 'ok', recorded: { unsubscribed: 1 } })
    // the same signed payload again: a replay
    const replay = await post('mailgun', complaint)
    expect(replay.statusCode).toBe(409)
    expect(replay.json().message).toMatch(/already delivered/)
    expect(await state(a.email)).toEqual({ status: 'unsubscribed', suppressed: 'complaint', events: 1 })
  })
})

describe('SendGrid', () => {
  const batch = (events: object[]) => JSON.stringify(events)
  const now = () => Math.floor(Date.now() / 1000)

  it('applies a signed batch: bounces, blocks, spam reports; other events are not bounces', async () => {
    const [hard, blocked, spam, deferred] = await Promise.all([subscriber('sg-hard'), subscriber('sg-blocked'), subscriber('sg-spam'), subscriber('sg-deferred')])
    const body = batch([
      { email: hard.email, timestamp: now(), event: 'bounce', type: 'bounce', sg_event_id: randomUUID(), sg_message_id: 'm1', reason: '550 5.1.1 unknown user', status: '5.1.1' },
      { email: blocked.email, timestamp: now(), event: 'bounce', type: 'blocked', sg_event_id: randomUUID(), sg_message_id: 'm2', reason: '421 try later', status: '4.0.0' },
      { email: spam.email, timestamp: now(), event: 'spamreport', sg_event_id: randomUUID(), sg_message_id: 'm3' },
      { email: deferred.email, timestamp: now(), event: 'deferred', sg_event_id: randomUUID(), sg_message_id: 'm4', response: '400 try again later', attempt: '1' },
    ])
    const res = await post('sendgrid', body, sendgrid.headers(body, new Date()))
    expect(res.json()).toEqual({ status: 'ok', recorded: { suppressed: 1, counted: 1, unsubscribed: 1 } })
    expect(await state(hard.email)).toEqual({ status: 'bounced', suppressed: 'bounce', events: 1 })
    expect(await state(blocked.email)).toEqual({ status: 'active', suppressed: null, events: 1 })
    expect(await state(spam.email)).toEqual({ status: 'unsubscribed', suppressed: 'complaint', events: 1 })
    expect(await state(deferred.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
  })

  it('refuses another key, a tampered body, a replay and an old signature, changing nothing', async () => {
    const a = await subscriber('sg-forged')
    const body = batch([{ email: a.email, timestamp: now(), event: 'bounce', type: 'bounce', sg_event_id: randomUUID(), sg_message_id: 'm' }])
    const cases: [string, string, Record<string, string>, number][] = [
      ['another key', body, sendgrid.headers(body, new Date(), sendgrid.otherKey), 401],
      ['tampered body', body.replace('"bounce","type"', '"spamreport","type"'), sendgrid.headers(body, new Date()), 401],
      ['unsigned', body, {}, 401],
      ['twenty minutes old', body, sendgrid.headers(body, new Date(Date.now() - 20 * 60_000)), 409],
    ]
    for (const [what, sent, headers, status] of cases) expect((await post('sendgrid', sent, headers)).statusCode, what).toBe(status)
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
    const headers = sendgrid.headers(body, new Date())
    expect((await post('sendgrid', body, headers)).statusCode).toBe(200)
    const replay = await post('sendgrid', body, headers)
    expect(replay.statusCode).toBe(409)
    expect(await state(a.email)).toEqual({ status: 'bounced', suppressed: 'bounce', events: 1 })
  })
})

describe('a provider that is not set up', () => {
  it('answers 404 saying which variable sets it up', async () => {
    const bare = await buildTestApp({ workers: false })
    try {
      const res = await bare.app.inject({ method: 'POST', url: '/webhooks/mailgun', headers: { 'content-type': 'application/json' }, payload: '{}' })
      expect(res.statusCode).toBe(404)
      expect(res.json().message).toMatch(/MAILGUN_WEBHOOK_SIGNING_KEY/)
    } finally {
      await bare.close()
    }
  })
})

describe('rates per day', () => {
  it('counts a day\'s sent digests and notices, bounces (SMTP and reported) and complaints', async () => {
    // a day no other test uses: an edition with 3 sent digests and 1 refused during the session
    const day = uniqueDay()
    const edition = await t.prisma.edition.create({ data: { date: new Date(`${day}T00:00:00Z`) } })
    const readers = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((l) => subscriber(`rates-${l}`)))
    for (const [i, r] of readers.entries()) {
      const id = randomUUID()
      await t.prisma.delivery.create({ data: { id, kind: 'digest', subscriberId: r.id, editionId: edition.id, status: i < 3 ? 'sent' : 'bounced', messageId: `<${id}@paperboy.test>`, sentAt: i < 3 ? new Date() : null } })
    }
    // and a confirmation sent that day (UTC)
    const confirmationId = randomUUID()
    await t.prisma.delivery.create({ data: { id: confirmationId, kind: 'confirmation', subscriberId: readers[3]!.id, status: 'sent', messageId: `<${confirmationId}@paperboy.test>`, createdAt: new Date(`${day}T09:00:00Z`), sentAt: new Date() } })
    // one reported hard bounce and one complaint that day
    const at = new Date(`${day}T12:00:00Z`)
    const bounceMessage = { notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: readers[0]!.email }], timestamp: at.toISOString(), feedbackId: randomUUID() }, mail: {} }
    const complaintMessage = { notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: readers[1]!.email }], timestamp: at.toISOString(), feedbackId: randomUUID() }, mail: {} }
    for (const message of [bounceMessage, complaintMessage]) {
      const body = JSON.stringify(sns.message({ Type: 'Notification', MessageId: randomUUID(), TopicArn: TOPIC, Message: JSON.stringify(message), Timestamp: new Date().toISOString() }))
      expect((await post('ses', body)).statusCode).toBe(200)
    }
    expect(await t.deps.mailEventService.dailyRates(day, 1)).toEqual([{ day, sent: 4, attempted: 5, bounces: 2, complaints: 1, bounceRate: 2 / 5, complaintRate: 1 / 4 }])
  })
})

describe('reports mailed back to the sender (RFC 3464 bounces, ARF complaints)', () => {
  const fixture = (name: string) => readFile(path.join(import.meta.dirname, '../../fixtures/mail-reports', name), 'utf8')
  /** A subscriber and a sent email of theirs, as the outbox makes its Message-ID. */
  const sentTo = async (label: string) => {
    const s = await subscriber(label)
    const id = randomUUID()
    const messageId = `<${id}@paperboy.test>`
    await t.prisma.delivery.create({ data: { id, kind: 'confirmation', status: 'sent', subscriberId: s.id, messageId } })
    return { email: s.email, messageId }
  }
  /** A report of `name` about that email, from a server that may name the recipient otherwise (a forwarding mailbox). */
  const report = async (name: string, about: { messageId: string }, recipient = 'reader@example.com', reportId = `<${randomUUID()}@mx.example.net>`) =>
    Buffer.from((await fixture(name)).replaceAll('<abc123@paperboy.example.org>', about.messageId).replaceAll('reader@example.com', recipient)
      .replace(/^Message-I[dD]: .*$/m, `Message-ID: ${reportId}`))

  it('suppresses a hard bounce of a message it sent, once however often and by however many reports it comes', async () => {
    const a = await sentTo('report-hard')
    const raw = await report('postfix-hard-bounce.eml', a, a.email)
    expect(await t.deps.mailEventService.handleReport(raw)).toEqual({ recorded: { suppressed: 1 } })
    expect(await t.deps.mailEventService.handleReport(raw)).toEqual({ recorded: { duplicate: 1 } })
    // another server's report of the same delivery
    expect(await t.deps.mailEventService.handleReport(await report('postfix-hard-bounce.eml', a, a.email))).toEqual({ recorded: { duplicate: 1 } })
    expect(await state(a.email)).toEqual({ status: 'bounced', suppressed: 'bounce', events: 1 })
  })

  it('counts one event a delivery however many recipients a report lists, and another address\'s hard failure as soft', async () => {
    // a forward or an alias's member failed for good: the reader's own mailbox did not say no
    const a = await sentTo('report-forwarded')
    expect(await t.deps.mailEventService.handleReport(await report('postfix-hard-bounce.eml', a, 'forwarded-to@example.net'))).toEqual({ recorded: { counted: 1 } })
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 1 })
    // three failed groups in one report (the soft-bounce limit is 3): one soft bounce, not a suppression
    const b = await sentTo('report-many')
    const group = (n: number) => `Final-Recipient: rfc822; ${b.email}\nAction: failed\nStatus: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 Mailbox full (${n})\n`
    const many = (await report('postfix-hard-bounce.eml', b, b.email)).toString()
      .replace(/Final-Recipient: [^]*?mailbox table\n/, [1, 2, 3].map(group).join('\n'))
    expect(await t.deps.mailEventService.handleReport(Buffer.from(many))).toEqual({ recorded: { counted: 1 } })
    expect(await state(b.email)).toEqual({ status: 'active', suppressed: null, events: 1 })
  })

  it('counts a given-up message as a soft bounce and ignores a delay; unsubscribes on an abuse report', async () => {
    const a = await sentTo('report-soft')
    expect(await t.deps.mailEventService.handleReport(await report('exim-gave-up-and-delayed.eml', a, a.email)))
      .toEqual({ recorded: { counted: 1 }, note: 'ignored: other@example.com: delayed 4.2.2' })
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 1 })

    const b = await sentTo('report-abuse')
    expect(await t.deps.mailEventService.handleReport(await report('arf-abuse.eml', b, b.email))).toEqual({ recorded: { unsubscribed: 1 } })
    expect(await state(b.email)).toEqual({ status: 'unsubscribed', suppressed: 'complaint', events: 1 })
  })

  it('changes nothing for a report about a message it did not send, or one that returns no Message-ID', async () => {
    const a = await sentTo('report-forged')
    // someone who knows the address but not a Message-ID of a message sent to it
    const forged = await report('postfix-hard-bounce.eml', { messageId: `<${randomUUID()}@paperboy.test>` }, a.email)
    expect((await t.deps.mailEventService.handleReport(forged)).note).toMatch(/which this installation did not send/)
    const headless = Buffer.from((await report('postfix-hard-bounce.eml', a, a.email)).toString().replace(/^Message-ID: <[0-9a-f-]+@paperboy\.test>\n/m, ''))
    expect(await t.deps.mailEventService.handleReport(headless)).toEqual({ recorded: {}, note: 'returns no Message-ID to check it against' })
    expect(await state(a.email)).toEqual({ status: 'active', suppressed: null, events: 0 })
  })
})

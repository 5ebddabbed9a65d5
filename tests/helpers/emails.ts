import { JUNE_12, relabelledListing, uniqueDay } from './papers.ts'
import type { CapturedMessage } from './smtp-sink.ts'
import { anEmail, type TestApp } from './test-app.ts'

/**
 * Each email template as a reader receives it: produced by the real app (HTTP, queue, worker, renderer, nodemailer)
 * and captured by the SMTP sink, raw source included.
 */
export async function confirmationEmail(t: TestApp): Promise<CapturedMessage> {
  const email = anEmail('quality')
  const res = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email, topics: ['agents'] } })
  if (res.statusCode !== 202) throw new Error(`subscribe answered ${res.statusCode}: ${res.body}`)
  return (await t.smtp.waitFor(email))[0]!
}

export async function alreadySubscribedEmail(t: TestApp): Promise<CapturedMessage> {
  const { email } = await t.prisma.subscriber.create({ data: { email: anEmail('quality'), status: 'active', confirmedAt: new Date() } })
  const res = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email } })
  if (res.statusCode !== 202) throw new Error(`subscribe answered ${res.statusCode}: ${res.body}`)
  return (await t.smtp.waitFor(email))[0]!
}

/**
 * A digest of a real listing (the 12 June 2026 fixture, moved to a day no other test uses) through the real
 * pipeline: ingest, then send that edition. The subscriber has a topic and a keyword filter so the "Matched" lines
 * show, and ten papers per email, the default.
 */
export async function digestEmail(t: TestApp): Promise<{ message: CapturedMessage; day: string; subscriberId: string }> {
  const day = uniqueDay()
  const listing = await relabelledListing(JUNE_12, day)
  await t.deps.ingestService.ingestFile(listing.file)
  const subscriber = await t.prisma.subscriber.create({
    data: { email: anEmail('quality'), status: 'active', confirmedAt: new Date(), topics: ['agents', 'llm-reasoning'], keywords: ['"speculative decoding"'], skipEmpty: false },
  })
  await t.deps.digestService.sendEdition(day)
  const [message] = await t.smtp.waitFor(subscriber.email, 1, 20_000)
  return { message: message!, day, subscriberId: subscriber.id }
}

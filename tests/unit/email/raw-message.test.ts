import { readFileSync } from 'node:fs'
import path from 'node:path'
import { simpleParser, type ParsedMail } from 'mailparser'
import nodemailer from 'nodemailer'
import { describe, expect, it } from 'vitest'
import { buildDigestContent, type PaperForDigest } from '../../../src/digests/digest-content.ts'
import type { OutgoingEmail } from '../../../src/email/transport/outgoing.ts'
import { assembleMessage, buildRawMessage, mailOptions, type MessageHeads } from '../../../src/email/compose/raw-message.ts'
import { createRenderer } from '../../../src/email/rendering/render.ts'

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/hf-daily-papers/2026-06-12_limit100_sotawhat.json')

type Item = { paper: { id: string; title: string; summary: string; ai_summary?: string; authors: { name: string }[]; upvotes: number; githubRepo?: string; githubStars?: number }; organization?: { fullname?: string } }

function papers(): PaperForDigest[] {
  const items = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Item[]
  return items.slice(0, 10).map(({ paper, organization }) => ({
    id: paper.id,
    title: paper.title,
    summary: paper.summary,
    aiSummary: paper.ai_summary ?? null,
    authors: paper.authors.map((a) => a.name),
    organization: organization?.fullname ?? null,
    upvotes: paper.upvotes,
    githubRepo: paper.githubRepo ?? null,
    githubStars: paper.githubStars ?? null,
    primaryCategory: null,
  }))
}

/** The reference path: nodemailer composes the whole message from the same options the SMTP mailer uses. */
async function viaNodemailer(message: OutgoingEmail, date: Date): Promise<string> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' })
  const info = await transport.sendMail(mailOptions(message, date))
  return (info.message as Buffer).toString('utf8')
}

const headerLines = (raw: string, name: string) =>
  raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ').split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))

function comparable(mail: ParsedMail) {
  const headers = Object.fromEntries(
    [...mail.headers].filter(([key]) => !['content-type', 'content-transfer-encoding'].includes(key)).map(([key, value]) => [key, JSON.stringify(value)]),
  )
  return { subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId, date: mail.date?.toISOString(), headers, contentType: mail.headers.get('content-type') && (mail.headers.get('content-type') as { value: string }).value }
}

describe('buildRawMessage (the fan-out path)', () => {
  it('is the same email as nodemailer builds: headers, subject, text and html parse identically', async () => {
    const renderer = await createRenderer()
    const all = papers()
    // Non-ASCII, quotes and ampersands in the subject and the bodies, a long subject to fold.
    all[0] = { ...all[0]!, title: `Ünïcödé “quotes” & <tags> — ${all[0]!.title} ${'long '.repeat(20)}` }
    const content = buildDigestContent({
      order: 'upvotes',
      papers: all,
      matched: new Map(all.map((p, i) => [p.id, i % 2 ? ['Agents', '"world model" -robot'] : []])),
      editionDate: '2026-06-12',
      frequency: 'daily',
      paperPageBase: 'https://huggingface.co',
    })
    const data = {
      email: 'reader@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why',
      manageUrl: 'https://p.example/preferences/m.token', unsubscribeUrl: 'https://p.example/unsubscribe/u.token?x=1&y=2', viewUrl: 'https://p.example/digests/v/2026-06-12',
      ...content,
      papers: content.papers.map((p) => ({ ...p, feedbackUrl: `https://p.example/feedback/${p.paperId}/f.token` })),
    }
    const rendered = renderer.render({ template: 'digest', data })
    const message: OutgoingEmail = {
      from: 'Paperboy Test <digest@paperboy.test>', to: 'reader@example.org', ...rendered,
      messageId: '<0b7e3c1e-1111-4222-8333-944455556666@paperboy.test>', listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' },
      unsubscribeUrl: data.unsubscribeUrl,
    }
    const date = new Date('2026-06-12T08:00:01.000Z')
    const reference = await viaNodemailer(message, date)
    const fast = buildRawMessage(message, date).toString('utf8')

    const [a, b] = await Promise.all([simpleParser(reference), simpleParser(fast)])
    expect(comparable(b)).toEqual(comparable(a))
    expect(b.text).toBe(rendered.text)
    expect(b.html).toBe(rendered.html)
    expect(b.subject).toBe(rendered.subject)

    for (const raw of [reference, fast]) {
      expect(headerLines(raw, 'List-Unsubscribe')).toEqual(['List-Unsubscribe: <https://p.example/unsubscribe/u.token?x=1&y=2>'])
      expect(headerLines(raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click'])
      expect(headerLines(raw, 'List-ID')).toEqual(['List-ID: "Paperboy digest" <digest.paperboy.test>'])
      expect(headerLines(raw, 'Message-ID')).toEqual([`Message-ID: ${message.messageId}`])
      expect(headerLines(raw, 'Date')).toEqual(['Date: Fri, 12 Jun 2026 08:00:01 +0000'])
      expect(headerLines(raw, 'MIME-Version')).toEqual(['MIME-Version: 1.0'])
    }
    // Identical header lines apart from the transfer encoding and the random boundary.
    const headBlock = (raw: string) => raw.split('\r\n\r\n')[0]!.replace(/boundary="[^"]+"/, 'boundary=B').split('\r\n').sort()
    expect(headBlock(fast)).toEqual(headBlock(reference))
    // The parts' headers too (charset, content type), apart from the transfer encoding.
    const partHeaders = (raw: string) => [...raw.matchAll(/^Content-Type: .*$/gm)].map((m) => m[0].replace(/boundary="[^"]+"/, 'boundary=B')).sort()
    expect(partHeaders(fast)).toEqual(partHeaders(reference))
    expect(fast.split('\r\n').every((line) => Buffer.byteLength(line) < 998)).toBe(true)
    expect(b.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' })
  })

  it('keeps a message without list-unsubscribe (confirmation) identical too', async () => {
    const renderer = await createRenderer()
    const rendered = renderer.render({ template: 'confirm', data: { email: 'a@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why', confirmUrl: 'https://p.example/confirm/abc' } })
    const message: OutgoingEmail = { from: 'digest@paperboy.test', to: 'a@example.org', ...rendered, messageId: '<c@paperboy.test>', listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' } }
    const date = new Date('2026-06-12T08:00:01.000Z')
    const [a, b] = await Promise.all([simpleParser(await viaNodemailer(message, date)), simpleParser(buildRawMessage(message, date))])
    expect(comparable(b)).toEqual(comparable(a))
    expect(b.headers.has('list-unsubscribe')).toBe(false)
  })
})

describe('assembleMessage', () => {
  it('writes each body as base64 in CRLF-separated lines of 76 characters, whatever its length', () => {
    const heads: MessageHeads = { head: 'Subject: s', boundary: '--_b', partHeads: ['Content-Type: text/plain', 'Content-Type: text/html'] }
    const lines = (body: Buffer) => (body.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')
    let seed = 1
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647)
    for (const length of [0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 171, 1000, 4096, ...Array.from({ length: 40 }, () => Math.floor(random() * 70_000))]) {
      const text = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)))
      const html = Buffer.from(Array.from({ length: (length * 7) % 5003 }, () => Math.floor(random() * 256)))
      const expected = `Subject: s\r\n\r\n----_b\r\nContent-Type: text/plain\r\n\r\n${lines(text)}\r\n----_b\r\nContent-Type: text/html\r\n\r\n${lines(html)}\r\n----_b--\r\n`
      expect(assembleMessage(heads, text, html).toString('latin1'), `length ${length}`).toBe(expected)
    }
  })
})

import { describe, expect, it } from 'vitest'
import { createHeadTemplates } from '../../../src/email/compose/head-templates.ts'
import type { OutgoingEmail } from '../../../src/email/transport/outgoing.ts'
import { composeHeads, type MessageHeads } from '../../../src/email/compose/raw-message.ts'

/** A small seeded generator, so a failure names a reproducible case. */
function generator(seed: number) {
  let state = seed
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]) => items[int(items.length)]!
  const word = (alphabet: string, min: number, max: number) => Array.from({ length: min + int(max - min + 1) }, () => alphabet[int(alphabet.length)]).join('')
  return { next, int, pick, word }
}

const LOCAL = 'abcdefghijklmnopqrstuvwxyz0123456789._+-'
const SUBJECTS = [
  'Confirm your Paperboy subscription',
  'EvoArena and more: AI papers, Friday, 12 June 2026',
  'Ünïcödé “quotes” & <tags> — a title long enough that nodemailer has to fold the subject line of this email',
  `${'Long '.repeat(30)}and more: AI papers, Monday, 1 March 2031`,
  'Émoji 🚀 in a title: AI papers, Tuesday, 4 March 2031',
]

function randomEmail(g: ReturnType<typeof generator>, seed: number): OutgoingEmail {
  const domain = `${g.word('abcdefghijklmnopqrstuvwxyz', 1, 20)}.${g.pick(['org', 'example', 'co.uk'])}`
  const message: OutgoingEmail = {
    from: g.pick(['Paperboy <digest@paperboy.test>', 'digest@paperboy.test', '"Paper, Boy" <d@paperboy.test>']),
    to: `${g.word(LOCAL, 1, 64)}@${domain}`,
    subject: g.pick(SUBJECTS),
    text: g.pick(['plain', 'naïve']),
    html: g.pick(['<p>plain</p>', '<p>▲ 3</p>']),
    messageId: `<${g.word('0123456789abcdef-', 8, 80)}@paperboy.test>`,
    listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' },
  }
  if (g.next() < 0.8) message.unsubscribeUrl = `https://p.example/unsubscribe/${g.word('ABCDEFabcdef0123456789_-.', 10, 120)}${g.pick(['', '?x=1&y=2'])}`
  return Object.assign(message, { seed })
}

/** The header blocks as written, the random boundary made comparable. */
const comparable = (heads: MessageHeads) => ({ head: heads.head.replaceAll(heads.boundary, 'BOUNDARY'), partHeads: heads.partHeads })

describe('header templates', () => {
  it('give byte for byte the header block nodemailer composes, for 2,000 seeded emails', () => {
    const heads = createHeadTemplates()
    const g = generator(7)
    for (let seed = 0; seed < 2000; seed++) {
      const message = randomEmail(g, seed)
      const date = new Date(Date.UTC(2026, g.int(12), 1 + g.int(28), g.int(24), g.int(60), g.int(60)))
      expect(comparable(heads(message, date)), `seed ${seed}`).toEqual(comparable(composeHeads(message, date)))
    }
  })

  it('fold a long address, Message-ID and unsubscribe URL the way nodemailer does', () => {
    const heads = createHeadTemplates()
    const message: OutgoingEmail = {
      from: 'Paperboy <digest@paperboy.test>', to: `${'a'.repeat(64)}@${'b'.repeat(40)}.example.org`, subject: 'S', text: 't', html: 'h',
      messageId: `<${'c'.repeat(90)}@paperboy.test>`, listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' },
      unsubscribeUrl: `https://p.example/unsubscribe/${'d'.repeat(100)}`,
    }
    const date = new Date('2026-06-12T08:00:01Z')
    const head = heads(message, date).head
    expect(head).toContain(`\r\nTo:\r\n ${message.to}\r\n`)
    expect(comparable(heads(message, date))).toEqual(comparable(composeHeads(message, date)))
  })

  it('make one template per subject and reuse it for every recipient', () => {
    const heads = createHeadTemplates()
    const base = { from: 'Paperboy <digest@paperboy.test>', subject: 'EvoArena and more', text: 't', html: 'h', listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' } }
    const a = heads({ ...base, to: 'a@example.org', messageId: '<1@paperboy.test>', unsubscribeUrl: 'https://p.example/u/1' }, new Date())
    const b = heads({ ...base, to: 'b@example.org', messageId: '<2@paperboy.test>', unsubscribeUrl: 'https://p.example/u/2' }, new Date())
    const c = heads({ ...base, subject: 'Another subject', to: 'b@example.org', messageId: '<3@paperboy.test>', unsubscribeUrl: 'https://p.example/u/3' }, new Date())
    expect(b.boundary).toBe(a.boundary)
    expect(c.boundary).not.toBe(a.boundary)
    expect(b.head).toContain('To: b@example.org\r\n')
    expect(b.head).toContain('List-Unsubscribe: <https://p.example/u/2>')
  })

  it('leave a value nodemailer would rewrite to nodemailer (quoted, uppercase or non-ASCII addresses)', () => {
    const heads = createHeadTemplates()
    const base = { from: 'Paperboy <digest@paperboy.test>', subject: 'S', text: 't', html: 'h', messageId: '<1@paperboy.test>', listId: { id: 'digest.paperboy.test', name: 'Paperboy digest' } }
    const date = new Date('2026-06-12T08:00:01Z')
    for (const to of ["o'brien@example.org", 'Upper@Example.ORG', 'ünï@exämple.org', 'a,b@example.org', '"quoted local"@example.org']) {
      const message = { ...base, to, unsubscribeUrl: 'https://p.example/u/<1>' }
      expect(comparable(heads(message, date)), to).toEqual(comparable(composeHeads(message, date)))
    }
  })
})

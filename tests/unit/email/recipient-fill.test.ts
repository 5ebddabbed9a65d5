import Handlebars from 'handlebars'
import { describe, expect, it } from 'vitest'
import { appendFilled, asIs, escapeHtml, fillFor, readsOnly } from '../../../src/email/rendering/recipient-fill.ts'
import type { DigestData } from '../../../src/email/rendering/templates.ts'

const shared: DigestData = {
  email: 'a@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why', manageUrl: 'https://p.example/m',
  unsubscribeUrl: 'https://p.example/u', viewUrl: 'https://p.example/v', dateLabel: 'Friday', heading: 'Heading', intro: 'Intro', papers: [],
}
const fields = new Set(Object.keys(shared).filter((f) => f !== 'papers'))
const recipients = [
  { email: 'x&y@example.org', manageUrl: 'https://p.example/m/1?a=1&b=2', unsubscribeUrl: 'https://p.example/u/"1"', viewUrl: "https://p.example/v/<1>'`=" },
  { email: 'b@example.org', manageUrl: 'https://p.example/m/2', unsubscribeUrl: 'https://p.example/u/2', viewUrl: 'https://p.example/v/2' },
]
const filled = (fill: NonNullable<ReturnType<typeof fillFor>>, data: (typeof recipients)[number], escape: (v: string) => string) => {
  const out: Buffer[] = []
  appendFilled(fill, data, escape, out)
  return Buffer.concat(out).toString('utf8')
}

describe('readsOnly', () => {
  const reads = (source: string) => readsOnly(Handlebars.parse(source), fields)
  it('accepts a part that reads the digest’s own fields, through if/unless at most', () => {
    expect(reads('<p>{{heading}}</p>{{#if viewUrl}}<a href="{{viewUrl}}">{{dateLabel}}</a>{{else}}-{{/if}}{{#unless email}}x{{/unless}}{{! note }}')).toBe(true)
  })
  it.each([
    ['a paper', '{{papers.length}}'],
    ['the papers', '{{#each papers}}{{title}}{{/each}}'],
    ['another context', '{{#with heading}}{{this}}{{/with}}'],
    ['the parent', '{{../heading}}'],
    ['@root', '{{@root.heading}}'],
    ['an unknown field', '{{subject}}'],
    ['a partial', '{{> footer}}'],
    ['a helper', '{{lookup . "heading"}}'],
  ])('refuses a part that reads %s', (_what, source) => {
    expect(reads(source)).toBe(false)
  })
})

describe('fillFor', () => {
  it('fills each recipient’s fields, escaped as the HTML template escapes them, wherever and however often they appear', () => {
    const template = Handlebars.compile('<a href="{{viewUrl}}">{{heading}}</a> {{email}} {{#if manageUrl}}<a href="{{manageUrl}}">m</a>{{/if}} {{unsubscribeUrl}} {{email}}', { strict: true })
    const fill = fillFor(template, shared, escapeHtml)!
    expect(fill.fields).toEqual(['viewUrl', 'email', 'manageUrl', 'unsubscribeUrl', 'email'])
    for (const r of recipients) expect(filled(fill, r, escapeHtml)).toBe(template({ ...shared, ...r }))
  })

  it('fills the text template’s fields as they are', () => {
    const template = Handlebars.compile('View: {{viewUrl}}\n{{footerReason}}\nUnsubscribe: {{unsubscribeUrl}}\n', { strict: true, noEscape: true })
    const fill = fillFor(template, shared, asIs)!
    for (const r of recipients) expect(filled(fill, r, asIs)).toBe(template({ ...shared, ...r }))
  })

  it('gives null where a field is not output as itself, escaped as told', () => {
    // triple-stash: not escaped, though the HTML escaping was expected
    expect(fillFor(Handlebars.compile('<a href="{{{viewUrl}}}">v</a>', { strict: true }), shared, escapeHtml)).toBeNull()
    // escaped, though the text expected it as is
    expect(fillFor(Handlebars.compile('{{email}}', { strict: true }), shared, asIs)).toBeNull()
  })

  it('gives null when a shared value happens to hold a stand-in', () => {
    const template = Handlebars.compile('{{heading}} {{email}}', { strict: true })
    const withStandIn = { ...shared, heading: 'PBRECIPIENTXEMAILQ' }
    expect(fillFor(template, withStandIn, escapeHtml)).toBeNull()
  })
})

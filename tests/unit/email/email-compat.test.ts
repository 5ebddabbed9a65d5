import { doIUseEmail } from '@jsx-email/doiuse-email'
import mjml2html from 'mjml'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildDigestContent } from '../../../src/digests/digest-content.ts'
import { createRenderer, type Renderer } from '../../../src/email/rendering/render.ts'

// The clients our readers use (SPEC: Gmail, Outlook, Apple Mail, desktop and phone) plus Yahoo.
const CLIENTS = ['gmail.*', 'outlook.*', 'apple-mail.*', 'yahoo.*']

/**
 * Findings we accept, each for a reason: an unsupported accessibility attribute is ignored by the clients that do not
 * know it and helps screen readers in those that do.
 */
const ACCEPTED = [/^`aria-label attribute` is not supported by/, /^`role attribute` is not supported by/]

let renderer: Renderer
let skeleton: Set<string>
beforeAll(async () => {
  renderer = await createRenderer()
  // MJML's own output for the components our templates use: its findings are the baseline, not ours to fix.
  const html = (await mjml2html('<mjml><mj-body><mj-section><mj-column><mj-text>x</mj-text><mj-button href="https://x.example">b</mj-button><mj-divider /><mj-raw><p>x</p></mj-raw></mj-column></mj-section></mj-body></mjml>')).html
  const base = doIUseEmail(html, { emailClients: CLIENTS })
  skeleton = new Set(base.success ? [] : base.errors)
})

function newFindings(html: string): string[] {
  const result = doIUseEmail(html, { emailClients: CLIENTS })
  if (result.success) return []
  return [...new Set(result.errors)].filter((e) => !skeleton.has(e) && !ACCEPTED.some((ok) => ok.test(e)))
}

const common = { email: 'ada@example.org', homeUrl: 'https://paperboy.example/', senderName: 'Paperboy', footerReason: 'Why you get this.' }

describe('email compatibility (caniemail data)', () => {
  it('finds nothing in the confirmation beyond MJML\'s own skeleton', () => {
    expect(newFindings(renderer.render({ template: 'confirm', data: { ...common, confirmUrl: 'https://paperboy.example/confirm/t' } }).html)).toEqual([])
  })

  it('finds nothing in "already subscribed" beyond MJML\'s own skeleton', () => {
    const data = { ...common, manageUrl: 'https://paperboy.example/preferences/t', unsubscribeUrl: 'https://paperboy.example/unsubscribe/t' }
    expect(newFindings(renderer.render({ template: 'already-subscribed', data }).html)).toEqual([])
  })

  it('finds nothing in a digest beyond MJML\'s own skeleton', () => {
    const content = buildDigestContent({
      order: 'upvotes',
      papers: [{ id: '2606.13681', title: 'EvoArena', summary: 'An abstract.', aiSummary: null, authors: ['Ada', 'Grace'], organization: 'Lab', upvotes: 118, githubRepo: 'https://github.com/a/b', githubStars: 12, primaryCategory: 'cs.CL' }],
      matched: new Map([['2606.13681', ['Agents']]]),
      editionDate: '2026-06-12', frequency: 'daily', paperPageBase: 'https://huggingface.co',
    })
    const data = { ...common, manageUrl: 'https://paperboy.example/preferences/t', unsubscribeUrl: 'https://paperboy.example/unsubscribe/t', viewUrl: 'https://paperboy.example/digests/t/2026-06-12', ...content, papers: content.papers.map((p) => ({ ...p, feedbackUrl: `https://paperboy.example/feedback/${p.paperId}/t` })) }
    expect(newFindings(renderer.render({ template: 'digest', data }).html)).toEqual([])
  })

  it('does report a feature our readers\' clients lack (the check can fail)', () => {
    expect(newFindings('<html><body><div style="display:grid">x</div></body></html>').some((e) => /grid/i.test(e))).toBe(true)
  })
})

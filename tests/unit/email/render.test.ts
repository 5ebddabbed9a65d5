import { describe, expect, it } from 'vitest'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createRenderer, TEMPLATES_DIR, type PaperBlocks } from '../../../src/email/rendering/render.ts'
import type { DigestData, DigestPaper } from '../../../src/email/rendering/templates.ts'
import { createLinks } from '../../../src/links/urls.ts'

const hostile = '<script>alert(1)</script>"\'&'

/** A renderer of the real templates with one change to digest.mjml, in a temporary copy of the templates folder. */
async function withChangedDigest(from: string, to: string, test: (renderer: Awaited<ReturnType<typeof createRenderer>>) => Promise<void>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'paperboy-templates-'))
  try {
    await cp(TEMPLATES_DIR, dir, { recursive: true })
    const mjml = await readFile(path.join(dir, 'digest.mjml'), 'utf8')
    expect(mjml).toContain(from)
    await writeFile(path.join(dir, 'digest.mjml'), mjml.replace(from, to))
    await test(await createRenderer(dir))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('createRenderer', () => {
  it('renders the confirmation email with the link in both parts and escapes what it is given', async () => {
    const renderer = await createRenderer()
    const out = renderer.render({
      template: 'confirm',
      data: { email: `${hostile}@example.org`, homeUrl: 'https://p.example/', senderName: hostile, footerReason: hostile, confirmUrl: 'https://p.example/confirm/abc?x=1&y=2' },
    })
    expect(out.subject).toBe('Confirm your Paperboy subscription')
    expect(out.html).toContain('href="https://p.example/confirm/abc?x&#x3D;1&amp;y&#x3D;2"')
    expect(out.text).toContain('https://p.example/confirm/abc?x=1&y=2')
    expect(out.html).not.toContain('<script>')
    expect(out.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(out.html).not.toMatch(/\{\{|\}\}/)
    // The layout's partials are really included: the footer and the dark-mode styles.
    expect(out.html).toContain('href="https://p.example/"')
    expect(out.html).toContain('prefers-color-scheme: dark')
    expect(out.html.split('\n').every((line) => Buffer.byteLength(line) < 998)).toBe(true)
  })

  it('renders "already subscribed" with the preferences and unsubscribe links', async () => {
    const renderer = await createRenderer()
    const out = renderer.render({
      template: 'already-subscribed',
      data: { email: 'a@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why', manageUrl: 'https://p.example/preferences/t1', unsubscribeUrl: 'https://p.example/unsubscribe/t2' },
    })
    for (const part of [out.html, out.text]) {
      expect(part).toContain('https://p.example/preferences/t1')
      expect(part).toContain('https://p.example/unsubscribe/t2')
    }
    expect(out.text).toMatchInlineSnapshot(`
      "You are already subscribed

      Someone asked to subscribe a@example.org to Paperboy, and this address already gets the digest.
      Nothing has changed. To choose topics, the time of day or how many papers you get, open your preferences:

      https://p.example/preferences/t1

      --
      why
      Unsubscribe: https://p.example/unsubscribe/t2
      Sent by Paperboy - https://p.example/
      "
    `)
  })

  it('refuses to render when a field is missing, instead of sending a hole', async () => {
    const renderer = await createRenderer()
    expect(() => renderer.render({ template: 'confirm', data: { email: 'a@example.org' } as never })).toThrow(/not defined/)
  })

  it('keeps a digest of 50 papers, every field at its longest, under the 102 KB at which Gmail clips a message', async () => {
    const renderer = await createRenderer()
    const links = createLinks('https://paperboy.example.org', 'x'.repeat(32))
    const subscriber = '123e4567-e89b-42d3-a456-426614174000'
    const long = (n: number, word: string) => Array.from({ length: Math.ceil(n / (word.length + 1)) }, () => word).join(' ').slice(0, n)
    const papers: DigestPaper[] = Array.from({ length: 50 }, (_, i) => {
      const paperId = `2607.${String(28000 + i)}`
      return {
        number: i + 1, paperId, feedbackUrl: links.vote(subscriber, paperId, '2026-07-31'), url: `https://huggingface.co/papers/${paperId}`,
        // the longest of the 144 papers of the recorded listings (title 125 characters, author line 98, organisation
        // 51, GitHub repository 69); the summary as long as digest-content cuts it; three topics and a keyword filter
        // (escaped as they would be: an ampersand, apostrophes and quotes, accented names, a Greek letter, a dash)
        title: `β-${long(100, 'Reasoning')} & Agents: It's – ${long(8, 'Bench')}`, authors: `Zoë Müller, ${long(78, 'Author')} et al.`, organization: long(51, 'Institute'), upvotes: 1234,
        githubUrl: `https://github.com/${long(50, 'repository')}`.replace(/ /g, '-'), githubStars: 12345,
        category: 'cs.CL', summary: `We show the model's "agents" & tools – ${long(275, 'summary')}…`, matched: `Agents, LLM reasoning, Code generation, "${long(30, 'keyword')}"`,
      }
    })
    const data: DigestData = {
      email: 'reader@example.org', homeUrl: 'https://paperboy.example.org/', senderName: 'Paperboy', footerReason: 'You subscribed.',
      manageUrl: links.manage(subscriber), unsubscribeUrl: links.unsubscribe(subscriber), viewUrl: links.view(subscriber, '2026-07-31'),
      dateLabel: 'Friday, 31 July 2026', heading: 'Your AI papers for today', intro: '50 papers trending today that match your topics.', papers,
    }
    const html = renderer.renderDigest(data, new Map()).html
    expect(html.length).toBeLessThan(102_000)
  })

  it('renders a digest for sending byte for byte as render does (HTML and text), each paper block once, kept across batches', async () => {
    const renderer = await createRenderer()
    const paper = (id: string, over: Partial<DigestPaper> = {}): DigestPaper => ({
      number: 1, paperId: id, feedbackUrl: '', title: `Paper ${id}: “quotes” & <tags> — ▲`, url: `https://huggingface.co/papers/${id}`, authors: 'Ada, Grace et al.',
      organization: 'Lab', upvotes: 42, githubUrl: 'https://github.com/a/b', githubStars: 7, category: 'cs.CL', summary: `Summary of ${id}, cut…`, matched: 'Agents', ...over,
    })
    const digest = (papers: DigestPaper[], who: string): DigestData => ({
      email: `${who}@example.org`, homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why',
      manageUrl: `https://p.example/preferences/${who}?a=1&b=2`, unsubscribeUrl: `https://p.example/unsubscribe/${who}`, viewUrl: `https://p.example/digests/${who}`,
      dateLabel: 'Friday, 12 June 2026', heading: 'Your AI papers for today', intro: `${papers.length} papers`,
      // each recipient's own vote link on each paper, one with characters HTML escaping rewrites
      papers: papers.map((p, i) => ({ ...p, number: i + 1, feedbackUrl: `https://p.example/feedback/${p.paperId}/${who}${who === 'three' ? '?x=<&>"' : ''}` })),
    })
    const a = paper('2606.1'), b = paper('2606.2', { organization: null, githubUrl: null, githubStars: null, matched: '' })
    const c = paper('2606.3', { githubStars: null, matched: 'RLHF, "world model"' })
    // the same papers in other places and with other reasons, an empty digest
    const batch = [digest([a, b, c], 'one'), digest([c, a], 'two'), digest([{ ...a, matched: 'Other' }, b], 'three'), digest([], 'four'), digest([a, b, c], 'five')]
    const blocks: PaperBlocks = new Map()
    for (const data of batch) {
      const whole = renderer.render({ template: 'digest', data })
      const sent = renderer.renderDigest(data, blocks)
      expect(sent.html.equals(Buffer.from(whole.html, 'utf8')), data.email).toBe(true)
      expect(sent.text.equals(Buffer.from(whole.text, 'utf8')), data.email).toBe(true)
      expect(sent.subject).toBe(whole.subject)
    }
    // a, b, c at 1-3; c, a at 1-2; a with other reasons at 1 (b at 2 again, the fifth digest all again): six blocks
    // for each body
    expect(blocks.size).toBe(12)
    // the blocks outlive a batch: a later batch whose paper row changed (more upvotes) at the same place, with the same
    // reasons, gets that paper's new block, not the kept one (which it replaces)
    const later = digest([{ ...a, upvotes: a.upvotes + 1 }, b], 'six')
    const sent = renderer.renderDigest(later, blocks)
    expect(sent.html.equals(Buffer.from(renderer.render({ template: 'digest', data: later }).html, 'utf8'))).toBe(true)
    expect(sent.text.equals(Buffer.from(renderer.render({ template: 'digest', data: later }).text, 'utf8'))).toBe(true)
    expect(blocks.size).toBe(12)
  })

  it('gives each recipient their own links and address in the head and tail shared with other recipients, escaped as render does', async () => {
    const renderer = await createRenderer()
    const paper: DigestPaper = { number: 1, paperId: '1', feedbackUrl: '', title: 'T', url: 'https://huggingface.co/papers/1', authors: 'A', organization: null, upvotes: 1, githubUrl: null, githubStars: null, category: null, summary: 'S', matched: '' }
    const whos = ['plain', 'x&y', 'q"uote', "ap'os", 'lt<gt>', 'back`tick=eq', 'PBRECIPIENTXEMAILQ', 'PBRECIPIENTXFEEDBACKURLQ', 'ünï']
    const blocks: PaperBlocks = new Map()
    for (const [i, who] of whos.entries()) {
      const data: DigestData = {
        email: `${who}@example.org`, homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why',
        manageUrl: `https://p.example/preferences/${who}?a=1&b=2`, unsubscribeUrl: `https://p.example/unsubscribe/${who}`, viewUrl: `https://p.example/digests/${who}`,
        // two editions' worth of shared fields, alternating
        dateLabel: i % 2 ? 'Friday' : 'Saturday', heading: 'Your AI papers for today', intro: '1 paper', papers: [{ ...paper, feedbackUrl: `https://p.example/feedback/1/${who}` }],
      }
      const whole = renderer.render({ template: 'digest', data })
      const sent = renderer.renderDigest(data, blocks)
      expect(sent.html.toString('utf8'), who).toBe(whole.html)
      expect(sent.text.toString('utf8'), who).toBe(whole.text)
    }
  })

  it('refuses a digest whose recipient field is missing, as render does, even once that part has been filled for others', async () => {
    const renderer = await createRenderer()
    const data: DigestData = {
      email: 'a@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why', manageUrl: 'https://p.example/m',
      unsubscribeUrl: 'https://p.example/u', viewUrl: 'https://p.example/v', dateLabel: 'Friday', heading: 'H', intro: 'None', papers: [],
    }
    const blocks: PaperBlocks = new Map()
    renderer.renderDigest(data, blocks)
    renderer.renderDigest({ ...data, email: 'b@example.org' }, blocks)
    const { manageUrl: _dropped, ...rest } = data
    const missing = rest as DigestData
    expect(() => renderer.render({ template: 'digest', data: missing })).toThrow(/not defined/)
    expect(() => renderer.renderDigest(missing, blocks)).toThrow(/not defined/)
  })

  it('renders the head per recipient when it reads the papers (here their count, beside an intro that does not say it)', async () => {
    await withChangedDigest('<mj-title>{{heading}}, {{dateLabel}}</mj-title>', '<mj-title>{{heading}}, {{dateLabel}} ({{papers.length}})</mj-title>', async (renderer) => {
      const paper = (n: number): DigestPaper => ({ number: n, paperId: String(n), feedbackUrl: `https://p.example/feedback/${n}/a`, title: `T${n}`, url: `https://huggingface.co/papers/${n}`, authors: 'A', organization: null, upvotes: 1, githubUrl: null, githubStars: null, category: null, summary: 'S', matched: '' })
      const blocks: PaperBlocks = new Map()
      for (const papers of [[paper(1), paper(2)], [paper(1)], [paper(1), paper(2), paper(3)]]) {
        const data: DigestData = {
          email: 'a@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why', manageUrl: 'https://p.example/m',
          unsubscribeUrl: 'https://p.example/u', viewUrl: 'https://p.example/v', dateLabel: 'Friday', heading: 'H', intro: 'Some papers', papers,
        }
        const sent = renderer.renderDigest(data, blocks)
        expect(sent.html.toString('utf8')).toContain(`<title>H, Friday (${papers.length})</title>`)
        expect(sent.html.equals(Buffer.from(renderer.render({ template: 'digest', data }).html, 'utf8'))).toBe(true)
      }
    })
  })

  it('renders a digest whole when its paper block needs more than the paper (here the heading, through ../)', async () => {
    await withChangedDigest('Why: {{matched}}', 'Matched: {{matched}} ({{../heading}})', async (renderer) => {
      const data: DigestData = {
        email: 'a@example.org', homeUrl: 'https://p.example/', senderName: 'Paperboy', footerReason: 'why', manageUrl: 'https://p.example/m',
        unsubscribeUrl: 'https://p.example/u', viewUrl: 'https://p.example/v', dateLabel: 'Friday', heading: 'Own heading', intro: '1 paper',
        papers: [{ number: 1, paperId: '1', feedbackUrl: 'https://p.example/feedback/1/a', title: 'T', url: 'https://huggingface.co/papers/1', authors: 'A', organization: null, upvotes: 1, githubUrl: null, githubStars: null, category: null, summary: 'S', matched: 'Agents' }],
      }
      const blocks: PaperBlocks = new Map()
      const sent = renderer.renderDigest(data, blocks)
      expect(sent.html.toString('utf8')).toContain('Matched: Agents (Own heading)')
      expect(sent.html.equals(Buffer.from(renderer.render({ template: 'digest', data }).html, 'utf8'))).toBe(true)
      // the HTML rendered whole; the text template, unchanged, still in pieces
      expect([...blocks.keys()].every((key) => key.startsWith('text'))).toBe(true)
    })
  })
})

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ArxivApiError, ArxivFeedError, parseArxivFeed } from '../../../src/arxiv/arxiv-feed.ts'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/arxiv')
const read = (file: string) => readFileSync(path.join(FIXTURES, file), 'utf8')
/** The arxiv.py recordings wrap the body: {url, status_code, body}. */
const recorded = (file: string) => JSON.parse(read(file)) as { status_code: number; body: string }

describe('parseArxivFeed', () => {
  it('reads every entry of a real 60-entry response: id without version, categories primary first, comment', () => {
    const feed = parseArxivFeed(read('api_2026-07-27_cs-AI-LG-CL-CV-RO-NE_max60_good-feed.xml'))
    expect(feed.totalResults).toBe(614244)
    expect(feed.entries).toHaveLength(60)
    expect(feed.skipped).toEqual([])
    expect(feed.entries[0]).toMatchObject({
      id: '2607.22535',
      version: 1,
      title: 'Robot-Factored World Models via Robot Rendering',
      categories: ['cs.RO', 'cs.CV'],
      primaryCategory: 'cs.RO',
      comment: 'Project Page: https://bjkim95.github.io/rofacto/',
    })
    // the one entry with a journal reference and a DOI
    expect(feed.entries.filter((e) => e.journalRef !== null)).toHaveLength(1)
    expect(feed.entries.filter((e) => e.doi !== null)).toHaveLength(1)
    expect(feed.entries.filter((e) => e.comment !== null)).toHaveLength(31)
    for (const e of feed.entries) expect(e.categories[0]).toBe(e.primaryCategory)
  })

  it('puts the primary category first when it is listed later, and lists each category once', () => {
    const xml = read('api_2026-06-14_all-transformer-AND-cs-LG_max5_sotawhat.xml')
    // Mana is cs.RO; list its cs.RO category last (the API has always listed it first, but nothing promises that)
    const roFirst = '<category term="cs.RO" scheme="http://arxiv.org/schemas/atom"/>'
    const start = xml.indexOf(roFirst)
    const moved = xml.slice(0, start) + xml.slice(start + roFirst.length).replace('<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>', `$&${roFirst}`)
    const mana = parseArxivFeed(moved).entries.find((e) => e.id === '2606.13677')!
    expect(mana.primaryCategory).toBe('cs.RO')
    expect(mana.categories).toEqual(['cs.RO', 'cs.AI', 'cs.CV', 'cs.LG'])
  })

  it('reads the text of an element that has attributes (<title type="text">)', () => {
    const xml = read('api_2026-06-14_all-transformer-AND-cs-LG_max5_sotawhat.xml').replace('<title>Mana: Dexterous', '<title type="text">Mana: Dexterous')
    expect(parseArxivFeed(xml).entries[0]).toMatchObject({ id: '2606.13677', title: 'Mana: Dexterous Manipulation of Articulated Tools' })
  })

  it('stores an alias under the name arXiv lists papers under (cs.SY is eess.SY)', () => {
    const xml = read('api_2026-07-27_cs-AI-LG-CL-CV-RO-NE_max60_good-feed.xml').replace('<category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>', '<category term="cs.SY" scheme="http://arxiv.org/schemas/atom"/>')
    expect(parseArxivFeed(xml).entries[0]!.categories).toEqual(['cs.RO', 'eess.SY'])
  })

  it('reads the 2016 layout: inline namespaces, hard-wrapped title and abstract, categories after the links', () => {
    const feed = parseArxivFeed(read('api-legacy_2016-10-09_id_list-1111.2011v2_arxiv.py.xml'))
    expect(feed.entries).toEqual([
      expect.objectContaining({
        id: '1111.2011',
        version: 2,
        title: 'Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit',
        primaryCategory: 'cond-mat.str-el',
        categories: ['cond-mat.str-el', 'cond-mat.stat-mech'],
        journalRef: 'Phys. Rev. B 85, 115117 (2012)',
      }),
    ])
    expect(feed.entries[0]!.summary).not.toContain('\n')
  })

  it('reads the recorded empty result as no entries', () => {
    const { status_code, body } = recorded('api_2026-04-12_id_list-0000.0000_empty-result_recorded_arxiv.py.json')
    expect(status_code).toBe(200)
    expect(parseArxivFeed(body)).toEqual({ totalResults: 0, entries: [], skipped: [] })
  })

  it('turns the recorded HTTP 400 error feed into an ArxivApiError naming the refused id', () => {
    const { status_code, body } = recorded('api_2026-04-12_id_list-abc_http400-error_recorded_arxiv.py.json')
    expect(status_code).toBe(400)
    const error = (() => {
      try {
        parseArxivFeed(body)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ArxivApiError)
    expect(error).toMatchObject({ code: 'incorrect_id_format_for_abc', message: 'incorrect id format for abc' })
  })

  it('refuses what is not a feed, and a feed cut in the middle, with a clear error', () => {
    expect(() => parseArxivFeed('<html><body>Service unavailable</body></html>')).toThrow(ArxivFeedError)
    expect(() => parseArxivFeed('<html><body>Service unavailable</body></html>')).toThrow(/no <feed> element/)
    expect(() => parseArxivFeed(read('atom-category-feed_2025-08-20_cs.AI_truncated_zotero-arxiv-daily.xml'))).toThrow(/not well-formed XML/)
  })

  it('skips and reports an entry without an id or a title, keeping the others', () => {
    const xml = read('api_2026-06-14_all-transformer-AND-cs-LG_max5_sotawhat.xml')
    const broken = xml.replace(/<title>Mana: Dexterous Manipulation of Articulated Tools<\/title>/, '<title></title>')
    const feed = parseArxivFeed(broken)
    expect(feed.entries).toHaveLength(4)
    expect(feed.skipped).toEqual([{ index: 0, reason: expect.stringContaining('empty title') }])
  })
})

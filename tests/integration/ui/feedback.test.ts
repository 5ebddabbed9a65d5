import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signLink } from '../../../src/links/tokens.ts'
import { launchBrowser, screenshot } from '../../helpers/browser.ts'
import { TEST_APP_SECRET } from '../../helpers/env.ts'
import { JULY_31, JUNE_12, relabelledListing, uniqueDay, untilEditionSettled } from '../../helpers/papers.ts'
import type { CapturedMessage } from '../../helpers/smtp-sink.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

/**
 * "More like this / less like this", end to end: the links of a real digest (sent over SMTP by the real worker),
 * followed in a real Chromium, the vote cast with the page's form; the next day's digest of that reader, and only
 * theirs, comes in another order. Then what must be refused, and what the reader can see and undo.
 */
let t: TestApp
let browser: Browser
let page: Page
const day1 = uniqueDay('06', '12')
const day2 = uniqueDay('07', '31')
let voter: { id: string; email: string }
let other: { id: string; email: string }
let secondDay: Awaited<ReturnType<typeof relabelledListing>>

/** The digest's papers in order, each with its title and vote link, from the text part. */
function papersOf(message: CapturedMessage): { title: string; voteUrl: string; paperId: string }[] {
  const text = message.parsed.text ?? ''
  const titles = [...text.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]!)
  const links = [...text.matchAll(/More like this: (\S+)\?vote=more/g)].map((m) => m[1]!)
  expect(links).toHaveLength(titles.length)
  // and the "less" link of each paper is the same page
  expect([...text.matchAll(/Less like this: (\S+)\?vote=less/g)].map((m) => m[1]!)).toEqual(links)
  return titles.map((title, i) => ({ title, voteUrl: links[i]!, paperId: decodeURIComponent(new URL(links[i]!).pathname.split('/')[2]!) }))
}

const votesOf = async (subscriberId: string) =>
  (await t.prisma.vote.findMany({ where: { subscriberId }, orderBy: { paperId: 'asc' } })).map((v) => [v.paperId, v.vote])

async function send(day: string, readers: { email: string }[], count: number) {
  await t.deps.digestService.sendEdition(day)
  await untilEditionSettled(t.deps.digestService, day)
  return Promise.all(readers.map(async (r) => (await t.smtp.waitFor(r.email, count, 20_000))[count - 1]!))
}

beforeAll(async () => {
  t = await buildTestApp({ listen: true, env: { VOTE_RATE_LIMIT: '8' } })
  browser = await launchBrowser()
  page = await (await browser.newContext({ viewport: { width: 1024, height: 800 } })).newPage()
  await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day1)).file)
  secondDay = await relabelledListing(JULY_31, day2)
  await t.deps.ingestService.ingestFile(secondDay.file)
  // two readers with the same preferences: the whole list, eight papers an email
  const reader = () => t.prisma.subscriber.create({ data: { email: anEmail('taste'), status: 'active', confirmedAt: new Date(), papersPerEmail: 8, skipEmpty: false } })
  voter = await reader()
  other = await reader()
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('votes from the email', () => {
  let firstDigest: ReturnType<typeof papersOf>

  it('are recorded from the page a vote link opens, only by its form, and reorder that reader’s next digest alone', async () => {
    const [voterMail, otherMail] = await send(day1, [voter, other], 1)
    firstDigest = papersOf(voterMail!)
    expect(firstDigest).toHaveLength(8)
    // the same papers for both, each with their own links
    expect(papersOf(otherMail!).map((p) => p.title)).toEqual(firstDigest.map((p) => p.title))
    expect(papersOf(otherMail!)[0]!.voteUrl).not.toBe(firstDigest[0]!.voteUrl)
    // and in the HTML part, and on the "view in browser" page
    expect(voterMail!.parsed.html).toContain(`${firstDigest[0]!.voteUrl}?vote=less`)
    const view = await (await fetch(voterMail!.parsed.text!.match(/View in browser: (\S+)/)![1]!)).text()
    expect(view).toContain(`${firstDigest[0]!.voteUrl}?vote=more`)

    // following the link, as a scanner would, records nothing
    await page.goto(`${firstDigest[0]!.voteUrl}?vote=less`)
    await expect(page.locator('h1').textContent()).resolves.toBe('More or less like this?')
    await expect(page.locator('.lead').textContent()).resolves.toContain(firstDigest[0]!.title)
    // the button the link was for comes first
    await expect(page.locator('form.vote button').first().textContent()).resolves.toContain('Less like this')
    expect(await votesOf(voter.id)).toEqual([])
    await screenshot(page, 'page-vote')

    await page.locator('form.vote button', { hasText: 'Less like this' }).click()
    await expect(page.locator('h1').textContent()).resolves.toBe('Thanks: noted')
    expect(await votesOf(voter.id)).toEqual([[firstDigest[0]!.paperId, -1]])
    // a second vote on the same paper replaces the first
    await page.locator('form.vote button', { hasText: 'More like this' }).click()
    expect(await votesOf(voter.id)).toEqual([[firstDigest[0]!.paperId, 1]])
    await page.locator('form.vote button', { hasText: 'Less like this' }).click()
    for (const n of [2, 5]) {
      await page.goto(`${firstDigest[n]!.voteUrl}?vote=more`)
      await page.locator('form.vote button', { hasText: 'More like this' }).click()
      await expect(page.locator('h1').textContent()).resolves.toBe('Thanks: noted')
    }
    expect(await votesOf(voter.id)).toEqual([[firstDigest[0]!.paperId, -1], [firstDigest[2]!.paperId, 1], [firstDigest[5]!.paperId, 1]].sort())
    expect(await votesOf(other.id)).toEqual([])

    const [voterNext, otherNext] = await send(day2, [voter, other], 2)
    const voterOrder = papersOf(voterNext!).map((p) => p.paperId)
    const otherOrder = papersOf(otherNext!).map((p) => p.paperId)
    // the reader who did not vote gets today's ranking: most upvoted first, then by id
    const byUpvotes = secondDay.items.map((i) => i.paper).sort((a, b) => b.upvotes - a.upvotes || (a.id < b.id ? -1 : 1)).map((p) => p.id)
    expect(otherOrder).toEqual(byUpvotes.slice(0, 8))
    // the voter: papers of the same day, in another order
    expect(voterOrder).toHaveLength(8)
    for (const id of voterOrder) expect(byUpvotes).toContain(id)
    expect(voterOrder).not.toEqual(otherOrder)
  })

  it('shows on the preferences page what the votes taught, and forgets it on request', async () => {
    const manage = (await t.smtp.waitFor(voter.email, 2))[1]!.parsed.text!.match(/Manage preferences: (\S+)/)![1]!
    await page.goto(manage)
    const taught = page.locator('section', { hasText: 'What your votes taught' })
    await expect(taught.textContent()).resolves.toMatch(/From your 3 .*votes/s)
    await expect(taught.locator('li', { hasText: 'more:' }).count()).resolves.toBe(1)
    const exported = (await (await fetch(`${t.url}/api/preferences/${manage.split('/preferences/')[1]}/export`)).json()) as { votes: { vote: string }[]; learnedFromVotes: { votes: number } }
    expect(exported.votes).toHaveLength(3)
    expect(exported.votes.map((v) => v.vote).sort()).toEqual(['less', 'more', 'more'])
    expect(exported.learnedFromVotes.votes).toBe(3)

    await taught.locator('button', { hasText: 'Forget what I taught' }).click()
    await expect(page.locator('.notice').textContent()).resolves.toContain('Forgotten: 3 votes')
    await expect(page.locator('section', { hasText: 'What your votes taught' }).textContent()).resolves.not.toMatch(/From your/)
    expect(await votesOf(voter.id)).toEqual([])
    expect(await t.prisma.readerTaste.count({ where: { subscriberId: voter.id } })).toBe(0)
  })

  it('refuses a forged, expired or foreign vote link, or an unknown vote, with a clear page, recording nothing', async () => {
    const paper = firstDigest[1]!
    const token = new URL(paper.voteUrl).pathname.split('/')[3]!
    const post = (url: string, vote = 'more') => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: `vote=${vote}` })

    // another paper's link with this paper's token: forged
    const forged = await post(`${t.url}/feedback/${encodeURIComponent(firstDigest[3]!.paperId)}/${token}`)
    expect(forged.status).toBe(400)
    expect(await forged.text()).toContain('This link is not valid')
    // expired
    const expired = signLink(TEST_APP_SECRET, 'vote', voter.id, new Date(Date.now() - 1000), paper.paperId)
    const old = await post(`${t.url}/feedback/${encodeURIComponent(paper.paperId)}/${expired}`)
    expect(old.status).toBe(410)
    expect(await old.text()).toContain('This vote link has expired')
    // a paper never sent to this reader, under a link signed for it: day 2 has more papers than their digest held
    const sentToOther = (await t.prisma.delivery.findMany({ where: { subscriberId: other.id } })).flatMap((d) => d.paperIds)
    const notSent = secondDay.items.map((i) => i.paper.id).find((id) => !sentToOther.includes(id))!
    const foreign = signLink(TEST_APP_SECRET, 'vote', other.id, new Date(Date.now() + 86_400_000), notSent)
    const pageFor = await fetch(`${t.url}/feedback/${encodeURIComponent(notSent)}/${foreign}`, { headers: { accept: 'text/html' } })
    expect(pageFor.status).toBe(404)
    const posted = await post(`${t.url}/feedback/${encodeURIComponent(notSent)}/${foreign}`)
    expect(posted.status).toBe(404)
    expect(await posted.text()).toContain('was not in any digest sent to you')
    // not a vote
    const unknown = await post(paper.voteUrl, 'maybe')
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toContain('must be')
    expect(await votesOf(voter.id)).toEqual([])
    expect(await votesOf(other.id)).toEqual([])
  })

  it('bounds a flood of votes from one reader, and erasing the reader erases their votes', async () => {
    // a reader of their own, whose votes so far are none
    const flooder = await t.prisma.subscriber.create({ data: { email: anEmail('taste'), status: 'active', confirmedAt: new Date(), papersPerEmail: 8 } })
    const link = papersOf((await send(day1, [flooder], 1))[0]!)[0]!
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) {
      const res = await fetch(link.voteUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: `vote=${i % 2 ? 'less' : 'more'}` })
      statuses.push(res.status)
      if (res.status === 429) expect(await res.text()).toContain('at most 8 an hour')
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429, 429])
    // the eighth vote (a "less") stands
    expect(await votesOf(flooder.id)).toEqual([[link.paperId, -1]])

    await t.deps.subscriberService.eraseById(flooder.id)
    expect(await t.prisma.vote.count({ where: { subscriberId: flooder.id } })).toBe(0)
    expect(await t.prisma.readerTaste.count({ where: { subscriberId: flooder.id } })).toBe(0)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { createDigestRepository } from '../../../src/digests/digest.repository.ts'
import { createMatchRepository } from '../../../src/digests/match.repository.ts'
import { createDeliveryRepository } from '../../../src/email/outbox/delivery.repository.ts'
import { createDeliveryService } from '../../../src/email/outbox/delivery.service.ts'
import { createRenderer } from '../../../src/email/rendering/render.ts'
import { addDays, digestWindow, weekday } from '../../../src/digests/schedule.ts'
import { emailHash } from '../../../src/subscribers/email-address.ts'
import { pauseEveryoneElse, relabelledListing, uniqueDay, JULY_31, JUNE_12, untilEditionSettled } from '../../helpers/papers.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'
import type { CapturedMessage } from '../../helpers/smtp-sink.ts'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => {
  await t.close()
})

const untilSettled = (date: string, timeoutMs = 20_000) => untilEditionSettled(t.deps.digestService, date, timeoutMs)

const titlesIn = (m: CapturedMessage) => [...m.parsed.text!.matchAll(/^\d+\. (.+)$/gm)].map((x) => x[1])
const header = (m: CapturedMessage, name: string) =>
  m.raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ').split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))

async function aSubscriber(data: Record<string, unknown>) {
  return t.prisma.subscriber.create({ data: { email: anEmail('digest'), status: 'active', confirmedAt: new Date(), ...data } })
}

/** A day of papers and `count` new subscribers with a pending digest each, not queued: the test sends them itself. */
async function digestsNotQueued(count: number) {
  const day = uniqueDay()
  await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
  const subscribers = await Promise.all(Array.from({ length: count }, () => aSubscriber({ papersPerEmail: 2 })))
  const digests = createDigestRepository(t.prisma, 'paperboy.test')
  const ids = (await Promise.all(subscribers.map((s) => digests.createDigestDelivery(s.id, day)))).map((id) => id!)
  return { subscribers, ids }
}

describe('a day of papers, end to end', () => {
  it('sends each due subscriber exactly one digest with exactly their papers, once, and never repeats a paper', async () => {
    const day = uniqueDay()
    const june = await relabelledListing(JUNE_12, day)
    const ingest = await t.deps.ingestService.ingestFile(june.file)
    expect(ingest).toMatchObject({ days: [day], fetched: 30, inserted: 30, skipped: 0 })
    await pauseEveryoneElse(t.prisma)

    const everything = await aSubscriber({ papersPerEmail: 3 })
    const agents = await aSubscriber({ topics: ['agents'], minUpvotes: 5 })
    const decoding = await aSubscriber({ keywords: ['"speculative decoding"', 'MuJoCo OR drone'] })
    const weeklyOtherDay = await aSubscriber({ frequency: 'weekly', weeklyDay: (weekday(day) + 1) % 7 })
    const weeklyToday = await aSubscriber({ frequency: 'weekly', weeklyDay: weekday(day), papersPerEmail: 2 })
    const paused = await aSubscriber({ paused: true })
    const nothingMatches = await aSubscriber({ keywords: ['zyxwvut'] })
    const nothingButSend = await aSubscriber({ keywords: ['zyxwvut'], skipEmpty: false })
    const pending = await t.prisma.subscriber.create({ data: { email: anEmail('pending') } })
    // The arXiv lookup has answered for one paper only: a category filter finds that one, the others wait for theirs.
    const vision = await aSubscriber({ categories: ['cs.CV'] })
    const robust = june.byTitle('Robust-U1')
    await t.deps.papers.recordArxiv({ found: new Map([[robust.id, { categories: ['cs.CV', 'cs.AI'], primaryCategory: 'cs.CV', comment: null, journalRef: null }]]), missing: [], invalid: [] }, new Date())

    const first = await t.deps.digestService.sendEdition(day)
    expect(first.planned).toBeGreaterThanOrEqual(6)
    await untilSettled(day)

    const mailTo = (s: { email: string }) => t.smtp.to(s.email)
    const [m1] = mailTo(everything)
    expect(mailTo(everything)).toHaveLength(1)
    expect(titlesIn(m1!)).toEqual([june.byTitle('EvoArena').title, june.byTitle('MiniMax Sparse').title, june.byTitle('Robust-U1').title])

    // Agents topic, at least 5 upvotes, ranked by upvotes.
    expect(mailTo(agents)).toHaveLength(1)
    const agentTitles = titlesIn(mailTo(agents)[0]!)
    expect(agentTitles[0]).toBe(june.byTitle('EvoArena').title)
    expect(agentTitles).toContain(june.byTitle('Visual Para-Thinker++').title)
    expect(agentTitles).not.toContain(june.byTitle('EvoBrowseComp').title) // 4 upvotes
    expect(agentTitles).not.toContain(june.byTitle('VIA-SD').title)
    expect(agentTitles).not.toContain(june.byTitle('HYDRA-X').title)
    const upvotes = agentTitles.map((title) => june.items.find((i) => i.paper.title === title)!.paper.upvotes)
    expect(upvotes).toEqual([...upvotes].sort((a, b) => b - a))

    expect(titlesIn(mailTo(decoding)[0]!)).toEqual([june.byTitle('VIA-SD').title, june.byTitle('MuJoCo-Drones-Gym').title])
    expect(mailTo(decoding)[0]!.parsed.text).toContain('Why: "speculative decoding"')

    expect(titlesIn(mailTo(vision)[0]!)).toEqual([robust.title])
    expect(mailTo(vision)[0]!.parsed.text).toMatch(/\d+ upvotes - cs\.CV/)
    expect(mailTo(vision)[0]!.parsed.text).toContain('Why: cs.CV')
    expect(mailTo(vision)[0]!.parsed.html).toContain('&middot; cs.CV')

    expect(mailTo(weeklyOtherDay)).toHaveLength(0)
    expect(titlesIn(mailTo(weeklyToday)[0]!)).toHaveLength(2)
    expect(mailTo(weeklyToday)[0]!.parsed.text).toContain('Your weekly AI papers')
    expect(mailTo(paused)).toHaveLength(0)
    expect(mailTo(pending)).toHaveLength(0)
    expect(mailTo(nothingMatches)).toHaveLength(0)
    expect(mailTo(nothingButSend)[0]!.parsed.subject).toMatch(/^No matching AI papers/)

    // Headers of a digest.
    const delivery = await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: everything.id, kind: 'digest' } })
    expect(delivery).toMatchObject({ status: 'sent', attempts: 1, paperIds: titlesIn(m1!).map((title) => june.items.find((i) => i.paper.title === title)!.paper.id) })
    expect(m1!.parsed.messageId).toBe(delivery.messageId)
    expect(header(m1!, 'List-Unsubscribe')).toEqual([`List-Unsubscribe: <${t.deps.links.unsubscribe(everything.id)}>`])
    expect(header(m1!, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click'])
    expect(header(m1!, 'List-ID')).toHaveLength(1)
    expect(header(m1!, 'Date')).toHaveLength(1)
    expect(m1!.parsed.subject).toBe(`${june.byTitle('EvoArena').title} and more: AI papers, ${new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`))}`)
    expect(m1!.parsed.html).toContain(`https://huggingface.co/papers/${june.byTitle('EvoArena').id}`)
    expect(m1!.parsed.text).toContain(t.deps.links.manage(everything.id))
    expect(m1!.parsed.text).toContain(t.deps.links.view(everything.id, day))
    expect((await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: nothingMatches.id, kind: 'digest' } })).status).toBe('skipped')

    // "View in browser" shows the same papers.
    const view = await t.app.inject({ method: 'GET', url: t.deps.links.view(everything.id, day).replace('http://paperboy.test', '') })
    expect(view.statusCode).toBe(200)
    for (const title of titlesIn(m1!)) expect(view.body).toContain(title!.replace(/&/g, '&amp;'))
    expect(view.headers['content-security-policy']).toContain("default-src 'none'")

    // The data export lists every paper sent, from the sent digest itself.
    const exportToken = new URL(t.deps.links.manage(everything.id)).pathname.split('/')[2]!
    const exported = (await t.app.inject({ method: 'GET', url: `/api/preferences/${exportToken}/export` })).json()
    const sentDigest = await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: everything.id, kind: 'digest', status: 'sent' } })
    expect(exported.papersSent.map((p: { paperId: string }) => p.paperId)).toEqual(sentDigest.paperIds)
    expect(sentDigest.paperIds).toHaveLength(titlesIn(m1!).length)

    // The private feed carries the same papers, as Atom and RSS, behind the read-only link.
    const feed = t.deps.links.feed(everything.id)
    const atom = await t.app.inject({ method: 'GET', url: feed.atom.replace('http://paperboy.test', '') })
    expect(atom.statusCode).toBe(200)
    expect(atom.headers['content-type']).toContain('application/atom+xml')
    expect(atom.body).toContain('<feed xmlns="http://www.w3.org/2005/Atom">')
    expect(atom.body.match(/<entry>/g)).toHaveLength(3)
    expect(atom.body).toContain(`<id>https://huggingface.co/papers/${june.byTitle('EvoArena').id}</id>`)
    const rss = await t.app.inject({ method: 'GET', url: feed.rss.replace('http://paperboy.test', '') })
    expect(rss.headers['content-type']).toContain('application/rss+xml')
    expect(rss.body.match(/<item>/g)).toHaveLength(3)
    const manageToken = t.deps.links.manage(everything.id).split('/').pop()
    expect((await t.app.inject({ method: 'GET', url: `/feeds/${manageToken}/atom.xml` })).statusCode).toBe(400)

    // The same day again: nothing new.
    const before = t.smtp.messages.length
    expect((await t.deps.digestService.sendEdition(day)).planned).toBe(0)
    await new Promise((r) => setTimeout(r, 300))
    expect(t.smtp.messages.length).toBe(before)

    // The next day, with yesterday's papers still in the window: no paper is sent twice.
    const next = addDays(day, 1)
    const july = await relabelledListing(JULY_31, next)
    await t.deps.ingestService.ingestFile(july.file)
    await t.deps.digestService.sendEdition(next)
    await untilSettled(next)
    expect(mailTo(everything)).toHaveLength(2)
    const secondTitles = titlesIn(mailTo(everything)[1]!)
    expect(secondTitles).toHaveLength(3)
    for (const title of secondTitles) expect(titlesIn(m1!)).not.toContain(title)
    const julyTop = [...july.items].sort((a, b) => b.paper.upvotes - a.paper.upvotes || a.paper.id.localeCompare(b.paper.id))
    const candidates = [...julyTop.map((i) => i.paper), ...june.items.map((i) => i.paper)].filter((p) => !titlesIn(m1!).includes(p.title))
    candidates.sort((a, b) => b.upvotes - a.upvotes)
    expect(secondTitles).toEqual(candidates.slice(0, 3).map((p) => p.title))
  })

  it('retries an SMTP 4xx with backoff and sends once, with the same Message-ID', async () => {
    const day = uniqueDay()
    await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
    // The scripted answers must hit this subscriber.
    await pauseEveryoneElse(t.prisma)
    const subscriber = await aSubscriber({ papersPerEmail: 1 })
    t.smtp.failNext('451', '421')
    await t.deps.digestService.sendEdition(day)
    await untilSettled(day)
    const messages = t.smtp.to(subscriber.email)
    const delivery = await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: subscriber.id, kind: 'digest' } })
    expect(messages).toHaveLength(1)
    expect(delivery).toMatchObject({ status: 'sent', attempts: 3 })
    expect(messages[0]!.parsed.messageId).toBe(delivery.messageId)
  })

  it('marks an SMTP 5xx as bounced, suppresses the address and does not retry', async () => {
    const day = uniqueDay()
    await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
    // The scripted 550 must hit this subscriber.
    await pauseEveryoneElse(t.prisma)
    const subscriber = await aSubscriber({ papersPerEmail: 1 })
    t.smtp.failNext('550')
    await t.deps.digestService.sendEdition(day)
    await untilSettled(day)
    const delivery = await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: subscriber.id, kind: 'digest' } })
    expect(delivery).toMatchObject({ status: 'bounced', attempts: 1 })
    expect(delivery.lastError).toMatch(/Mailbox unavailable/)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { id: subscriber.id } })).status).toBe('bounced')
    expect(await t.prisma.suppression.findUnique({ where: { emailHash: emailHash(subscriber.email) } })).not.toBeNull()
    expect(t.smtp.to(subscriber.email)).toHaveLength(0)
    // A later subscribe of that address sends nothing and still answers 202.
    const again = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: subscriber.email } })
    expect(again.statusCode).toBe(202)
    expect(await t.prisma.delivery.count({ where: { subscriberId: subscriber.id } })).toBe(1)
  })

  it('claims and marks sent with one statement at a time per process, each carrying what arrived meanwhile', async () => {
    const day = uniqueDay()
    await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
    await pauseEveryoneElse(t.prisma)
    const subscribers = await Promise.all(Array.from({ length: 30 }, () => aSubscriber({ papersPerEmail: 1 })))
    // A slow claim statement: were statements not held back while one runs, lanes would overlap them here.
    const query = t.deps.claimPool.query.bind(t.deps.claimPool)
    let running = 0
    let mostAtOnce = 0
    let statements = 0
    t.deps.claimPool.query = (async (config: unknown, ...rest: unknown[]) => {
      if ((config as { name?: string }).name !== 'delivery-mark-sent-and-claim') return (query as (...a: unknown[]) => unknown)(config, ...rest)
      running++
      statements++
      mostAtOnce = Math.max(mostAtOnce, running)
      try {
        await new Promise((r) => setTimeout(r, 15))
        return await (query as (...a: unknown[]) => unknown)(config, ...rest)
      } finally {
        running--
      }
    }) as typeof t.deps.claimPool.query
    try {
      await t.deps.digestService.sendEdition(day)
      await untilSettled(day)
    } finally {
      t.deps.claimPool.query = query
    }
    for (const s of subscribers) expect(t.smtp.to(s.email)).toHaveLength(1)
    expect(mostAtOnce).toBe(1)
    // 30 claims and 30 sent marks, grouped
    expect(statements).toBeLessThan(60)
  })

  it('sends a delivery once when two send jobs of one process hold it at the same time', async () => {
    // A job the queue gave out again while the first still runs (stalled, or queued again by the sweeper): both load
    // the rows as claimable, and here their lanes claim them in the same statement, which updates each row once.
    const { subscribers, ids } = await digestsNotQueued(12)
    // Both jobs' last read before their lanes start (the papers) is answered in the same turn of the event loop.
    const query = t.deps.pool.query.bind(t.deps.pool)
    const claimQuery = t.deps.claimPool.query.bind(t.deps.claimPool)
    const held: (() => void)[] = []
    const claimStatements: string[][] = []
    t.deps.claimPool.query = (async (config: { name?: string; values?: unknown[] }, ...rest: unknown[]) => {
      if (config.name === 'delivery-mark-sent-and-claim') claimStatements.push(config.values![3] as string[])
      return (claimQuery as (...a: unknown[]) => Promise<unknown>)(config, ...rest)
    }) as typeof t.deps.claimPool.query
    t.deps.pool.query = (async (config: { name?: string; values?: unknown[] }, ...rest: unknown[]) => {
      const result = await (query as (...a: unknown[]) => Promise<unknown>)(config, ...rest)
      if (config.name === 'papers-for-digest' && held.length < 2) {
        await new Promise<void>((resolve) => {
          held.push(resolve)
          if (held.length === 2) held.forEach((release) => release())
        })
      }
      return result
    }) as typeof t.deps.pool.query
    let counts
    try {
      counts = await Promise.all([t.deps.deliveryService.sendBatch(ids), t.deps.deliveryService.sendBatch(ids)])
    } finally {
      t.deps.pool.query = query
      t.deps.claimPool.query = claimQuery
    }
    // the situation this test is about: one statement claimed a row for both jobs
    expect(claimStatements.some((claims) => claims.length !== new Set(claims).size)).toBe(true)
    for (const s of subscribers) expect(t.smtp.to(s.email)).toHaveLength(1)
    expect(counts[0].sent + counts[1].sent).toBe(ids.length)
    expect(counts[0]['not-claimed'] + counts[1]['not-claimed']).toBe(ids.length)
    expect(await t.prisma.delivery.count({ where: { id: { in: ids }, status: 'sent' } })).toBe(ids.length)
  })

  it('plans the claim statement once per connection, and its plan finds the rows by primary key however many are open', async () => {
    // Re-planned for each call (PostgreSQL's choice for it by default), planning cost a third of the statement; its
    // one generic plan must not read the partial index of open rows — at an edition's start, every pending row of it.
    const { subscribers, ids } = await digestsNotQueued(6)
    expect(await t.deps.deliveryService.sendBatch(ids)).toMatchObject({ sent: ids.length })
    const client = await t.deps.claimPool.connect() // its only connection: where the statement is prepared
    try {
      const { rows: [plans] } = await client.query<{ generic_plans: string; custom_plans: string }>(
        `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'delivery-mark-sent-and-claim'`,
      )
      expect(Number(plans!.custom_plans)).toBe(0)
      expect(Number(plans!.generic_plans)).toBeGreaterThan(0)

      // Mostly settled rows and a few hundred open ones, and statistics that know it: here a plan for any ids that
      // may filter on status reads the open rows' index too. All rolled back.
      await client.query('BEGIN')
      await client.query(
        `INSERT INTO deliveries (id, kind, status, subscriber_id, message_id, updated_at)
         SELECT x.id, 'confirmation', (CASE WHEN x.g <= 300 THEN 'pending' ELSE 'sent' END)::delivery_status, $1, '<' || x.id || '@plan.test>', now()
         FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, 20300) g) x`,
        [subscribers[0]!.id],
      )
      await client.query('ANALYZE deliveries')
      const open = (await client.query<{ id: string }>(`SELECT id::text FROM deliveries WHERE message_id LIKE '%@plan.test>' AND status = 'pending' LIMIT 3`)).rows.map((r) => r.id)
      const claims = JSON.stringify(open.map((id) => ({ id, paper_ids: ['2506.00001'], paper_reasons: ['Agents'] })))
      // EXPLAIN EXECUTE takes literals, not bound parameters
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE "delivery-mark-sent-and-claim"('{}', ${client.escapeLiteral(claims)}, now(), ${client.escapeLiteral(`{${open.join(',')}}`)})`,
      )
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
      expect(plan).toContain('deliveries_pkey')
      expect(plan).not.toMatch(/deliveries_(?!pkey)\w+|Seq Scan on deliveries/)
    } finally {
      await client.query('ROLLBACK')
      client.release()
    }
  })

  it('claims nothing when an email of the batch fails to render: the batch throws, a retry sends every email once', async () => {
    const { subscribers, ids } = await digestsNotQueued(12)
    const renderer = await createRenderer()
    let renders = 0
    const breaking = { ...renderer, renderDigest: (...args: Parameters<typeof renderer.renderDigest>) => {
      if (++renders === 3) throw new Error('template broke on the third digest')
      return renderer.renderDigest(...args)
    } }
    const service = (r: typeof renderer) => createDeliveryService({
      deliveries: createDeliveryRepository(t.prisma, t.deps.pool, t.deps.claimPool), matches: createMatchRepository(t.deps.pool), papers: t.deps.papers,
      mailer: t.deps.mailer, renderer: r, links: t.deps.links, queues: t.deps.queues, mailFrom: 'Paperboy Test <digest@paperboy.test>',
      paperPageBase: 'https://huggingface.co', logger: pino({ level: 'silent' }),
    })
    await expect(service(breaking).sendBatch(ids)).rejects.toThrow('template broke on the third digest')
    // every email is rendered before the first claim: nothing is left `sending`, nothing went out
    expect(await t.prisma.delivery.count({ where: { id: { in: ids }, status: 'pending' } })).toBe(ids.length)
    for (const s of subscribers) expect(t.smtp.to(s.email)).toHaveLength(0)
    // the job's retry
    expect(await service(renderer).sendBatch(ids)).toMatchObject({ sent: ids.length, 'not-claimed': 0 })
    for (const s of subscribers) expect(t.smtp.to(s.email)).toHaveLength(1)
  })

  it('shows what a reader\'s choices select on a day: every match counted, an email\'s worth with reasons, sent ones included', async () => {
    const day = uniqueDay()
    await t.deps.ingestService.ingestFile((await relabelledListing(JUNE_12, day)).file)
    const reader = await aSubscriber({ topics: ['agents'], papersPerEmail: 2 })
    const choices = { topics: ['agents'], keywords: [], categories: [], minUpvotes: 0, papersPerEmail: 2, frequency: 'daily' as const }
    const before = (await t.deps.digestService.selection(reader.id, choices, day))!
    expect(before.date).toBe(day)
    expect(before.papers).toHaveLength(2)
    expect(before.total).toBeGreaterThan(2)
    for (const p of before.papers) expect(p.why).toContain('Agents')
    // the first paper goes out to the reader: a digest never selects it again, the preferences page still shows it
    const firstId = decodeURIComponent(before.papers[0]!.url.split('/papers/')[1]!)
    const deliveryId = (await createDigestRepository(t.prisma, 'paperboy.test').createDigestDelivery(reader.id, day))!
    await t.prisma.delivery.update({ where: { id: deliveryId }, data: { status: 'sent', paperIds: [firstId] } })
    const digest = await createMatchRepository(t.deps.pool).selectForSubscriber({ subscriberId: reader.id, ...choices, limit: 50, ...digestWindow(day, 'daily') })
    expect(digest.map((m) => m.paperId)).not.toContain(firstId)
    expect(await t.deps.digestService.selection(reader.id, choices, day)).toEqual(before)
    // a weekly reader's window is the week to that day; choices nothing matches select nothing
    expect((await t.deps.digestService.selection(reader.id, { ...choices, frequency: 'weekly' }, day))!.fromDay).toBe(addDays(day, -6))
    const none = (await t.deps.digestService.selection(reader.id, { ...choices, topics: [], keywords: ['zyxwvut'] }, day))!
    expect(none).toMatchObject({ total: 0, papers: [] })
  })

  it('keeps every other email\'s outcome when one lane of a batch fails: sent marked sent, a 5xx bounced, a 4xx back to failed', async () => {
    const { subscribers, ids } = await digestsNotQueued(12)
    // the fifth wait for a send slot fails (as a lost connection to the rate's Redis would, were it not answered by
    // letting the message go): that lane stops there, the others go on through the rest of the batch
    let waits = 0
    const gate = { wait: async () => { if (++waits === 5) throw new Error('send rate unreachable') }, slowDown: async () => {} }
    const service = createDeliveryService({
      deliveries: createDeliveryRepository(t.prisma, t.deps.pool, t.deps.claimPool), matches: createMatchRepository(t.deps.pool), papers: t.deps.papers,
      mailer: t.deps.mailer, renderer: await createRenderer(), links: t.deps.links, queues: t.deps.queues, mailFrom: 'Paperboy Test <digest@paperboy.test>',
      paperPageBase: 'https://huggingface.co', logger: pino({ level: 'silent' }), sendGate: gate,
    })
    t.smtp.failNext('550', '451')
    // the batch throws (the queue retries it: only the failed and the pending rows are claimable again)
    await expect(service.sendBatch(ids)).rejects.toThrow(/failed transiently|send rate unreachable/)
    const statuses = await t.prisma.delivery.groupBy({ by: ['status'], where: { id: { in: ids } }, _count: true })
    const count = Object.fromEntries(statuses.map((g) => [g.status, g._count]))
    // nothing left `sending`: the failed lane's end did not cut short the marks and outcomes of the other lanes
    expect(count).toEqual({ sent: 9, bounced: 1, failed: 1, pending: 1 })
    expect(subscribers.filter((s) => t.smtp.to(s.email).length === 1)).toHaveLength(9)
  })
})

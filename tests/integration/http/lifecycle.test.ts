import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anEmail, buildTestApp, linkIn, pathOf, type TestApp } from '../../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => {
  await t.close()
})

describe('the subscriber lifecycle', () => {
  it('subscribes, confirms from the email, changes preferences and unsubscribes in one click', async () => {
    const email = anEmail('lifecycle')
    const subscribe = await t.app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: email.toUpperCase(), topics: ['agents', 'robotics'], keywords: ['"world model" -robot'], timezone: 'Europe/Paris' },
    })
    expect(subscribe.statusCode).toBe(202)

    // The confirmation travels through the queue, the worker and real SMTP.
    const [confirmation] = await t.smtp.waitFor(email)
    const mail = confirmation!.parsed
    expect(mail.subject).toBe('Confirm your Paperboy subscription')
    expect(mail.from?.value).toEqual([{ name: 'Paperboy Test', address: 'digest@paperboy.test' }])
    expect(mail.messageId).toMatch(/^<[0-9a-f-]{36}@paperboy\.test>$/)
    expect(confirmation!.raw).toMatch(/^List-ID: "Paperboy Test digest" <digest\.paperboy\.test>\r$/m)
    expect(confirmation!.raw).toMatch(/^Date: /m)
    // Not a list message yet: no unsubscribe header before the address is confirmed.
    expect(confirmation!.raw).not.toMatch(/^List-Unsubscribe/im)
    expect(mail.text).toContain(email)
    expect(mail.html).toContain('Confirm subscription')
    const confirmUrl = linkIn(mail.text!, '/confirm/')
    expect(mail.html).toContain(confirmUrl)

    const stored = await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })
    expect(stored).toMatchObject({ status: 'pending', topics: ['agents', 'robotics'], keywords: ['"world model" -robot'], timezone: 'Europe/Paris' })
    // The SMTP server has the message before the worker records `sent`: wait for the row.
    let delivery = await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: stored.id } })
    for (let i = 0; i < 50 && delivery.status !== 'sent'; i++) {
      await new Promise((r) => setTimeout(r, 100))
      delivery = await t.prisma.delivery.findFirstOrThrow({ where: { subscriberId: stored.id } })
    }
    expect(delivery).toMatchObject({ kind: 'confirmation', status: 'sent', attempts: 1, messageId: mail.messageId })

    // GET shows a button and changes nothing (link scanners prefetch GETs).
    const page = await t.app.inject({ method: 'GET', url: pathOf(confirmUrl) })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.body).toContain(`action="${pathOf(confirmUrl)}"`)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('pending')

    const confirm = await t.app.inject({ method: 'POST', url: pathOf(confirmUrl) })
    expect(confirm.statusCode).toBe(200)
    expect(confirm.body).toContain('You are subscribed')
    const active = await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })
    expect(active.status).toBe('active')
    expect(active.confirmedAt).toBeInstanceOf(Date)

    // The confirmation page links to the preferences page.
    const manageUrl = /href="(http:\/\/paperboy\.test\/preferences\/[^"]+)"/.exec(confirm.body)![1]!
    const prefsPage = await t.app.inject({ method: 'GET', url: pathOf(manageUrl), headers: { accept: 'text/html' } })
    expect(prefsPage.statusCode).toBe(200)
    expect(prefsPage.body).toContain(email)
    expect(prefsPage.body).toMatch(/value="agents" checked/)

    const token = pathOf(manageUrl).split('/')[2]!
    const update = await t.app.inject({
      method: 'PUT',
      url: `/api/preferences/${token}`,
      payload: { topics: ['llm-reasoning'], papersPerEmail: 5, minUpvotes: 10, frequency: 'weekly', weeklyDay: 5, sendHour: 7, skipEmpty: false },
    })
    expect(update.statusCode).toBe(200)
    expect(update.json()).toMatchObject({ email, status: 'active', topics: ['llm-reasoning'], papersPerEmail: 5, minUpvotes: 10, frequency: 'weekly', weeklyDay: 5, sendHour: 7, skipEmpty: false, timezone: 'Europe/Paris' })
    expect(await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).toMatchObject({ topics: ['llm-reasoning'], papersPerEmail: 5, frequency: 'weekly' })

    // The HTML form posts the same preferences as a browser would.
    const form = await t.app.inject({
      method: 'POST',
      url: `/preferences/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'topics=agents&topics=efficiency&keywords=diffusion%0D%0A%22world+model%22&categories=cs.RO&categories=cs.CL&moreCategories=q-bio.gn%2C+physics.flu-dyn&papersPerEmail=12&minUpvotes=0&frequency=daily&weeklyDay=1&sendHour=9&timezone=America%2FNew_York&paused=on',
    })
    expect(form.statusCode, form.body).toBe(200)
    expect(form.body).toContain('Saved.')
    expect(await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).toMatchObject({
      topics: ['agents', 'efficiency'], keywords: ['diffusion', '"world model"'], papersPerEmail: 12, sendHour: 9,
      categories: ['cs.RO', 'cs.CL', 'q-bio.GN', 'physics.flu-dyn'],
      timezone: 'America/New_York', paused: true, skipEmpty: false, frequency: 'daily',
    })
    // the saved page shows the common categories ticked and the others in the text field
    expect(form.body).toMatch(/value="cs\.RO" checked/)
    expect(form.body).not.toMatch(/value="cs\.CV" checked/)
    expect(form.body).toContain('value="q-bio.GN physics.flu-dyn"')

    // the JSON API reads and writes categories too, spelled as arXiv does
    const categories = await t.app.inject({ method: 'PUT', url: `/api/preferences/${token}`, payload: { categories: ['CS.cv', 'stat.ML', 'cs.CV', 'cs.SY', 'eess.SY', 'stat.TH'] } })
    expect(categories.statusCode, categories.body).toBe(200)
    // an alias is stored as the name arXiv lists papers under (cs.SY papers come back as eess.SY)
    expect(categories.json().categories).toEqual(['cs.CV', 'stat.ML', 'eess.SY', 'math.ST'])

    // RFC 8058 one-click: a form-urlencoded POST, 200, no redirect, no cookie.
    const unsubscribeUrl = /href="(http:\/\/paperboy\.test\/unsubscribe\/[^"]+)"/.exec(form.body)![1]!
    const unsubscribe = await t.app.inject({
      method: 'POST',
      url: pathOf(unsubscribeUrl),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    })
    expect(unsubscribe.statusCode).toBe(200)
    expect(unsubscribe.headers['set-cookie']).toBeUndefined()
    expect(unsubscribe.headers.location).toBeUndefined()
    const gone = await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })
    expect(gone.status).toBe('unsubscribed')
    expect(gone.unsubscribedAt).toBeInstanceOf(Date)
  })

  it('accepts the one-click unsubscribe as multipart/form-data too', async () => {
    const email = anEmail('multipart')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', confirmedAt: new Date() } })
    const token = pathOf(t.deps.links.unsubscribe(subscriber.id))
    const boundary = '----paperboy'
    const response = await t.app.inject({
      method: 'POST',
      url: token,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    })
    expect(response.statusCode).toBe(200)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('unsubscribed')
  })

  it('shows a button on GET /unsubscribe and changes nothing until it is pressed', async () => {
    const email = anEmail('unsub-get')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', confirmedAt: new Date() } })
    const url = pathOf(t.deps.links.unsubscribe(subscriber.id))
    const page = await t.app.inject({ method: 'GET', url })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain(`action="${url}"`)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('active')
  })

  it('answers an already active address with a "you are already subscribed" email holding the preferences link', async () => {
    const email = anEmail('already')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', confirmedAt: new Date(), topics: ['agents'] } })
    const response = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email, topics: ['robotics'] } })
    expect(response.statusCode).toBe(202)
    const [message] = await t.smtp.waitFor(email)
    expect(message!.parsed.subject).toBe('You are already subscribed to Paperboy')
    expect(message!.parsed.text).toContain(t.deps.links.manage(subscriber.id))
    const unfolded = message!.raw.replace(/\r\n[ \t]+/g, ' ')
    const unsubscribeHeaders = unfolded.match(/^List-Unsubscribe: .*$/gim)?.map((h) => h.trim())
    expect(unsubscribeHeaders).toEqual([`List-Unsubscribe: <${t.deps.links.unsubscribe(subscriber.id)}>`])
    expect(unfolded).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m)
    // The public form never changes an active subscriber's choices.
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).topics).toEqual(['agents'])
  })

  it('sends at most one confirmation a day to one address, with the same answer every time', async () => {
    const email = anEmail('throttle')
    const bodies = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email } })
      expect(r.statusCode).toBe(202)
      bodies.add(r.body)
    }
    expect(bodies.size).toBe(1)
    await t.smtp.waitFor(email)
    await new Promise((r) => setTimeout(r, 500))
    expect(t.smtp.to(email)).toHaveLength(1)
    const subscriber = await t.prisma.subscriber.findUniqueOrThrow({ where: { email }, include: { deliveries: true } })
    expect(subscriber.deliveries).toHaveLength(1)
  })

  it('subscribes from the landing page form and answers with a page', async () => {
    const landing = await t.app.inject({ method: 'GET', url: '/' })
    expect(landing.statusCode).toBe(200)
    expect(landing.body).toContain('name="email"')
    expect(landing.body).toContain('value="llm-reasoning"')
    const email = anEmail('form')
    const response = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: `email=${encodeURIComponent(email)}&topics=agents&topics=speech-audio&timezone=Asia%2FTokyo`,
    })
    expect(response.statusCode).toBe(202)
    expect(response.body).toContain('Check your inbox')
    expect(await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).toMatchObject({ topics: ['agents', 'speech-audio'], timezone: 'Asia/Tokyo', status: 'pending' })
    await t.smtp.waitFor(email)
  })

  it('exports the data and erases the subscriber, after which every link is dead', async () => {
    const email = anEmail('erase')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'active', confirmedAt: new Date(), keywords: ['diffusion'], categories: ['cs.RO'] } })
    const manage = pathOf(t.deps.links.manage(subscriber.id))
    const token = manage.split('/')[2]!
    const exported = await t.app.inject({ method: 'GET', url: `/api/preferences/${token}/export` })
    expect(exported.statusCode).toBe(200)
    expect(exported.json().subscriber).toMatchObject({ email, keywords: ['diffusion'], categories: ['cs.RO'], status: 'active' })

    const erase = await t.app.inject({
      method: 'POST',
      url: `${manage}/delete`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'confirm=yes',
    })
    expect(erase.statusCode).toBe(200)
    expect(await t.prisma.subscriber.findUnique({ where: { email } })).toBeNull()
    for (const url of [manage, pathOf(t.deps.links.unsubscribe(subscriber.id)), `/api/preferences/${token}`]) {
      const r = await t.app.inject({ method: 'GET', url })
      expect(r.statusCode).toBe(404)
    }
  })

  it('lets an unsubscribed reader come back from the preferences page without a new confirmation', async () => {
    const email = anEmail('comeback')
    const subscriber = await t.prisma.subscriber.create({ data: { email, status: 'unsubscribed', unsubscribedAt: new Date() } })
    const manage = pathOf(t.deps.links.manage(subscriber.id))
    const page = await t.app.inject({ method: 'GET', url: manage })
    expect(page.body).toContain('Subscribe again')
    const r = await t.app.inject({ method: 'POST', url: `${manage}/resubscribe` })
    expect(r.statusCode).toBe(200)
    expect((await t.prisma.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('active')
  })

  it('lists the topic catalogue and the arXiv categories, and reports health and readiness', async () => {
    const topics = await t.app.inject({ method: 'GET', url: '/api/topics' })
    expect(topics.statusCode).toBe(200)
    expect(topics.json()).toContainEqual(expect.objectContaining({ slug: 'agents', name: 'Agents', group: 'Language models' }))
    expect(topics.json()).toHaveLength(25)
    const categories = await t.app.inject({ method: 'GET', url: '/api/categories' })
    expect(categories.statusCode).toBe(200)
    expect(categories.json()).toContainEqual({ code: 'cs.CL', name: 'Computation and Language' })
    expect(categories.json()).toHaveLength(149)
    expect(categories.json().map((c: { code: string }) => c.code)).not.toContain('cs.SY') // an alias, not a category of its own
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', postgres: true, redis: true })
  })
})

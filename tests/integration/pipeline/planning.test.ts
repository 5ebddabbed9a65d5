import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDigestRepository } from '../../../src/digests/digest.repository.ts'
import { createDigestService } from '../../../src/digests/digest.service.ts'
import { anEmail, buildTestApp, type TestApp } from '../../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  // No workers: planning is checked by the rows and jobs it creates.
  t = await buildTestApp({ workers: false })
})
afterAll(async () => {
  await t.close()
})

function plannerAt(iso: string) {
  const queued: string[] = []
  const service = createDigestService({
    digests: createDigestRepository(t.prisma, 'paperboy.test'),
    papers: { latestDay: async () => null, findByIds: async () => [] },
    links: t.deps.links,
    paperPageBase: 'https://huggingface.co',
    subscribers: { findById: () => { throw new Error('not used') } },
    deliveries: t.deps.deliveryService,
    matches: { selectForSubscriber: () => { throw new Error('not used') } },
    renderer: { render: () => { throw new Error('not used') } },
    queues: { enqueueSends: async (ids) => { queued.push(...ids) } },
    secret: 'x'.repeat(32),
    logger: pino({ level: 'silent' }),
    now: () => new Date(iso),
  })
  return { service, queued }
}

const editionOf = async (subscriberId: string) =>
  (await t.prisma.delivery.findMany({ where: { subscriberId, kind: 'digest' }, include: { edition: true } })).map((d) => d.edition!.date.toISOString().slice(0, 10))

describe('planning by local hour, time zone and frequency', () => {
  it('plans each subscriber once their local hour has come, for their local date, and only once', async () => {
    // A Thursday in January (Los Angeles is UTC-8). Random year keeps this test's editions its own.
    const year = 3000 + Math.floor(Math.random() * 5000)
    const jan15 = `${year}-01-15`
    const at = `${jan15}T07:30:00Z`
    const make = (data: Record<string, unknown>) => t.prisma.subscriber.create({ data: { email: anEmail('plan'), status: 'active', ...data } })
    const utcDue = await make({ sendHour: 7 })
    const utcLater = await make({ sendHour: 8 })
    const tokyo = await make({ timezone: 'Asia/Tokyo', sendHour: 16 })
    const losAngeles = await make({ timezone: 'America/Los_Angeles', sendHour: 23 })
    const weekdayOfLocalDate = new Date(`${jan15}T00:00:00Z`).getUTCDay()
    const weeklyDue = await make({ sendHour: 6, frequency: 'weekly', weeklyDay: weekdayOfLocalDate })
    const weeklyNot = await make({ sendHour: 6, frequency: 'weekly', weeklyDay: (weekdayOfLocalDate + 3) % 7 })
    const paused = await make({ sendHour: 0, paused: true })
    const unsubscribed = await t.prisma.subscriber.create({ data: { email: anEmail('plan'), status: 'unsubscribed', sendHour: 0 } })

    const { service, queued } = plannerAt(at)
    await service.planDue()
    expect(await editionOf(utcDue.id)).toEqual([jan15])
    expect(await editionOf(utcLater.id)).toEqual([])
    expect(await editionOf(tokyo.id)).toEqual([jan15])
    expect(await editionOf(losAngeles.id)).toEqual([`${year}-01-14`])
    expect(await editionOf(weeklyDue.id)).toEqual([jan15])
    expect(await editionOf(weeklyNot.id)).toEqual([])
    expect(await editionOf(paused.id)).toEqual([])
    expect(await editionOf(unsubscribed.id)).toEqual([])
    const mine = await t.prisma.delivery.findMany({ where: { subscriberId: { in: [utcDue.id, tokyo.id, losAngeles.id, weeklyDue.id] } } })
    expect(queued).toEqual(expect.arrayContaining(mine.map((d) => d.id)))

    // Again, and from a second planner at once: nothing new.
    const again = plannerAt(at)
    const other = plannerAt(at)
    await Promise.all([again.service.planDue(), other.service.planDue()])
    expect(await editionOf(utcDue.id)).toEqual([jan15])
    expect([...again.queued, ...other.queued].filter((id) => mine.some((d) => d.id === id))).toEqual([])

    // Later that day the 08:00 subscriber is due too.
    await plannerAt(`${jan15}T08:05:00Z`).service.planDue()
    expect(await editionOf(utcLater.id)).toEqual([jan15])
  })

  it('plans in batches through every subscriber, whatever their number', async () => {
    const year = 3000 + Math.floor(Math.random() * 5000)
    const date = `${year}-05-05`
    const before = await t.prisma.delivery.count({ where: { edition: { date: new Date(`${date}T00:00:00Z`) } } })
    await t.prisma.subscriber.createMany({ data: Array.from({ length: 2500 }, () => ({ email: anEmail('bulk'), status: 'active' as const })) })
    const { service, queued } = plannerAt(`${date}T12:00:00Z`)
    const startedAt = Date.now()
    const result = await service.sendEdition(date)
    const endedAt = Date.now()
    const active = await t.prisma.subscriber.count({ where: { status: 'active', paused: false, frequency: 'daily' } })
    expect(before).toBe(0)
    expect(result.planned).toBeGreaterThanOrEqual(2500)
    expect(await t.prisma.delivery.count({ where: { edition: { date: new Date(`${date}T00:00:00Z`) } } })).toBe(result.planned)
    expect(result.planned).toBeLessThanOrEqual(active + (await t.prisma.subscriber.count({ where: { status: 'active', paused: false, frequency: 'weekly' } })))
    expect(new Set(queued).size).toBe(result.planned)
    // UUIDv7 ids (version 7, RFC 9562's variant) carrying the time they were planned at, to the millisecond (the
    // database's clock and this process's are the machine's: a second of slack)
    const plannedAt = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16)
    expect(queued.filter((id) => !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toEqual([])
    expect(queued.filter((id) => plannedAt(id) < startedAt - 1000 || plannedAt(id) > endedAt + 1000)).toEqual([])
    // Leave no crowd behind for the other tests of this database.
    await t.prisma.subscriber.updateMany({ where: { email: { startsWith: 'bulk-' } }, data: { status: 'unsubscribed' } })
  })
})

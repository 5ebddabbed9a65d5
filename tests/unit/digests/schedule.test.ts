import { describe, expect, it } from 'vitest'
import { addDays, dateLabel, digestWindow, isDueOn, isIsoDate, localDate, weekday } from '../../../src/digests/schedule.ts'

describe('edition dates', () => {
  it('reads the local calendar date in a time zone', () => {
    const instant = new Date('2026-01-15T07:30:00Z')
    expect(localDate(instant, 'UTC')).toBe('2026-01-15')
    expect(localDate(instant, 'America/Los_Angeles')).toBe('2026-01-14')
    expect(localDate(instant, 'Pacific/Kiritimati')).toBe('2026-01-15')
    expect(localDate(new Date('2026-01-15T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-01-16')
  })

  it('covers yesterday and today for a daily digest, the last 7 days for a weekly one', () => {
    expect(digestWindow('2026-03-01', 'daily')).toEqual({ fromDay: '2026-02-28', toDay: '2026-03-01' })
    expect(digestWindow('2026-03-01', 'weekly')).toEqual({ fromDay: '2026-02-23', toDay: '2026-03-01' })
  })

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
  })

  it('knows weekdays as PostgreSQL does (0 = Sunday)', () => {
    expect(weekday('2026-11-22')).toBe(0)
    expect(weekday('2026-11-25')).toBe(3)
  })

  it('is due daily every day and weekly on the chosen weekday only', () => {
    expect(isDueOn({ frequency: 'daily', weeklyDay: 1 }, '2026-11-25')).toBe(true)
    expect(isDueOn({ frequency: 'weekly', weeklyDay: 3 }, '2026-11-25')).toBe(true)
    expect(isDueOn({ frequency: 'weekly', weeklyDay: 1 }, '2026-11-25')).toBe(false)
  })

  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2026-02-28')).toBe(true)
    for (const bad of ['2026-02-30', '2026-13-01', '26-01-01', '2026-1-1', '', 'today']) expect(isIsoDate(bad), bad).toBe(false)
  })

  it('labels a date for people', () => {
    expect(dateLabel('2026-06-12')).toBe('Friday, 12 June 2026')
  })
})

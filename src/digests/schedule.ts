/**
 * Pure date arithmetic for editions. An edition is keyed by a calendar date D; a daily digest of D covers the
 * papers-days D-1 and D (yesterday's full list and whatever is already up today), a weekly one the 7 days ending at D.
 * Papers already sent are excluded elsewhere, so overlapping windows never repeat a paper.
 */
export type Frequency = 'daily' | 'weekly'

const DAY_MS = 24 * 3600 * 1000
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

export function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false
  const d = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value
}

export function addDays(date: string, days: number): string {
  return new Date(new Date(`${date}T00:00:00Z`).getTime() + days * DAY_MS).toISOString().slice(0, 10)
}

/** True for a time zone this runtime knows (IANA names such as Europe/Paris). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** The calendar date at `now` in an IANA time zone, as YYYY-MM-DD. */
export function localDate(now: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

export function digestWindow(editionDate: string, frequency: Frequency): { fromDay: string; toDay: string } {
  return { fromDay: addDays(editionDate, frequency === 'weekly' ? -6 : -1), toDay: editionDate }
}

/** 0 = Sunday … 6 = Saturday, as stored in `weekly_day` and as PostgreSQL's extract(dow). */
export const weekday = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay()

export function isDueOn(subscriber: { frequency: Frequency; weeklyDay: number }, editionDate: string): boolean {
  return subscriber.frequency === 'daily' || weekday(editionDate) === subscriber.weeklyDay
}

/** "Friday, 12 June 2026" */
// One formatter for the process: making an Intl.DateTimeFormat costs more than formatting with it, and the send path
// labels every digest.
const DATE_LABEL = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })

export function dateLabel(date: string): string {
  return DATE_LABEL.format(new Date(`${date}T00:00:00Z`))
}

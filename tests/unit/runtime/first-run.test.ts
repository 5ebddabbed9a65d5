import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { ingestIfEmpty } from '../../../src/runtime/first-run.ts'

const silent = pino({ level: 'silent' })
const now = new Date('2026-11-25T09:00:00Z')

describe('ingestIfEmpty', () => {
  it('does nothing when papers are already stored', async () => {
    const asked: string[] = []
    await ingestIfEmpty({ papers: { latestDay: async () => '2026-11-24' }, ingest: { ingestDay: async (d) => { asked.push(d); throw new Error('no') } }, logger: silent, now })
    expect(asked).toEqual([])
  })

  it('fetches yesterday and today on an empty database', async () => {
    const asked: string[] = []
    const ingestDay = async (date: string) => {
      asked.push(date)
      return { days: [date], fetched: 3, inserted: 3, updated: 0, unchanged: 0, skipped: 0, otherDays: 0 }
    }
    await ingestIfEmpty({ papers: { latestDay: async () => null }, ingest: { ingestDay }, logger: silent, now })
    expect(asked).toEqual(['2026-11-24', '2026-11-25'])
  })

  it('explains how to load a saved listing when the source is unreachable, and stops trying', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line).msg) })
    let calls = 0
    await ingestIfEmpty({ papers: { latestDay: async () => null }, ingest: { ingestDay: async () => { calls++; throw new Error('getaddrinfo ENOTFOUND huggingface.co') } }, logger, now })
    expect(calls).toBe(1)
    expect(lines.join('\n')).toMatch(/could not fetch the papers of 2026-11-24 \(getaddrinfo ENOTFOUND huggingface\.co\).*npm run cli -- ingest --file/)
  })
})

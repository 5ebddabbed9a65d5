import { describe, expect, it } from 'vitest'
import { loggerOptions, prettyLogs } from '../../src/logger.ts'

describe('logs', () => {
  it('are pretty in development (pino-pretty is a development dependency) and JSON in production and tests', () => {
    expect(prettyLogs('development')).toBe(true)
    expect(prettyLogs('production')).toBe(false)
    expect(prettyLogs('test')).toBe(false)
    expect(loggerOptions('info', true).transport).toMatchObject({ target: 'pino-pretty' })
    expect(loggerOptions('info', false).transport).toBeUndefined()
  })
})

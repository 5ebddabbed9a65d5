import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379', PUBLIC_URL: 'http://localhost:3000', PORT: 3000, HOST: '127.0.0.1',
      MAIL_FROM: 'Paperboy <digest@localhost>', HF_API_URL: 'https://huggingface.co', DIGEST_SEND_HOUR: 8, DIGEST_TIMEZONE: 'UTC',
    })
    expect(config.DATABASE_URL).toBeUndefined()
    expect(config.SMTP_URL).toBeUndefined()
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('reads SCHEDULE_JOBS as a boolean, on unless turned off', () => {
    expect(loadConfig({}).SCHEDULE_JOBS).toBe(true)
    expect(loadConfig({ SCHEDULE_JOBS: 'false' }).SCHEDULE_JOBS).toBe(false)
    expect(loadConfig({ SCHEDULE_JOBS: '0' }).SCHEDULE_JOBS).toBe(false)
    expect(loadConfig({ SCHEDULE_JOBS: 'true' }).SCHEDULE_JOBS).toBe(true)
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000)
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'localhost:6379'],
    ['SMTP_URL', 'http://mail'],
    ['PUBLIC_URL', 'not a url'],
    ['APP_SECRET', 'short'],
    ['ADMIN_TOKEN', 'short'],
    ['MAIL_FROM', 'nobody'],
    ['MAIL_RETURN_PATH', 'Bounces <bounces@example.org>'],
    ['DIGEST_SEND_HOUR', '24'],
    ['DIGEST_TIMEZONE', 'Mars/Base'],
    ['NODE_ENV', 'staging'],
    ['SCHEDULE_JOBS', 'sometimes'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(new RegExp(`^Invalid configuration: ${name} [^\\n]+$`))
  })

  it('never echoes a secret in the error', () => {
    expect(() => loadConfig({ APP_SECRET: 'tiny-secret' })).toThrowError(/\*\*\*/)
    expect(() => loadConfig({ APP_SECRET: 'tiny-secret' })).not.toThrowError(/tiny-secret/)
  })

  it('refuses to start in production without APP_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError('Invalid configuration: APP_SECRET is required in production (at least 32 random bytes)')
    expect(loadConfig({ NODE_ENV: 'production', APP_SECRET: 'x'.repeat(32) }).NODE_ENV).toBe('production')
  })

  it('strips a trailing slash from PUBLIC_URL so links never get a double slash', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://papers.example.org/' }).PUBLIC_URL).toBe('https://papers.example.org')
  })
})

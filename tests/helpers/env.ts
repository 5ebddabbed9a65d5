/**
 * Where integration tests find the real services on this machine. The test database is created afresh by
 * tests/setup/global-setup.ts; override with TEST_DATABASE_URL / TEST_REDIS_URL.
 */
export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/paperboy_test'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const TEST_APP_SECRET = 'test-secret-test-secret-test-secret-0123456789'

import { loadConfig } from '../config.ts'
import { migrate } from './migrate.ts'

// `npm run db:migrate`: applies pending migrations to DATABASE_URL and says what it did.
const config = loadConfig()
if (!config.DATABASE_URL) {
  console.error('db:migrate: set DATABASE_URL (npm start migrates its embedded database by itself)')
  process.exit(1)
}
const result = await migrate(config.DATABASE_URL)
console.log(result.applied.length ? `applied: ${result.applied.join(', ')}` : `up to date (${result.alreadyApplied} applied)`)

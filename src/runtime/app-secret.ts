import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../config.ts'

/**
 * APP_SECRET signs every link. Development without one generates a random key once and keeps it in DATA_DIR, so
 * links in emails keep working across restarts. Production never gets here: loadConfig refuses to start without it.
 */
export async function resolveAppSecret(config: Config): Promise<string> {
  if (config.APP_SECRET) return config.APP_SECRET
  const file = path.resolve(config.DATA_DIR, 'app-secret')
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  await mkdir(path.dirname(file), { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error // another process won the race: use its key
  })
  await chmod(file, 0o600)
  return (await readFile(file, 'utf8')).trim()
}

// npm runs this after every install. A development install generates the Prisma client (src/generated/); a
// production install (`npm ci --omit=dev`) has no Prisma CLI and needs none: the client is compiled into dist/.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

try {
  createRequire(import.meta.url).resolve('prisma/package.json')
} catch {
  console.log('paperboy: no Prisma CLI here (a production install): the Prisma client compiled into dist/ is used')
  process.exit(0)
}
const generate = spawnSync('npm', ['run', 'db:generate'], { stdio: 'inherit' })
process.exit(generate.status ?? 1)

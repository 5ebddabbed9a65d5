import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * The folder holding Paperboy's package.json, whether this code runs from src/ (tsx, development) or from the
 * compiled dist/src/ (production): templates, migrations and the package's version are found from there.
 */
export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

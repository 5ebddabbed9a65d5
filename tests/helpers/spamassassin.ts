import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'

/** Fails with how to install it when SpamAssassin is missing: a system test is never skipped silently. */
export async function requireSpamassassin(): Promise<void> {
  await promisify(execFile)('spamassassin', ['--version']).catch(() => {
    throw new Error('SpamAssassin is not installed: the system tests score emails with it (Debian: apt-get install spamassassin)')
  })
}

export interface SpamReport {
  score: number
  /** Rules that fired, e.g. `HTML_MESSAGE`, with their points. */
  rules: { name: string; points: number }[]
  report: string
}

/**
 * Scores a raw message with Debian's SpamAssassin, offline: `-L` runs local tests only (no DNS blocklists, no
 * Razor/Pyzor), `-t` adds the report, Bayes is off because it has no training data here. Deterministic.
 */
export async function spamassassin(raw: string): Promise<SpamReport> {
  const child = spawn('spamassassin', ['-L', '-t', '--cf=use_bayes 0'], { stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? -1))
  })
  child.stdin.end(raw)
  const code = await exit
  const output = Buffer.concat(out).toString('utf8')
  if (code !== 0) throw new Error(`spamassassin exited ${code}: ${Buffer.concat(err).toString('utf8')}`)
  const status = /^X-Spam-Status: (?:Yes|No), score=(-?[\d.]+)/m.exec(output)
  if (!status) throw new Error(`no X-Spam-Status in spamassassin output:\n${output.slice(0, 2000)}`)
  // The report table: " pts rule name              description" then lines like " 0.1 MISSING_MID  Missing Message-Id: header".
  const table = output.slice(output.indexOf('---- ----------------------'))
  const rules = [...table.matchAll(/^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s/gm)].map((m) => ({ name: m[2]!, points: Number(m[1]) }))
  return { score: Number(status[1]), rules, report: table.split(/\r?\n\r?\n/)[0]! }
}

import { readFile, writeFile } from 'node:fs/promises'
import { buffer } from 'node:stream/consumers'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import pino from 'pino'
import { loadConfig, ConfigError } from './config.ts'
import type { Deps } from './deps.ts'
import { isIsoDate } from './digests/schedule.ts'
import { NotAReport } from './mail-events/mail-report.ts'
import { parseEmailAddress } from './subscribers/email-address.ts'

const USAGE = `Paperboy operator CLI

  npm run cli -- ingest <YYYY-MM-DD>          fetch a papers-day from the source (HF_API_URL)
  npm run cli -- ingest --file <listing.json> load a saved listing (the daily_papers JSON format)
  npm run cli -- enrich                       look up on the arXiv API (ARXIV_API_URL) every paper still waiting for its
                                              categories and comment, one request every 3 s
  npm run cli -- send <YYYY-MM-DD> [--dry-run] send that date's edition to every active subscriber due that day,
                                              whatever their hour; never twice. Waits and shows progress.
  npm run cli -- resend <YYYY-MM-DD>          retry that edition's deliveries whose retries ran out
  npm run cli -- preview <email> [--date <YYYY-MM-DD>] [--out <file.html>]
                                              render the digest an address would get, without sending it
  npm run cli -- stats                        subscribers, deliveries and papers at a glance
  npm run cli -- report [<message file> ...]  read bounces (RFC 3464) and spam complaints (ARF) mailed back to the sender,
                                              one message per file (a Maildir's files), or one on standard input (an
                                              MTA's pipe); exits 75 (try again later) when it could not record them

Uses the same environment as the service (DATABASE_URL, REDIS_URL, SMTP_URL, ...); without DATABASE_URL it uses the
embedded database of \`npm start\` (running or not).`

class UsageError extends Error {}
/** Worth trying again: the exit code sendmail-compatible MTAs take as "keep the message and retry" (EX_TEMPFAIL). */
class TryLater extends Error {}
const EX_TEMPFAIL = 75
const notRecorded = (what: string, error: unknown) => new TryLater(`${what} not recorded (${(error as Error).message}); nothing was changed, try again later`)
/** A file could not be read (sysexits' EX_IOERR): `report` goes on with the others, then says so. */
const EX_IOERR = 74

const out = (line: string) => process.stdout.write(`${line}\n`)

function requireDate(value: string | undefined): string {
  if (!value || !isIsoDate(value)) throw new UsageError(`expected a date as YYYY-MM-DD, got ${JSON.stringify(value ?? '')}`)
  return value
}

/** Polls the edition's delivery counts until nothing is pending or sending, drawing a bar on a terminal. */
async function followEdition(deps: Deps, date: string, total: number): Promise<Record<string, number>> {
  const tty = process.stderr.isTTY
  const bar = tty ? new SingleBar({ format: ' {bar} {value}/{total} done | sent {sent} skipped {skipped} bounced {bounced} failed {failed}', hideCursor: true }) : null
  bar?.start(total, 0, { sent: 0, skipped: 0, bounced: 0, failed: 0 })
  let lastDone = -1
  let lastChange = Date.now()
  for (;;) {
    const p = await deps.digestService.progress(date)
    const done = (p.sent ?? 0) + (p.skipped ?? 0) + (p.bounced ?? 0) + (p.failed ?? 0)
    const counts = { sent: p.sent ?? 0, skipped: p.skipped ?? 0, bounced: p.bounced ?? 0, failed: p.failed ?? 0 }
    if (bar) bar.update(done, counts)
    else if (done !== lastDone) out(`progress: ${done}/${total} done (sent ${counts.sent}, skipped ${counts.skipped}, bounced ${counts.bounced}, failed ${counts.failed})`)
    if (done !== lastDone) lastChange = Date.now()
    lastDone = done
    if (!p.pending && !p.sending) {
      bar?.stop()
      return p
    }
    if (Date.now() - lastChange > 120_000) {
      bar?.stop()
      out(`no progress for 2 minutes (pending ${p.pending ?? 0}, sending ${p.sending ?? 0}): are the SMTP server and Redis up? Deliveries stay queued and will be sent by any worker.`)
      return p
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      date: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const [command, arg] = positionals
  if (values.help || !command) {
    out(USAGE)
    return
  }
  if (!['ingest', 'enrich', 'send', 'resend', 'preview', 'stats', 'report'].includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  // Arguments are checked before anything starts.
  if ((command === 'ingest' && !values.file) || command === 'send' || command === 'resend') requireDate(arg)
  if (values.date) requireDate(values.date)
  if (command === 'preview') {
    const parsed = parseEmailAddress(arg ?? '')
    if (!parsed.ok) throw new UsageError(`email ${parsed.reason}`)
  }

  // A report piped in by an MTA stays queued there, to be tried again, while the configuration is mended or the
  // database cannot be reached; any other command fails as it would.
  const orLater = (error: unknown): never => {
    throw command === 'report' ? notRecorded('report', error) : error
  }
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (error) {
    return orLater(error)
  }
  // The service's modules load only now: bad arguments are answered at once.
  const [{ boot }, { createDeps }, { startWorkers }] = await Promise.all([
    import('./runtime/boot.ts'),
    import('./deps.ts'),
    import('../workers/workers.ts'),
  ])
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' })
  const booted = await boot(config, logger, { embedded: true, mail: command === 'send' || command === 'resend' }).catch(orLater)
  const deps = await createDeps(config, booted.runtime, logger).catch(async (error: unknown) => {
    await booted.stop()
    return orLater(error)
  })
  try {
    switch (command) {
      case 'ingest': {
        const result = values.file ? await deps.ingestService.ingestFile(values.file) : await deps.ingestService.ingestDay(requireDate(arg))
        out(`ingested ${result.fetched} papers for ${result.days.join(', ') || 'no day'}: ${result.inserted} new, ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped} malformed skipped`)
        break
      }
      case 'enrich': {
        const total = await deps.enrichmentService.enrichOpen({
          maxBatches: Infinity,
          onBatch: (t) => out(`arXiv lookup: ${t.batches} batch(es), ${t.found} found, ${t.missing} unknown to arXiv, ${t.invalid} refused`),
        })
        if (total.batches === 0) out('every paper has been looked up on arXiv (or is waiting to be asked again later)')
        break
      }
      case 'send': {
        const date = requireDate(arg)
        if (values['dry-run']) {
          const due = await deps.admin.dueCount(date)
          out(`dry run: ${due.due} active subscriber(s) due on ${date}; ${due.alreadyPlanned} of them already have this edition. Nothing was written or sent.`)
          break
        }
        // This process sends too, so the command works with no worker running; with workers running they share the work.
        const workers = await startWorkers(deps, { schedule: false })
        try {
          const { planned } = await deps.digestService.sendEdition(date)
          out(`queued ${planned} new digests for ${date}`)
          const total = Object.values(await deps.digestService.progress(date)).reduce((a, b) => a + b, 0)
          const final = await followEdition(deps, date, total)
          out(`edition ${date}: ${JSON.stringify(final)}`)
        } finally {
          await workers.close()
        }
        break
      }
      case 'resend': {
        const date = requireDate(arg)
        const workers = await startWorkers(deps, { schedule: false })
        try {
          const count = await deps.digestService.resendFailed(date)
          out(`re-queued ${count} failed digests of ${date}`)
          if (count > 0) out(`edition ${date}: ${JSON.stringify(await followEdition(deps, date, count))}`)
        } finally {
          await workers.close()
        }
        break
      }
      case 'preview': {
        const address = parseEmailAddress(arg!)
        const email = address.ok ? address.email : ''
        const subscriber = await deps.admin.findByEmail(email)
        if (!subscriber) throw new UsageError(`no subscriber with the address ${email}`)
        const preview = await deps.digestService.preview(subscriber, values.date)
        const file = values.out ?? `preview-${preview.editionDate}.html`
        await writeFile(file, preview.html)
        // an empty preview of a day already sent says why: a digest never sends a paper twice
        const matching = preview.paperIds.length === 0 ? (await deps.digestService.selection(subscriber.id, subscriber, preview.editionDate))?.total ?? 0 : 0
        const why = matching > 0 ? `; ${matching} matching ${matching === 1 ? 'paper was' : 'papers were'} already sent to this address` : ''
        out(`subject: ${preview.subject}\npapers: ${preview.paperIds.length} (edition ${preview.editionDate}${why})\nwritten to ${file}\n\n${preview.text}`)
        break
      }
      case 'stats':
        out(JSON.stringify(await deps.admin.stats(), null, 2))
        break
      case 'report': {
        const files = positionals.slice(1)
        const unread: string[] = []
        for (const file of files.length > 0 ? files : ['-']) {
          const name = file === '-' ? 'standard input' : file
          let raw: Buffer
          try {
            raw = file === '-' ? await buffer(process.stdin) : await readFile(file)
          } catch (error) {
            // standard input is an MTA's pipe: it keeps the message and tries again; a file is kept for another run
            if (file === '-') throw new TryLater(`standard input not read (${(error as Error).message}); try again later`)
            out(`${name}: not read (${(error as Error).message})`)
            unread.push(name)
            continue
          }
          let result: Awaited<ReturnType<Deps['mailEventService']['handleReport']>>
          try {
            result = await deps.mailEventService.handleReport(raw)
          } catch (error) {
            if (error instanceof NotAReport) {
              out(`${name}: nothing recorded: ${error.message}`)
              continue
            }
            // the database: the same message later will be recorded (once)
            throw notRecorded(name, error)
          }
          const recorded = Object.entries(result.recorded).map(([outcome, n]) => `${outcome} ${n}`).join(', ')
          out(`${name}: ${recorded ? `recorded: ${recorded}` : 'nothing recorded'}${result.note ? ` (${result.note})` : ''}`)
        }
        if (unread.length > 0) process.exitCode = EX_IOERR
        break
      }
    }
  } finally {
    await deps.close()
    await booted.stop()
  }
}

main(process.argv.slice(2)).then(
  // with the exit code a command set, if any (`report`: a file it could not read)
  () => process.exit(),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError || (error as Error).name === 'TypeError' && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`paperboy cli: ${(error as Error).message}\n\n${USAGE}\n`)
      process.exit(2)
    }
    process.stderr.write(`paperboy cli: ${(error as Error).message}\n`)
    process.exit(error instanceof TryLater ? EX_TEMPFAIL : 1)
  },
)

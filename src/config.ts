import { parseDomainRates } from './email/transport/send-rate.ts'
import { sendgridKey } from './mail-events/providers/sendgrid.ts'
import { z } from 'zod'
import { isTimeZone } from './digests/schedule.ts'

const port = z.coerce.number().int().min(1).max(65535)

export const DEFAULT_REDIS_PORT = 6379

export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL; unset runs embedded Postgres in DATA_DIR'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default(`redis://127.0.0.1:${DEFAULT_REDIS_PORT}`)
    .describe('Redis; unset: 127.0.0.1, and `npm start` starts a redis-server there if none answers'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional()
    .describe('Outgoing SMTP; unset runs a local mail catcher with a web UI'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('http://localhost:3000')
    .transform((u) => u.replace(/\/+$/, '')),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  APP_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s) >= 32, 'must be at least 32 bytes')
    .optional()
    .describe('Key for signed links; dev generates one in DATA_DIR'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MAIL_FROM: z
    .string()
    .regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'must look like "Name <addr@example.org>"')
    .default('Paperboy <digest@localhost>'),
  // The envelope's sender, where mail servers send their reports (bounces) back: a mailbox of its own, piped to
  // `cli report`, keeps them apart from readers' replies to MAIL_FROM.
  MAIL_RETURN_PATH: z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/, 'must be a bare address like bounces@example.org').optional(),
  HF_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://huggingface.co')
    .transform((u) => u.replace(/\/+$/, '')),
  ARXIV_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://export.arxiv.org')
    .transform((u) => u.replace(/\/+$/, ''))
    .describe('The arXiv export API, asked for each paper\'s categories and comment'),
  ARXIV_LOOKUP: z.stringbool().default(true).describe('Whether workers look papers up on the arXiv API (categories, comments)'),
  DIGEST_SEND_HOUR: z.coerce.number().int().min(0).max(23).default(8),
  DIGEST_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').default('UTC'),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, - or _')
    .default('paperboy')
    .describe('Redis key prefix of the queues; separate installations sharing one Redis need different ones'),
  // Two jobs keep the SMTP connections busy while one of them is reading, selecting and rendering; more only hold more
  // rendered batches in memory and more claimed rows waiting for a connection (measured: 10 → 2 gave +20 % digests/s
  // and 25 % less RSS with 2 workers on 2 cores; 1 was slower again).
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(2).describe('Send jobs (batches of 100) run at once per worker process'),
  SEND_RATE: z.coerce.number().min(0).max(100_000).default(0).describe('Messages a second across every worker process (shared through Redis); 0 = as fast as the SMTP server takes them'),
  SEND_RATE_DOMAINS: z
    .string()
    .transform((text, ctx) => {
      try {
        return parseDomainRates(text)
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message })
        return z.NEVER
      }
    })
    .default(new Map())
    .describe('Per recipient domain, messages a second, e.g. gmail.com=20,yahoo.com=10'),
  SLOW_DOWN_PAUSE_MS: z.coerce.number().int().min(0).max(600_000).default(500).describe('How long a relay\'s 421/451 pauses every worker (at most one pause per 50 such lengths)'),
  SUBSCRIBE_RATE_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(20)
    .describe('Subscribe requests per minute per client IP (POST /subscribe and /api/subscriptions together); 0 disables'),
  VOTE_RATE_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(20)
    .describe('"More / less like this" votes an hour through one vote link, across API processes; 0 disables'),
  // Every worker registers them by default (upserts, so any number of workers keep one of each); a send-only worker,
  // or a benchmark that plans its own edition, turns them off so no scheduled planning joins in.
  SCHEDULE_JOBS: z.stringbool().default(true).describe('Whether this worker process registers the ingest poll, planning and arXiv lookup schedulers'),
  SWEEP_EVERY_MS: z.coerce.number().int().min(100).default(60_000).describe('How often each worker looks for pending deliveries no queue holds'),
  SWEEP_AFTER_MS: z.coerce.number().int().min(0).default(60_000).describe('How old a pending delivery must be before the sweeper re-queues it'),
  DKIM_DOMAIN: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain such as example.org').optional(),
  DKIM_SELECTOR: z.string().regex(/^[a-z0-9._-]+$/i, 'must be a DNS label such as paperboy').optional(),
  DKIM_PRIVATE_KEY: z.string().min(1).optional().describe('PEM text, or the path of a PEM file'),
  // Provider webhooks (src/mail-events): each is off until its secret is set.
  SES_SNS_TOPIC_ARNS: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[^,\s]+(,arn:aws[a-z-]*:sns:[^,\s]+)*$/, 'must be SNS topic ARNs separated by commas')
    .transform((v) => v.split(','))
    .default([])
    .describe('SNS topics SES publishes bounces and complaints to (POST /webhooks/ses)'),
  POSTMARK_WEBHOOK_AUTH: z.string().regex(/^[^:]+:.{12,}$/, 'must be user:password (a password of at least 12 characters)').optional().describe('The Basic credentials in the Postmark webhook URL'),
  MAILGUN_WEBHOOK_SIGNING_KEY: z.string().min(16).optional().describe('Mailgun HTTP webhook signing key'),
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(40).optional().describe('SendGrid signed Event Webhook verification key (base64 as shown, or PEM)'),
  SOFT_BOUNCE_LIMIT: z.coerce.number().int().min(1).max(100).default(3).describe('Soft bounces of one address within SOFT_BOUNCE_WINDOW_DAYS that suppress it'),
  SOFT_BOUNCE_WINDOW_DAYS: z.coerce.number().int().min(1).max(365).default(14),
  MAILCATCHER_SMTP_PORT: port.default(1025),
  MAILCATCHER_WEB_PORT: port.default(1080),
})

/** `REDIS_DEFAULTED`: REDIS_URL was not set, so `npm start` may start a development Redis on its default address. */
export type Config = Readonly<z.infer<typeof ConfigSchema> & { REDIS_DEFAULTED: boolean }>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses the environment once. Throws a ConfigError whose message is one line naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = ConfigSchema.safeParse(cleaned)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const name = String(issue.path[0] ?? 'environment')
    const got = typeof cleaned[name] === 'string' ? ` (got ${JSON.stringify(redact(name, cleaned[name]!))})` : ''
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${got}`)
  }
  const config = parsed.data
  const dkim = [config.DKIM_DOMAIN, config.DKIM_SELECTOR, config.DKIM_PRIVATE_KEY].filter(Boolean).length
  if (dkim !== 0 && dkim !== 3) {
    throw new ConfigError('Invalid configuration: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together (set all three or none)')
  }
  if (config.SENDGRID_WEBHOOK_PUBLIC_KEY) {
    try {
      sendgridKey(config.SENDGRID_WEBHOOK_PUBLIC_KEY)
    } catch {
      throw new ConfigError('Invalid configuration: SENDGRID_WEBHOOK_PUBLIC_KEY is not a public key (paste the verification key SendGrid shows, or a PEM)')
    }
  }
  if (config.NODE_ENV === 'production' && !config.APP_SECRET) {
    throw new ConfigError('Invalid configuration: APP_SECRET is required in production (at least 32 random bytes)')
  }
  return Object.freeze({ ...config, REDIS_DEFAULTED: cleaned.REDIS_URL === undefined })
}

function redact(name: string, value: string): string {
  if (/SECRET|TOKEN|KEY|AUTH/.test(name)) return '***'
  return value.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@')
}

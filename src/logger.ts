import pino, { type Logger, type LoggerOptions } from 'pino'

/**
 * JSON logs (one object a line, stable `event` fields) in production and tests; in development, lines a person reads
 * (pino's pretty transport, a development dependency: a production install has no reason to load it).
 */
export function loggerOptions(level: string, pretty = false): LoggerOptions {
  return {
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
    serializers: {
      // Signed tokens in paths are capabilities: keep them out of logs.
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: redactTokens(req.url), id: req.id }),
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname', colorize: process.stdout.isTTY } } } : {}),
  }
}

export const redactTokens = (url: string) => url.replace(/\/(confirm|preferences|unsubscribe|digests)\/[^/?#]+/g, '/$1/***')

export const createLogger = (level: string, pretty = false): Logger => pino(loggerOptions(level, pretty))

/** Development logs are pretty where pino-pretty is installed (a development install); JSON otherwise. */
export function prettyLogs(nodeEnv: string): boolean {
  if (nodeEnv !== 'development') return false
  try {
    import.meta.resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

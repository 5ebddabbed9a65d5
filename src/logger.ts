import pino, { type Logger, type LoggerOptions } from 'pino'

/** JSON logs (one object a line, stable `event` fields); pretty only when a person watches a terminal. */
export function loggerOptions(level: string): LoggerOptions {
  const pretty = process.stdout.isTTY
  return {
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
    serializers: {
      // Signed tokens in paths are capabilities: keep them out of logs.
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: redactTokens(req.url), id: req.id }),
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  }
}

export const redactTokens = (url: string) => url.replace(/\/(confirm|preferences|unsubscribe|digests)\/[^/?#]+/g, '/$1/***')

export const createLogger = (level: string): Logger => pino(loggerOptions(level))

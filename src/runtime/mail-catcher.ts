import { MailDev } from 'maildev'

/**
 * Development default when SMTP_URL is unset: MailDev, a maintained mail catcher, in this process. It accepts every
 * message on a local SMTP port and shows it in a web UI, so a newcomer can read the confirmation email.
 */
export interface MailCatcher {
  smtpUrl: string
  webUrl: string
  stop(): Promise<void>
}

export async function startMailCatcher(options: { smtpPort: number; webPort: number; mailDirectory: string; host?: string }): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1'
  const maildev = new MailDev({
    smtp: options.smtpPort,
    web: options.webPort,
    ip: host,
    webIp: host,
    silent: true,
    maxEmails: 1000,
    mailDirectory: options.mailDirectory,
  })
  await maildev.start()
  return {
    smtpUrl: `smtp://${host}:${options.smtpPort}`,
    webUrl: `http://${host === '127.0.0.1' ? 'localhost' : host}:${options.webPort}`,
    stop: () => maildev.stop(),
  }
}

import { createHmac, createSign, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { generate } from 'selfsigned'

/**
 * The four providers' real signature schemes, with keys made here: what each provider does to a webhook payload
 * before it sends it. The service verifies them with the code that runs in production.
 */

/** Amazon SNS: an RSA key and its X.509 certificate (served at an SNS certificate URL by the test's snsGet). */
export async function snsSigner() {
  const pems = await generate([{ name: 'commonName', value: 'sns.amazonaws.com' }], { keySize: 2048, algorithm: 'sha256' })
  const certUrl = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000.pem'
  /** An SNS message, signed as SNS signs it (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA). */
  const message = (fields: Record<string, string>, version: '1' | '2' = '2', privateKey = pems.private) => {
    const m: Record<string, string> = { SignatureVersion: version, SigningCertURL: certUrl, ...fields }
    const keys = m.Type === 'Notification'
      ? ['Message', 'MessageId', ...('Subject' in m ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type']
    const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
    signer.update(keys.map((k) => `${k}\n${m[k]}\n`).join(''))
    return { ...m, Signature: signer.sign(privateKey, 'base64') }
  }
  return { certUrl, certificate: pems.cert, message, otherKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }
}

/** Mailgun: the `signature` object of a webhook body, HMAC-SHA256 of timestamp + token under the signing key. */
export function mailgunSignature(signingKey: string, at: Date, token = randomBytes(25).toString('hex')) {
  const timestamp = String(Math.floor(at.getTime() / 1000))
  return { timestamp, token, signature: createHmac('sha256', signingKey).update(timestamp + token).digest('hex') }
}

/** SendGrid: an ECDSA P-256 key pair; the public key as SendGrid shows it (base64 DER), and the signing headers. */
export function sendgridSigner() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const shown = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
  const headers = (body: string, at: Date, key = privateKey) => {
    const timestamp = String(Math.floor(at.getTime() / 1000))
    return {
      'x-twilio-email-event-webhook-timestamp': timestamp,
      'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(timestamp + body), key).toString('base64'),
    }
  }
  return { publicKey: shown, headers, otherKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey }
}

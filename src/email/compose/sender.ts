/** Pure. Splits MAIL_FROM ("Paperboy <digest@example.org>") into what the emails need. */
export function parseSender(mailFrom: string): { name: string; address: string; domain: string } {
  const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(mailFrom)
  const address = (match ? match[2]! : mailFrom).trim()
  const name = (match ? match[1]!.replace(/^"|"$/g, '') : '') || 'Paperboy'
  return { name, address, domain: address.slice(address.lastIndexOf('@') + 1) }
}

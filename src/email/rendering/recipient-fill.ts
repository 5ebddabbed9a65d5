import Handlebars from 'handlebars'
import type { DigestData, DigestPaper } from './templates.ts'

/** The fields of a digest that differ from one recipient to the next; the rest is shared by many recipients. */
export const RECIPIENT_FIELDS = ['email', 'manageUrl', 'unsubscribeUrl', 'viewUrl'] as const satisfies readonly (keyof DigestData)[]
/** The field of a digest's paper that differs from one recipient to the next: its vote link. */
export const PAPER_RECIPIENT_FIELDS = ['feedbackUrl'] as const satisfies readonly (keyof DigestPaper)[]
export type RecipientField = (typeof RECIPIENT_FIELDS)[number] | (typeof PAPER_RECIPIENT_FIELDS)[number]

/**
 * A template part rendered once for many recipients: UTF-8 pieces with one recipient field between each two
 * (`pieces.length === fields.length + 1`).
 */
export interface Fill {
  pieces: Buffer[]
  fields: RecipientField[]
}

/**
 * Whether a parsed template part reads nothing but the named fields of its context, through `if`/`unless` at most:
 * no paper, no other context (`../`, `@root`, `with`, `each`), no partial. Only then does its output depend on those
 * fields alone, so that recipients with the same shared fields can share one Fill.
 */
export function readsOnly(program: hbs.AST.Program, fields: ReadonlySet<string>): boolean {
  const allowed = new Set([...fields, 'if', 'unless'])
  const ok = (node: hbs.AST.Node | null | undefined): boolean => {
    if (!node) return true
    switch (node.type) {
      case 'Program':
        return (node as hbs.AST.Program).body.every(ok)
      case 'ContentStatement':
      case 'CommentStatement':
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral':
      case 'UndefinedLiteral':
      case 'NullLiteral':
        return true
      case 'PathExpression': {
        const path = node as hbs.AST.PathExpression
        return !path.data && path.depth === 0 && path.parts.length === 1 && allowed.has(path.parts[0]!)
      }
      case 'MustacheStatement':
      case 'SubExpression':
      case 'BlockStatement': {
        const call = node as hbs.AST.BlockStatement
        return ok(call.path) && call.params.every(ok) && (call.hash?.pairs ?? []).every((pair) => ok(pair.value)) && ok(call.program) && ok(call.inverse)
      }
      default:
        return false // partials, decorators: anything could be read there
    }
  }
  return ok(program)
}

// Stand-ins: letters and digits, which no escaping changes and no template text is likely to hold; then values with
// every character HTML escaping rewrites, to check that each field is output as itself, escaped as `escape` does.
const plainStandIn = (field: RecipientField) => `PBRECIPIENTX${field.toUpperCase()}Q`
const hostileStandIn = (field: RecipientField) => `<${field}&"'\`=>`

/**
 * The Fill of one template part for recipients sharing `shared`'s other fields, or null when the part does not output
 * the recipient fields (`fields`: a digest's own by default, or a paper's) as plain values (a field in a condition on
 * its value, a field inside an attribute the template rewrites…): then it must be rendered per recipient. Checked,
 * not assumed: the Fill given a second set of stand-ins must give exactly what the part renders with them.
 */
export function fillFor<T extends object>(
  render: (data: T) => string,
  shared: T,
  escape: (value: string) => string,
  fields: readonly RecipientField[] = RECIPIENT_FIELDS,
): Fill | null {
  const withStandIns = (standIn: (field: RecipientField) => string): T => ({ ...shared, ...Object.fromEntries(fields.map((f) => [f, standIn(f)])) })
  const out = render(withStandIns(plainStandIn))
  const plain = new RegExp(fields.map(plainStandIn).join('|'), 'g')
  const pieces: string[] = []
  const found: RecipientField[] = []
  let from = 0
  for (const match of out.matchAll(plain)) {
    pieces.push(out.slice(from, match.index))
    found.push(fields.find((f) => plainStandIn(f) === match[0])!)
    from = match.index + match[0].length
  }
  pieces.push(out.slice(from))
  const hostile = withStandIns(hostileStandIn) as Record<string, string>
  const expected = pieces.reduce((text, piece, i) => text + piece + (i < found.length ? escape(hostile[found[i]!]!) : ''), '')
  if (render(hostile as T) !== expected) return null
  return { pieces: pieces.map((p) => Buffer.from(p, 'utf8')), fields: found }
}

/** Appends a Fill's pieces with one recipient's fields to `out`; a missing field fails, as strict rendering does. */
export function appendFilled(fill: Fill, data: Partial<Record<RecipientField, string>>, escape: (value: string) => string, out: Buffer[]): void {
  out.push(fill.pieces[0]!)
  for (let i = 0; i < fill.fields.length; i++) {
    const value = data[fill.fields[i]!]
    if (typeof value !== 'string') throw new TypeError(`"${fill.fields[i]}" not defined`)
    out.push(Buffer.from(escape(value), 'utf8'), fill.pieces[i + 1]!)
  }
}

/** Handlebars' HTML escaping, as `{{value}}` applies it. */
export const escapeHtml = (value: string) => Handlebars.escapeExpression(value)
export const asIs = (value: string) => value

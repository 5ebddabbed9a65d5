import Handlebars from 'handlebars'
import type { DigestData } from './templates.ts'

/** The fields of a digest that differ from one recipient to the next; the rest is shared by many recipients. */
export const RECIPIENT_FIELDS = ['email', 'manageUrl', 'unsubscribeUrl', 'viewUrl'] as const satisfies readonly (keyof DigestData)[]
export type RecipientField = (typeof RECIPIENT_FIELDS)[number]

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
const plainStandIn = (field: RecipientField) => `PBRECIPIENT${RECIPIENT_FIELDS.indexOf(field)}X${field.toUpperCase()}Q`
const hostileStandIn = (field: RecipientField) => `<${field}&"'\`=>`
const PLAIN = new RegExp(RECIPIENT_FIELDS.map(plainStandIn).join('|'), 'g')

/**
 * The Fill of one template part for recipients sharing `shared`'s other fields, or null when the part does not output
 * the recipient fields as plain values (a field in a condition on its value, a field inside an attribute the template
 * rewrites…): then it must be rendered per recipient. Checked, not assumed: the Fill given a second set of stand-ins
 * must give exactly what the part renders with them.
 */
export function fillFor(render: (data: DigestData) => string, shared: DigestData, escape: (value: string) => string): Fill | null {
  const withStandIns = (standIn: (field: RecipientField) => string): DigestData => ({ ...shared, ...Object.fromEntries(RECIPIENT_FIELDS.map((f) => [f, standIn(f)])) })
  const out = render(withStandIns(plainStandIn))
  const pieces: string[] = []
  const fields: RecipientField[] = []
  let from = 0
  for (const match of out.matchAll(PLAIN)) {
    pieces.push(out.slice(from, match.index))
    fields.push(RECIPIENT_FIELDS.find((f) => plainStandIn(f) === match[0])!)
    from = match.index + match[0].length
  }
  pieces.push(out.slice(from))
  const hostile = withStandIns(hostileStandIn)
  const expected = pieces.reduce((text, piece, i) => text + piece + (i < fields.length ? escape(hostile[fields[i]!]) : ''), '')
  if (render(hostile) !== expected) return null
  return { pieces: pieces.map((p) => Buffer.from(p, 'utf8')), fields }
}

/** Appends a Fill's pieces with one recipient's fields to `out`. */
export function appendFilled(fill: Fill, data: Pick<DigestData, RecipientField>, escape: (value: string) => string, out: Buffer[]): void {
  out.push(fill.pieces[0]!)
  for (let i = 0; i < fill.fields.length; i++) {
    out.push(Buffer.from(escape(data[fill.fields[i]!]), 'utf8'), fill.pieces[i + 1]!)
  }
}

/** Handlebars' HTML escaping, as `{{value}}` applies it. */
export const escapeHtml = (value: string) => Handlebars.escapeExpression(value)
export const asIs = (value: string) => value

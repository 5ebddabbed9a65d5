/**
 * Hostile strings for every field that reaches an email, a page or a header: markup, attributes, entities, URLs with
 * dangerous schemes, bidi overrides, zero-width characters, huge values, SQL, template syntax and CR/LF. Each is also
 * tried wrapped in ordinary text, so a filter that only looks at the start of a value is caught too.
 */
const BASE: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.test/x.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '"><script>alert(document.cookie)</script>',
  "'><script>alert(1)</script>",
  '<img src=x onerror=alert(1)>',
  '<img src="x" onerror="alert(1)">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<body onload=alert(1)>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">click</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<form action="https://evil.test"><input name=q></form>',
  '<meta http-equiv="refresh" content="0;url=https://evil.test">',
  '<base href="https://evil.test/">',
  '<link rel=stylesheet href=https://evil.test/x.css>',
  '<style>body{background:url(javascript:alert(1))}</style>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<![CDATA[<script>alert(1)</script>]]>',
  '" onmouseover="alert(1)" x="',
  "' onfocus='alert(1)' autofocus='",
  '` onclick=alert(1) `',
  'javascript:alert(1)',
  'JAVASCRIPT:alert(1)',
  ' javascript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  'https://github.com/x/y" onclick="alert(1)',
  'https://github.com/x/y"><script>alert(1)</script>',
  'http://evil.test/<script>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;script&#62;alert(1)&#60;/script&#62;',
  '&#x3C;img src=x onerror=alert(1)&#x3E;',
  '&amp;lt;b&amp;gt;',
  '&nbsp;&shy;&zwj;',
  '\u202Egnp.exe',
  '\u202Dtext\u202C \u2066isolate\u2069 \u200F rtl',
  'zero\u200Bwidth\u200Cjoin\u200Dnon\uFEFFbom',
  '\u0000null\u0000byte',
  'emoji 👩‍🔬🧪 and combining e\u0301\u0301\u0301',
  'ｓｃｒｉｐｔ＜＞fullwidth',
  "Robert'); DROP TABLE subscribers;--",
  "' OR '1'='1",
  '1; SELECT pg_sleep(5)--',
  '"; DELETE FROM deliveries WHERE ""="',
  '{{constructor.constructor("alert(1)")()}}',
  '{{{raw}}} {{> partial}} {{#each this}}x{{/each}}',
  '${7*7} #{7*7} <%= 7*7 %>',
  '<mj-raw><script>alert(1)</script></mj-raw>',
  '</mj-text><mj-button href="javascript:alert(1)">x</mj-button>',
  'line\r\nBcc: victim@evil.test',
  'line\nX-Injected: yes',
  'line\rSubject: injected',
  'line\r\n\r\n<script>alert(1)</script>',
  '=?utf-8?q?=0D=0ABcc:_victim@evil.test?=',
  '%0d%0aBcc:%20victim@evil.test',
  '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e',
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '</style><script>alert(1)</script>',
  'A'.repeat(10_000),
  '<b>'.repeat(2_000),
  `${'x '.repeat(3000)}<script>alert(1)</script>`,
]

/** The list: each base string alone, then inside ordinary text. */
export const HOSTILE_STRINGS: readonly string[] = [...BASE, ...BASE.map((s) => `Ordinary words ${s} more words`)]

/** Values that must never turn into a header line of their own. */
export const CRLF_STRINGS: readonly string[] = HOSTILE_STRINGS.filter((s) => /[\r\n]/.test(s))

export interface LiveMarkup {
  scripts: number
  eventHandlers: string[]
  badUrls: string[]
  tags: Set<string>
}

const TAG = /<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g
const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g

const decodeEntities = (s: string) =>
  s
    .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&colon;/gi, ':')
    .replace(/&tab;|&newline;/gi, '')
    .replace(/&amp;/g, '&')

/**
 * What in an HTML document could run or navigate somewhere dangerous: <script> elements, on* attributes, and
 * href/src/action/formaction/data/background values whose scheme is not http(s), mailto or a fragment. A
 * tokenizer in the spirit of a browser's: escaped text (`&lt;script&gt;`) is text, not a tag.
 */
export function liveMarkup(html: string): LiveMarkup {
  const found: LiveMarkup = { scripts: 0, eventHandlers: [], badUrls: [], tags: new Set() }
  // Comments and conditional comments of the email template are not markup a browser runs.
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, '')
  for (const tag of withoutComments.matchAll(TAG)) {
    const name = tag[1]!.toLowerCase()
    found.tags.add(name)
    if (name === 'script') found.scripts++
    for (const attr of (tag[2] ?? '').matchAll(ATTR)) {
      const attrName = attr[1]!.toLowerCase()
      const value = decodeEntities(attr[2] ?? attr[3] ?? attr[4] ?? '')
      if (/^on/.test(attrName)) found.eventHandlers.push(`${name}[${attrName}]`)
      if (['href', 'src', 'action', 'formaction', 'data', 'background', 'xlink:href', 'srcset'].includes(attrName)) {
        const v = value.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase()
        // data:image/… in <img>/<link rel=icon> is inert (an SVG as an image runs no script); any other scheme is not.
        const inertImage = (name === 'img' || name === 'link') && /^data:image\/(png|gif|jpeg|webp|svg\+xml)[;,]/.test(v)
        if (v !== '' && !inertImage && !/^(https?:\/\/|mailto:|#|\/(?!\/))/.test(v)) found.badUrls.push(`${name}[${attrName}]=${value.slice(0, 60)}`)
      }
      if (attrName === 'style' && /javascript:|expression\(|url\(\s*['"]?\s*javascript/i.test(value)) found.badUrls.push(`${name}[style]=${value.slice(0, 60)}`)
    }
  }
  return found
}

import { describe, expect, it } from 'vitest'
import { originalTransform, transformFast } from '../../../src/email/smtp-data-stream.ts'

type Transform = typeof originalTransform

/** Runs `chunks` through a transform the way a DataStream would, returning what it pushed and its counters. */
function encode(transform: Transform, chunks: Buffer[]) {
  const out: Buffer[] = []
  const state = { inByteCount: 0, outByteCount: 0, lastByte: false as number | false, push: (b: Buffer) => out.push(Buffer.from(b)) > 0 }
  for (const chunk of chunks) transform.call(state, chunk, 'latin1', (error) => { if (error) throw error })
  return { bytes: Buffer.concat(out).toString('latin1'), inByteCount: state.inByteCount, outByteCount: state.outByteCount, lastByte: state.lastByte }
}

// a seeded generator: a failure names its seed and can be replayed
function generator(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

describe('fast SMTP DATA encoding', () => {
  it('escapes like nodemailer on hand-picked edge cases', () => {
    const cases = ['.', '..\r\n.', 'a\r.b', 'a\rb', 'a\nb', 'a\n.b', '\r\r\n\n.', 'line\r\n.dot\r\n', 'x\r', '\n', 'end.\r\n.\r\n']
    for (const text of cases) {
      const expected = encode(originalTransform, [Buffer.from(text, 'latin1')])
      expect(encode(transformFast, [Buffer.from(text, 'latin1')]), JSON.stringify(text)).toEqual(expected)
    }
    // known output, so the comparison is not between two equally wrong encoders
    expect(encode(transformFast, [Buffer.from('.a\nb\r.c\r\n.d', 'latin1')]).bytes).toBe('..a\r\nb\r\n..c\r\n..d')
  })

  it('gives the same bytes and counters as nodemailer on random input cut into random chunks', () => {
    const alphabet = ['\r', '\n', '.', 'a', 'b', '\r\n', '\r\n.', ' ']
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = generator(seed)
      const text = Array.from({ length: Math.floor(rand() * 80) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
      const bytes = Buffer.from(text, 'latin1')
      const chunks: Buffer[] = []
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(rand() * 12)
        chunks.push(bytes.subarray(at, at + size))
        at += size
      }
      expect(encode(transformFast, chunks), `seed ${seed}: ${JSON.stringify(text)}`).toEqual(encode(originalTransform, chunks))
    }
  })

  it('passes a chunk without CR, LF or a leading dot through unchanged', () => {
    const chunk = Buffer.from('plain text without line breaks')
    const pushed: Buffer[] = []
    const state = { inByteCount: 0, outByteCount: 0, lastByte: 0x61 as number | false, push: (b: Buffer) => pushed.push(b) > 0 }
    transformFast.call(state, chunk, 'latin1', () => {})
    expect(pushed).toHaveLength(1)
    expect(pushed[0]).toBe(chunk)
  })
})

import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** Every relative import (type-only ones too) of the source files under `dirs`, as a graph of files. */
function importGraph(dirs: string[]): Map<string, string[]> {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name)
      if (statSync(p).isDirectory()) {
        if (name !== 'generated') walk(p)
      } else if (p.endsWith('.ts')) files.push(p)
    }
  }
  for (const dir of dirs) walk(path.join(ROOT, dir))
  const known = new Set(files)
  return new Map(files.map((f) => [
    path.relative(ROOT, f),
    [...readFileSync(f, 'utf8').matchAll(/\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.ts)'/g)]
      .map((m) => path.join(path.dirname(f), m[1]!))
      .filter((d) => known.has(d))
      .map((d) => path.relative(ROOT, d)),
  ]))
}

/** Each cycle once, as the files on it. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' → '))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file)
  return found
}

describe('the source', () => {
  it('has no import cycle (type-only imports included): no two files need each other', () => {
    expect(cycles(importGraph(['src', 'workers']))).toEqual([])
  })

  it('finds a cycle when there is one (the check can fail)', () => {
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]))).toEqual(['a.ts → b.ts → c.ts → a.ts'])
  })
})

import { describe, expect, it } from 'vitest'
import { keptOrMade } from '../../../src/runtime/bounded-cache.ts'

describe('keptOrMade', () => {
  it('makes a value once per key, keeps null results, and lets the oldest entry go beyond the limit', () => {
    const map = new Map<string, number | null>()
    const made: string[] = []
    const get = (key: string) => keptOrMade(map, key, 2, () => (made.push(key), key === 'none' ? null : key.length))
    expect(get('a')).toBe(1)
    expect(get('none')).toBeNull()
    expect(get('a')).toBe(1)
    expect(get('none')).toBeNull()
    expect(made).toEqual(['a', 'none'])
    expect(get('ccc')).toBe(3) // 'a', the oldest, goes
    expect([...map.keys()]).toEqual(['none', 'ccc'])
    expect(get('a')).toBe(1)
    expect(made).toEqual(['a', 'none', 'ccc', 'a'])
    expect(map.size).toBe(2)
  })
})

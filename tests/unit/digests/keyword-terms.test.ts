import { describe, expect, it } from 'vitest'
import { keywordTerms } from '../../../src/digests/keyword-terms.ts'

const texts = (keyword: string) => keywordTerms(keyword).map((t) => t.text)

describe('keywordTerms', () => {
  it('reads web-search syntax as websearch_to_tsquery does: phrases, words, OR, exclusions', () => {
    expect(keywordTerms('RL OR "reinforcement learning" -robot')).toEqual([
      { text: 'RL', phrase: false },
      { text: '"reinforcement learning"', phrase: true },
    ])
    expect(texts('world model')).toEqual(['world', 'model'])
    expect(texts('"world model" -robot -"self driving"')).toEqual(['"world model"'])
    expect(texts('vision-language')).toEqual(['vision-language'])
  })

  it('copes with what users type: an unclosed quote, empty quotes, repeats, a lone minus', () => {
    expect(texts('"speculative decoding')).toEqual(['"speculative decoding"'])
    expect(texts('"" agents - Agents')).toEqual(['agents'])
    expect(texts('   ')).toEqual([])
  })
})

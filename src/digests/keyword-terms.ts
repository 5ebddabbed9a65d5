/**
 * Pure. The positive terms of a keyword filter in web-search syntax, as PostgreSQL's websearch_to_tsquery reads it:
 * a quoted phrase is one term, any other word is one, `OR` joins, a leading `-` excludes (an excluded term never says
 * why a paper matched). `RL OR "reinforcement learning" -robot` → RL, "reinforcement learning".
 */
export interface KeywordTerm {
  /** As it would be searched on its own: a phrase keeps its quotes. */
  text: string
  phrase: boolean
}

export function keywordTerms(keyword: string): KeywordTerm[] {
  const terms: KeywordTerm[] = []
  // "…" (an unclosed quote runs to the end, as websearch_to_tsquery reads it), or a run of non-space characters.
  for (const [, negated, quoted, word] of keyword.matchAll(/(-?)(?:"([^"]*)"?|([^\s"]+))/g)) {
    if (negated) continue
    if (quoted !== undefined) {
      if (quoted.trim() !== '') terms.push({ text: `"${quoted.trim()}"`, phrase: true })
    } else if (word && word !== 'OR' && word !== '-') {
      terms.push({ text: word, phrase: false })
    }
  }
  const seen = new Set<string>()
  return terms.filter((t) => !seen.has(t.text.toLowerCase()) && seen.add(t.text.toLowerCase()))
}

/**
 * The value `map` keeps under `key`, or `make()`'s, kept from now on; beyond `limit` entries the oldest goes first.
 * For caches of things made once and reused for the life of a process (a null result is kept too: "cannot be made").
 */
export function keptOrMade<K, V>(map: Map<K, V>, key: K, limit: number, make: () => V): V {
  // one lookup on the common path (it runs per message); `has` only tells a kept `undefined` from none
  const kept = map.get(key)
  if (kept !== undefined || map.has(key)) return kept as V
  if (map.size >= limit) map.delete(map.keys().next().value!)
  const value = make()
  map.set(key, value)
  return value
}

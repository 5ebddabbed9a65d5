/**
 * The value `map` keeps under `key`, or `make()`'s, kept from now on; beyond `limit` entries the oldest goes first.
 * For caches of things made once and reused for the life of a process (a null result is kept too: "cannot be made").
 */
export function keptOrMade<K, V>(map: Map<K, V>, key: K, limit: number, make: () => V): V {
  if (map.has(key)) return map.get(key)!
  if (map.size >= limit) map.delete(map.keys().next().value!)
  const value = make()
  map.set(key, value)
  return value
}

import DataLoader from 'dataloader'

/**
 * Calls made in one turn of the event loop, handed to `run` together (one statement, one Redis call, for many
 * callers). setImmediate runs after the event loop has handled every socket that was ready, so a batch holds every
 * caller whose previous step finished in that turn (DataLoader's default, the end of the current tick, holds one).
 * No caching: each call is its own piece of work.
 */
export function batchPerTurn<K, V>(run: (keys: readonly K[]) => Promise<readonly V[]>, options: { maxBatchSize?: number } = {}): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>(run, { cache: false, batchScheduleFn: (dispatch) => setImmediate(dispatch), ...options })
  return (key) => loader.load(key)
}

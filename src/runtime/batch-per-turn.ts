import DataLoader from 'dataloader'

/**
 * Calls made in one turn of the event loop, handed to `run` together (one statement, one Redis call, for many
 * callers). setImmediate runs after the event loop has handled every socket that was ready, so a batch holds every
 * caller whose previous step finished in that turn (DataLoader's default, the end of the current tick, holds one).
 * No caching: each call is its own piece of work.
 *
 * With `maxInFlight`, at most that many batches run at once: calls made while they run wait and go together as the
 * next batch once one of them is done (group commit: under load a batch grows to what arrived during one round trip,
 * with no wait added when idle).
 */
export function batchPerTurn<K, V>(
  run: (keys: readonly K[]) => Promise<readonly V[]>,
  options: { maxBatchSize?: number; maxInFlight?: number } = {},
): (key: K) => Promise<V> {
  const { maxInFlight = Infinity, ...rest } = options
  let inFlight = 0
  const waiting: (() => void)[] = []
  const tracked = async (keys: readonly K[]) => {
    inFlight++
    try {
      return await run(keys)
    } finally {
      inFlight--
      waiting.shift()?.()
    }
  }
  const loader = new DataLoader<K, V>(tracked, {
    cache: false,
    batchScheduleFn: (dispatch) =>
      setImmediate(() => {
        if (inFlight < maxInFlight) dispatch()
        else waiting.push(dispatch)
      }),
    ...rest,
  })
  return (key) => loader.load(key)
}

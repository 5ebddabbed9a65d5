import type { RequestGate } from '../../src/arxiv/arxiv-client.ts'

/**
 * A request gate on a clock the test moves: requests at least `intervalMs` apart, callers in turn. What each waited is
 * what the clock's `sleep` was asked for.
 */
export function createLocalGate(intervalMs: number, clock: { now: () => number; sleep: (ms: number) => Promise<void> }): RequestGate {
  let next = 0
  let chain = Promise.resolve()
  return {
    wait() {
      const turn = chain.then(async () => {
        const delay = next - clock.now()
        if (delay > 0) await clock.sleep(delay)
        next = clock.now() + intervalMs
      })
      chain = turn.catch(() => {})
      return turn
    },
  }
}

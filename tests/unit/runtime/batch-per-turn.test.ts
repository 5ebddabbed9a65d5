import { setImmediate as turn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { batchPerTurn } from '../../../src/runtime/batch-per-turn.ts'

/** A run whose batches finish only when the test says so, recording each batch and how many ran at once. */
function controlled() {
  const batches: number[][] = []
  const finish: (() => void)[] = []
  let running = 0
  let mostAtOnce = 0
  const run = async (keys: readonly number[]) => {
    batches.push([...keys])
    running++
    mostAtOnce = Math.max(mostAtOnce, running)
    await new Promise<void>((resolve) => finish.push(resolve))
    running--
    if (keys.includes(-1)) throw new Error('batch failed')
    return keys.map((k) => k * 10)
  }
  return { run, batches, finish, stats: () => ({ mostAtOnce }) }
}

describe('batchPerTurn', () => {
  it('hands the calls of one turn of the event loop to one run', async () => {
    const c = controlled()
    const call = batchPerTurn(c.run)
    const results = [call(1), call(2), call(3)]
    await turn()
    expect(c.batches).toEqual([[1, 2, 3]])
    c.finish.shift()!()
    expect(await Promise.all(results)).toEqual([10, 20, 30])
  })

  it('without a limit, starts the next turn\'s calls while the first batch still runs', async () => {
    const c = controlled()
    const call = batchPerTurn(c.run)
    const first = call(1)
    await turn()
    const second = call(2)
    await turn()
    expect(c.batches).toEqual([[1], [2]])
    c.finish.splice(0).forEach((f) => f())
    expect(await Promise.all([first, second])).toEqual([10, 20])
    expect(c.stats().mostAtOnce).toBe(2)
  })

  it('with maxInFlight 1, holds the calls made while a batch runs and sends them together when it is done', async () => {
    const c = controlled()
    const call = batchPerTurn(c.run, { maxInFlight: 1 })
    const first = call(1)
    await turn()
    const later = [call(2)]
    await turn()
    later.push(call(3))
    await turn()
    later.push(call(4))
    await turn()
    expect(c.batches).toEqual([[1]])
    c.finish.shift()!()
    expect(await first).toBe(10)
    await turn()
    expect(c.batches).toEqual([[1], [2, 3, 4]])
    c.finish.shift()!()
    expect(await Promise.all(later)).toEqual([20, 30, 40])
    expect(c.stats().mostAtOnce).toBe(1)
  })

  it('with maxInFlight 1, a failed batch fails its own callers and does not hold back the next one', async () => {
    const c = controlled()
    const call = batchPerTurn(c.run, { maxInFlight: 1 })
    const failing = call(-1)
    const failed = expect(failing).rejects.toThrow('batch failed')
    await turn()
    const next = call(5)
    await turn()
    c.finish.shift()!()
    await failed
    await turn()
    expect(c.batches).toEqual([[-1], [5]])
    c.finish.shift()!()
    expect(await next).toBe(50)
  })
})

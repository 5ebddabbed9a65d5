import { describe, expect, it } from 'vitest'
import { createEnrichProcessor } from '../../../workers/processors.ts'

describe('the arXiv lookup job', () => {
  it('ends quietly when the worker stops it, and fails as before otherwise', async () => {
    let started!: () => void
    const running = new Promise<void>((resolve) => (started = resolve))
    // a lookup that would wait for ever (arXiv down, retrying), ended only by the signal it is given
    const waitsForStop = {
      enrichOpen: ({ signal }: { signal?: AbortSignal } = {}) => {
        started()
        return new Promise<never>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))
      },
    }
    const stopping = new AbortController()
    const job = createEnrichProcessor(waitsForStop, stopping.signal)()
    await running
    stopping.abort(new Error('the worker is shutting down'))
    await expect(job).resolves.toEqual({ stopped: true })

    const failing = { enrichOpen: async () => { throw new Error('arXiv API unavailable') } }
    await expect(createEnrichProcessor(failing, new AbortController().signal)()).rejects.toThrow('arXiv API unavailable')
  })
})

import {expect} from 'chai'
import {batchDeadline, EXPIRED} from '../../src/drivers/deadline.js'

describe('batchDeadline: one deadline for a batch of driver calls', () => {
  it('answers what a call answers before the deadline, and rejects with its error', async () => {
    const deadline = batchDeadline(60_000)
    try {
      expect(await deadline.race(Promise.resolve('up'))).to.equal('up')
      const failed = await deadline.race(Promise.reject(new Error('boom'))).then(
        () => 'no error',
        (error: Error) => error.message,
      )
      expect(failed).to.equal('boom')
      expect(deadline.expired).to.equal(false)
    } finally {
      deadline.clear()
    }
  })

  it('answers EXPIRED for a call still pending when the deadline passes, and for any call raced after it', async () => {
    const deadline = batchDeadline(20)
    try {
      const never = new Promise<string>(() => undefined)
      expect(await deadline.race(never)).to.equal(EXPIRED)
      expect(deadline.expired).to.equal(true)
      expect(await deadline.race(Promise.resolve('late'))).to.equal(EXPIRED)
    } finally {
      deadline.clear()
    }
  })

  it('says expired once its time passed even before its timer ran (a busy event loop)', () => {
    const deadline = batchDeadline(5)
    try {
      const until = Date.now() + 30
      while (Date.now() < until) {
        // the event loop is blocked: the timer cannot run
      }
      expect(deadline.expired).to.equal(true)
    } finally {
      deadline.clear()
    }
  })
})

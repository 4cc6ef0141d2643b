/** The rollback journal: undo steps registered by drivers after each real change, run in reverse. */
import type {Journal} from '../drivers/api.js'

export interface JournalEntry {
  readonly rid: string
  readonly description: string
  readonly fn: () => Promise<void>
}

export interface UndoOutcome {
  readonly rid: string
  readonly description: string
  readonly ok: boolean
  readonly error?: string
  /** Not run: the rollback was cut short (a second interrupt); the change is left in place. */
  readonly skipped?: true
}

export class RollbackJournal {
  private readonly entries: JournalEntry[] = []

  forResource(rid: string): Journal {
    return {undo: (description, fn) => this.entries.push({rid, description, fn})}
  }

  get size(): number {
    return this.entries.length
  }

  /**
   * Runs every undo step, last registered first; a failing step does not stop the others.
   * Once `cut` is aborted the steps not begun are skipped (the running one finishes).
   */
  async rollback(
    onStep: (entry: JournalEntry, error?: Error, skipped?: string) => void,
    cut?: AbortSignal,
  ): Promise<UndoOutcome[]> {
    const outcomes: UndoOutcome[] = []
    while (this.entries.length > 0) {
      const entry = this.entries.pop()!
      if (cut?.aborted) {
        const why = typeof cut.reason === 'string' ? cut.reason : 'skipped'
        onStep(entry, undefined, why)
        outcomes.push({rid: entry.rid, description: entry.description, ok: false, error: why, skipped: true})
        continue
      }
      try {
        await entry.fn()
        onStep(entry)
        outcomes.push({rid: entry.rid, description: entry.description, ok: true})
      } catch (error) {
        onStep(entry, error as Error)
        outcomes.push({rid: entry.rid, description: entry.description, ok: false, error: (error as Error).message})
      }
    }
    return outcomes
  }
}

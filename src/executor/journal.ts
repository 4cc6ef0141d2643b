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
}

export class RollbackJournal {
  private readonly entries: JournalEntry[] = []

  forResource(rid: string): Journal {
    return {undo: (description, fn) => this.entries.push({rid, description, fn})}
  }

  get size(): number {
    return this.entries.length
  }

  /** Runs every undo step, last registered first; a failing step does not stop the others. */
  async rollback(onStep: (entry: JournalEntry, error?: Error) => void): Promise<UndoOutcome[]> {
    const outcomes: UndoOutcome[] = []
    while (this.entries.length > 0) {
      const entry = this.entries.pop()!
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

/** The progress view of an action, by the renderer choice (./renderer.ts): what the executor reports to. */
import type {ExecutionObserver} from '../executor/observer.js'
import type {EventLevel} from '../log/events.js'
import {LinesView, type RendererChoice} from './renderer.js'
import {TtyTreeView} from './tty-tree.js'

/** The view for a choice; 'silent' has none (--format json prints only the result). */
export function createActionView(choice: RendererChoice, minLevel: EventLevel = 'info'): ExecutionObserver | undefined {
  switch (choice) {
    case 'tty':
      return new TtyTreeView()
    case 'lines':
      return new LinesView(minLevel)
    case 'silent':
      return undefined
  }
}

/** The progress view of an action, by the renderer choice (./renderer.ts): it sees the run events the executor's reports become. */
import type {EventLevel} from '../log/events.js'
import type {RunEventConsumer} from '../log/run-events.js'
import {LinesView, type RendererChoice} from './renderer.js'
import {TtyTreeView} from './tty-tree.js'

/** The view for a choice, a consumer of the run events (src/log/run-events.ts); 'silent' has none (--format json prints only the result). */
export function createActionView(choice: RendererChoice, minLevel: EventLevel = 'info'): RunEventConsumer | undefined {
  switch (choice) {
    case 'tty':
      return new TtyTreeView()
    case 'lines':
      return new LinesView(minLevel)
    case 'silent':
      return undefined
  }
}

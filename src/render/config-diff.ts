/** The config diff as apply prints it: one line per keyword (`+ container#4.image = nginx`, `~ ...: a → b`, `- container#5`). */
import type {ConfigDiffEntry} from '../config/diff.js'

/** `mask` hides secret values (src/log/mask.ts): the lines go to the terminal and CI logs. */
export function formatConfigDiffLines(
  diff: readonly ConfigDiffEntry[],
  mask: (s: string) => string = s => s,
): string[] {
  return diff.map(e => {
    switch (e.op) {
      case 'add':
        return mask(`+ ${e.section}.${e.keyword} = ${e.to}`)
      case 'add-section':
        return `+ ${e.section}`
      case 'change':
        return mask(`~ ${e.section}.${e.keyword}: ${e.from} → ${e.to}`)
      case 'remove':
        return mask(`- ${e.section}.${e.keyword} (was ${e.from})`)
      case 'remove-section':
        return `- ${e.section}`
    }
  })
}

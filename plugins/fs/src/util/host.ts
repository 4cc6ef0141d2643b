/** Small helpers: sleeping, picking an error line (the host helpers are the kit's: ctx.host). */

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

/** The last non-empty line of a command's output. */
export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map(l => l.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  )
}

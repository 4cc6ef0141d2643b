/** The last non-empty line of a command's output: the line an error message quotes. */
export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map(l => l.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  )
}

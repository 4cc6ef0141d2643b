/**
 * Shell-like word helpers. The core parses `list` keywords itself; these serve the raw
 * DEFAULT values the plugin reads (docker_daemon_args) and keyword `check`s, which receive
 * raw text. Same rules as the core: POSIX quotes and backslashes, no expansion.
 */

/** Splits `raw` into words; undefined when a quote is left open. */
export function splitWords(raw: string): string[] | undefined {
  const words: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1])) cur += raw[++i]
      else cur += c
    } else if (c === '"' || c === "'") {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < raw.length) {
      cur += raw[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (quote) return undefined
  if (inWord) words.push(cur)
  return words
}

/** Quotes one word for display in a command line an operator could paste. */
export function quoteWord(word: string): string {
  return word === '' || /[^\w@%+=:,./#-]/.test(word) || word.startsWith('#') ? `'${word.replace(/'/g, `'\\''`)}'` : word
}

export function commandLine(words: readonly string[]): string {
  return words.map(quoteWord).join(' ')
}

const TRUE = new Set(['true', 'yes', 'on', '1'])

/** A raw bool as the core parses it (the DEFAULT section reaches drivers unparsed). */
export function rawBool(raw: string | undefined): boolean {
  return raw !== undefined && TRUE.has(raw.trim().toLowerCase())
}

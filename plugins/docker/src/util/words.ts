/** Quotes one word for display in a command line an operator could paste. */
export function quoteWord(word: string): string {
  return word === '' || /[^\w@%+=:,./#-]/.test(word) || word.startsWith('#') ? `'${word.replace(/'/g, `'\\''`)}'` : word
}

export function commandLine(words: readonly string[]): string {
  return words.map(quoteWord).join(' ')
}

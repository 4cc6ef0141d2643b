/** The one way svcmgr shows a command line: as an operator would paste it into a POSIX shell (display only). */
export function formatWords(words: readonly string[]): string {
  // `#` starts a comment only at a word's start; elsewhere it is an ordinary character
  return words
    .map(a => (a === '' || /[^\w@%+=:,./#-]/.test(a) || a.startsWith('#') ? `'${a.replace(/'/g, `'\\''`)}'` : a))
    .join(' ')
}

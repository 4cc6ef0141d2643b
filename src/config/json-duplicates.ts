/**
 * JSON.parse keeps the last of two equal keys without a word; a config must refuse them as the
 * INI parser does. This scans text JSON.parse has already accepted, so it only needs to tell
 * strings (keys are compared unescaped: "a" and "\u0061" are the same key) from punctuation.
 */
export interface DuplicateKey {
  readonly key: string
  /** The keys of the objects around it, outermost first (arrays add nothing). */
  readonly path: readonly string[]
  readonly line: number
}

interface Frame {
  readonly keys?: Set<string>
  readonly path: readonly string[]
  member?: string
}

export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Frame[] = []
  let line = 1
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    const top = stack.at(-1)
    if (c === '\n') line++
    else if (c === '{' || c === '[') {
      const path = top?.member !== undefined ? [...top.path, top.member] : (top?.path ?? [])
      stack.push(c === '{' ? {keys: new Set(), path} : {path})
      expectKey = c === '{'
    } else if (c === '}' || c === ']') stack.pop()
    else if (c === ',') expectKey = top?.keys !== undefined
    else if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string
        if (top.keys.has(key)) return {key, path: top.path, line}
        top.keys.add(key)
        top.member = key
        expectKey = false
      }
      i = end
    }
  }
  return undefined
}

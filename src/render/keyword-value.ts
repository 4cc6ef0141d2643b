/** How `get` prints a value: JSON (null when unset), or text (a list as space-separated words, unset as an empty line). */
export function formatKeywordValue(value: unknown, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(value ?? null)
  return Array.isArray(value) ? value.join(' ') : String(value ?? '')
}

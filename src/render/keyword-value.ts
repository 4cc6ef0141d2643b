/** How `get` prints a value: JSON (null when unset), or text (a list as space-separated words, unset as an empty line). */
export function formatKeywordValue(value: unknown, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return value.join(' ')
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : value === undefined || value === null
      ? ''
      : JSON.stringify(value)
}

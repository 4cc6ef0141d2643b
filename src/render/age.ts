/** A duration as people read an age or an uptime: 4s, 2m5s, 3h20m, 2d4h (ms, negative read as 0). */
export function formatAge(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  if (d > 0) return `${d}d${h}h`
  if (h > 0) return `${h}h${m}m`
  return `${m}m${s}s`
}

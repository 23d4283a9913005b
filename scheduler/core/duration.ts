// Durations as Kubernetes users write them (Go's time.ParseDuration: "90s", "30m", "1h30m", "1.5h"),
// plus "d" for days, which profiles need for lead times and which Go lacks.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parses a duration to milliseconds. Accepts a number (milliseconds) or a string such as "1h30m". */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new Error(`duration ${text} must be a non-negative number of milliseconds`);
    return text;
  }
  const s = text.trim();
  if (s === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  if (matched !== s.length || s.length === 0) {
    throw new Error(`"${text}" is not a duration (examples: 90s, 30m, 1h30m, 2d)`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return sign + parts.join('');
}

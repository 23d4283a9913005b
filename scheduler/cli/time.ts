// Parsing of --at style times for the CLI: ISO 8601, local to a given zone when it has no offset.

import { DateTime } from 'luxon';

export function parseTime(text: string, zone = 'UTC'): number {
  if (text === 'now') return Date.now();
  const t = DateTime.fromISO(text, { zone });
  if (!t.isValid) throw new Error(`"${text}" is not an ISO 8601 time (example: 2026-11-11T00:30+08:00, or local to ${zone}: 2026-11-11T00:30)`);
  return t.toMillis();
}

export function formatTime(ms: number, zone: string): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'never' : '-';
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? String(ms);
}

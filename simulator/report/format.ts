// Formatting shared by the report writers: HTML escaping, times in the report's time zone, numbers
// and durations. Everything here is a pure function of its input (no locale or zone of the machine
// running it leaks in), so the same result renders to the same bytes anywhere.

import { DateTime } from 'luxon';

/** Options every report writer takes besides the result: what SimulationResult does not carry. */
export interface ReportOptions {
  /** The trace's source (TraceInfo.source): the folder or files it was read from. */
  source?: string;
  /**
   * IANA time zone to show times in: the profile's (Profile.timeZone) or the trace's. Without one the
   * report uses UTC and says so.
   */
  timeZone?: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** The zone to show times in: the given IANA zone, validated, or UTC. */
export function reportZone(timeZone: string | undefined): string {
  if (timeZone === undefined || timeZone === '') return 'UTC';
  if (!DateTime.fromMillis(0, { zone: timeZone }).isValid) throw new Error(`report: unknown time zone "${timeZone}" (expected an IANA name such as Europe/Berlin)`);
  return timeZone;
}

/** Offset of the zone from UTC at an instant, in ms. */
export function zoneOffsetMs(t: number, zone: string): number {
  return DateTime.fromMillis(t, { zone }).offset * 60_000;
}

/** "2026-11-10 08:00" in the zone. */
export function formatTime(t: number, zone: string): string {
  return DateTime.fromMillis(t, { zone }).toFormat('yyyy-MM-dd HH:mm');
}

/** "UTC", or "Asia/Shanghai (UTC+08:00)" with the offset at the given instant. */
export function zoneLabel(zone: string, at: number): string {
  if (zone === 'UTC') return 'UTC';
  return `${zone} (UTC${DateTime.fromMillis(at, { zone }).toFormat('ZZ')})`;
}

export function isoTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : '';
}

/** Integer with thousands separators: 12,345. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

/** A number with a fixed count of decimals and thousands separators: 1,234.5. */
export function formatFixed(n: number, decimals: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [int, frac] = Math.abs(n).toFixed(decimals).split('.');
  const s = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? `.${frac}` : '');
  return n < 0 && Number(s.replace(/,/g, '')) !== 0 ? `-${s}` : s;
}

export interface DurationUnit {
  name: 's' | 'min' | 'h';
  ms: number;
}

const SECOND: DurationUnit = { name: 's', ms: 1000 };
const MINUTE: DurationUnit = { name: 'min', ms: 60_000 };
const HOUR: DurationUnit = { name: 'h', ms: 3_600_000 };

/** One unit for a set of durations (ms), chosen by the largest so that a row reads in one unit. */
export function durationUnit(values: readonly number[]): DurationUnit {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  if (max >= 2 * HOUR.ms) return HOUR;
  if (max >= 2 * MINUTE.ms) return MINUTE;
  return SECOND;
}

/** "5 min", "1 h", "90 s", "2 d": a sampling interval for labels. */
export function formatInterval(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** "26 h", "3.5 d", "45 min": the length of a run. */
export function formatSpan(ms: number): string {
  if (ms >= 3 * 86_400_000) return `${formatFixed(ms / 86_400_000, 1)} d`;
  if (ms >= 2 * 3_600_000) return `${formatFixed(ms / 3_600_000, 1).replace(/\.0$/, '')} h`;
  if (ms >= 60_000) return `${formatFixed(ms / 60_000, 1).replace(/\.0$/, '')} min`;
  return `${formatFixed(ms / 1000, 1).replace(/\.0$/, '')} s`;
}

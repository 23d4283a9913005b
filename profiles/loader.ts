// Loads TimeSharingProfile YAML into the core's Profile, checking every field. Errors name the file,
// line, column and field path, and all of them are reported at once so one run fixes a file.

import { DateTime, IANAZone } from 'luxon';
import { isSeq } from 'yaml';
import { Checker, parseChecked, YamlCheckError, type Path, readYamlFile } from '../scheduler/config/yaml-checker.ts';
import { parseDuration } from '../scheduler/core/duration.ts';
import type { LevelSpec, OnlineDemand, Profile, Weekday, WindowSpec } from '../scheduler/core/profile.ts';

export const API_VERSION = 'tidal.io/v1alpha1';
export const KIND = 'TimeSharingProfile';

const DAY_NAMES: Record<string, Weekday> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };
const DAY_SETS: Record<string, Weekday[]> = {
  daily: [1, 2, 3, 4, 5, 6, 7],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [6, 7],
};
const LEVEL_FIELDS = ['batchShare', 'onlineHeadroom', 'drainLeadTime', 'ramp'];
const WINDOW_FIELDS = ['name', 'priority', 'schedule', 'start', 'end', 'duration', ...LEVEL_FIELDS, 'onlineDemand'];
const DEMAND_FIELDS = ['factor', 'memory', 'of', 'ramp'];
const FACTOR = /^(\d+(?:\.\d+)?|\.\d+)x$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** Every problem found in a profile file, each with file, line, column and field. */
export const ProfileError = YamlCheckError;
export type ProfileError = YamlCheckError;

export function loadProfileFile(file: string): Profile {
  return parseProfile(readYamlFile(file), file);
}

export function parseProfile(text: string, file = '<profile>'): Profile {
  const c = parseChecked(text, file);
  const profile = check(c);
  if (c.issues.length > 0 || profile === null) throw new ProfileError(c.issues);
  profile.source = file;
  return profile;
}

function check(c: Checker): Profile | null {
  if (!c.isMapping([])) {
    c.fail([], 'a profile must be a YAML mapping with apiVersion, kind, metadata and spec');
    return null;
  }
  c.onlyKeys([], ['apiVersion', 'kind', 'metadata', 'spec']);
  if (c.value(['apiVersion']) !== API_VERSION) c.fail(['apiVersion'], `must be ${API_VERSION}`);
  if (c.value(['kind']) !== KIND) c.fail(['kind'], `must be ${KIND}`);
  const name = c.value(['metadata', 'name']);
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    c.fail(['metadata', 'name'], 'required: a lowercase DNS-1123 name such as daily-tidal');
  }
  c.onlyKeys(['metadata'], ['name', 'labels', 'annotations']);
  if (!c.isMapping(['spec'])) {
    c.fail(['spec'], 'required: a mapping with timeZone, default and windows');
    return null;
  }
  c.onlyKeys(['spec'], ['timeZone', 'default', 'windows']);
  const tz = c.value(['spec', 'timeZone']);
  let timeZone = 'UTC';
  if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) {
    c.fail(['spec', 'timeZone'], `must be an IANA time zone such as Asia/Shanghai or UTC${tz === undefined ? '' : ` (got ${JSON.stringify(tz)})`}`);
  } else {
    timeZone = tz;
  }
  if (!c.isMapping(['spec', 'default'])) {
    c.fail(['spec', 'default'], 'required: the level outside every window (batchShare, onlineHeadroom)');
  }
  c.onlyKeys(['spec', 'default'], LEVEL_FIELDS);
  const def = checkLevel(c, ['spec', 'default'], true);
  const windows: WindowSpec[] = [];
  const seq = c.node(['spec', 'windows']);
  if (seq !== undefined && !isSeq(seq)) c.fail(['spec', 'windows'], 'must be a list of windows');
  const names = new Map<string, number>();
  const count = isSeq(seq) ? seq.items.length : 0;
  for (let i = 0; i < count; i++) {
    const w = checkWindow(c, ['spec', 'windows', i], i, timeZone, def);
    if (!w) continue;
    const prev = names.get(w.name);
    if (prev !== undefined) c.fail(['spec', 'windows', i, 'name'], `duplicate window name "${w.name}" (also spec.windows[${prev}])`);
    names.set(w.name, i);
    windows.push(w);
  }
  if (typeof name !== 'string') return null;
  return { name, timeZone, default: def, windows };
}

function checkLevel(c: Checker, path: Path, required: boolean, inherit?: LevelSpec): LevelSpec {
  const fraction = (field: string): number => {
    const v = c.value([...path, field]);
    if (v === undefined) {
      if (required) c.fail([...path, field], 'required: a number between 0 and 1');
      return inherit ? (inherit as unknown as Record<string, number>)[field]! : 0;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      c.fail([...path, field], `must be a number between 0 and 1 (got ${JSON.stringify(v)})`);
      return 0;
    }
    return v;
  };
  const duration = (field: string): number => {
    const v = c.value([...path, field]);
    if (v === undefined) return 0;
    if (typeof v !== 'string') {
      c.fail([...path, field], `must be a duration string such as 30m or 1h30m (got ${JSON.stringify(v)})`);
      return 0;
    }
    try {
      return parseDuration(v);
    } catch (e) {
      c.fail([...path, field], (e as Error).message);
      return 0;
    }
  };
  return {
    batchShare: fraction('batchShare'),
    onlineHeadroom: fraction('onlineHeadroom'),
    drainLeadMs: duration('drainLeadTime'),
    rampMs: duration('ramp'),
  };
}

function checkWindow(c: Checker, path: Path, index: number, timeZone: string, def: LevelSpec): WindowSpec | null {
  if (!c.isMapping(path)) {
    c.fail(path, 'each window must be a mapping with name, a schedule or start/end, and its level');
    return null;
  }
  c.onlyKeys(path, WINDOW_FIELDS);
  const name = c.value([...path, 'name']);
  if (typeof name !== 'string' || name.length === 0) c.fail([...path, 'name'], 'required: a name for messages and metrics');
  const priority = c.value([...path, 'priority']) ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority)) c.fail([...path, 'priority'], `must be an integer (got ${JSON.stringify(priority)})`);
  const setsLevel = c.value([...path, 'batchShare']) !== undefined || c.value([...path, 'onlineHeadroom']) !== undefined;
  const hasDemand = c.value([...path, 'onlineDemand']) !== undefined;
  if (!setsLevel && !hasDemand) {
    c.fail(path, 'a window must set batchShare, onlineHeadroom or both (the other is taken from spec.default), or state an onlineDemand');
  }
  const level = checkLevel(c, path, false, def);
  const base: Omit<WindowSpec, 'recurrence' | 'start' | 'end'> = { name: String(name ?? ''), priority: typeof priority === 'number' ? priority : 0, index, line: c.line(path), ...level };
  if (hasDemand) {
    const d = checkDemand(c, [...path, 'onlineDemand']);
    if (d) base.onlineDemand = d;
    if (!setsLevel) base.demandOnly = true;
  }
  const hasSchedule = c.value([...path, 'schedule']) !== undefined;
  const hasStart = c.value([...path, 'start']) !== undefined || c.value([...path, 'end']) !== undefined || c.value([...path, 'duration']) !== undefined;
  if (hasSchedule === hasStart) {
    c.fail(path, 'a window needs exactly one of: schedule (recurring) or start and end (absolute)');
    return null;
  }
  if (hasSchedule) {
    const sp = [...path, 'schedule'];
    if (!c.isMapping(sp)) {
      c.fail(sp, 'must be a mapping with days, start and end');
      return null;
    }
    c.onlyKeys(sp, ['days', 'start', 'end']);
    const days = checkDays(c, [...sp, 'days']);
    const startMinute = checkClock(c, [...sp, 'start']);
    const endMinute = checkClock(c, [...sp, 'end']);
    if (days === null || startMinute === null || endMinute === null) return null;
    return { ...base, recurrence: { days, startMinute, endMinute: endMinute % 1440 } };
  }
  if (c.value([...path, 'end']) !== undefined && c.value([...path, 'duration']) !== undefined) {
    c.fail([...path, 'duration'], 'give end or duration, not both');
    return null;
  }
  const start = checkInstant(c, [...path, 'start'], timeZone);
  const end = c.value([...path, 'duration']) !== undefined ? endAfter(c, [...path, 'duration'], start) : checkInstant(c, [...path, 'end'], timeZone);
  if (start === null || end === null) return null;
  if (end <= start) {
    c.fail([...path, 'end'], 'must be after start');
    return null;
  }
  const gapTimes: NonNullable<WindowSpec['gapTimes']> = [];
  for (const field of ['start', 'end'] as const) {
    const v = c.value([...path, field]);
    if (typeof v === 'string' && inGap(v, timeZone)) gapTimes.push({ field, written: v, at: field === 'start' ? start : end });
  }
  return gapTimes.length > 0 ? { ...base, start, end, gapTimes } : { ...base, start, end };
}

/**
 * Whether a local time written without an offset does not exist in the zone (a daylight-saving gap,
 * which the zone rules skip by moving the time forward): its wall-clock fields as parsed in the zone
 * differ from those written.
 */
function inGap(v: string, timeZone: string): boolean {
  const written = DateTime.fromISO(v, { setZone: true });
  if (!written.isValid || written.zone.type === 'fixed') return false; // an offset (or Z) was written: no local time to miss
  const asWritten = DateTime.fromISO(v, { zone: 'UTC' });
  const t = DateTime.fromISO(v, { zone: timeZone });
  return t.isValid && (t.year !== asWritten.year || t.month !== asWritten.month || t.day !== asWritten.day || t.hour !== asWritten.hour || t.minute !== asWritten.minute || t.second !== asWritten.second);
}

function checkDays(c: Checker, path: Path): Weekday[] | null {
  const v = c.value(path);
  if (v === undefined) return DAY_SETS.daily!;
  if (typeof v === 'string' && DAY_SETS[v.toLowerCase()]) return DAY_SETS[v.toLowerCase()]!;
  if (!Array.isArray(v) || v.length === 0) {
    c.fail(path, 'must be daily, weekdays, weekends or a list of days such as [Mon, Fri]');
    return null;
  }
  const out: Weekday[] = [];
  for (let i = 0; i < v.length; i++) {
    const d = DAY_NAMES[String(v[i]).slice(0, 3).toLowerCase()];
    if (d === undefined || String(v[i]).length < 3) {
      c.fail([...path, i], `unknown day ${JSON.stringify(v[i])}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun`);
      return null;
    }
    if (!out.includes(d)) out.push(d);
  }
  return out.sort();
}

function checkClock(c: Checker, path: Path): number | null {
  const v = c.value(path);
  if (typeof v !== 'string' || !HHMM.test(v)) {
    c.fail(path, v === undefined ? 'required: a local time "HH:MM" (24-hour, quoted)' : `must be a local time "HH:MM" (24-hour, quoted; got ${JSON.stringify(v)})`);
    return null;
  }
  const [h, m] = v.split(':').map(Number);
  return h! * 60 + m!;
}

function checkInstant(c: Checker, path: Path, timeZone: string): number | null {
  const v = c.value(path);
  if (typeof v !== 'string') {
    const what = 'an ISO 8601 time such as 2026-11-10T22:00 (local to spec.timeZone unless it has an offset)';
    c.fail(path, v === undefined ? `required: ${what}` : `must be ${what} (got ${JSON.stringify(v)})`);
    return null;
  }
  const t = DateTime.fromISO(v, { zone: timeZone });
  if (!t.isValid) {
    c.fail(path, `not an ISO 8601 time: ${t.invalidExplanation ?? t.invalidReason}`);
    return null;
  }
  return t.toMillis();
}

/** The end of an absolute window given as start + duration ("2h"), or null (with the error recorded). */
function endAfter(c: Checker, path: Path, start: number | null): number | null {
  const v = c.value(path);
  if (typeof v !== 'string') {
    c.fail(path, `must be a duration string such as 2h or 90m (got ${JSON.stringify(v)})`);
    return null;
  }
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch (e) {
    c.fail(path, (e as Error).message);
    return null;
  }
  if (ms <= 0) {
    c.fail(path, 'must be longer than 0');
    return null;
  }
  return start === null ? null : start + ms;
}

/** A multiplier written 5x, 0.5x or as a plain number; null (error recorded) when it is neither or not > 0. */
function checkFactor(c: Checker, path: Path): number | null {
  const v = c.value(path);
  const n = typeof v === 'number' ? v : typeof v === 'string' && FACTOR.test(v.trim()) ? Number(v.trim().slice(0, -1)) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    c.fail(path, `must be a multiplier greater than 0 such as 5x or 1.5x (got ${JSON.stringify(v)})`);
    return null;
  }
  return n;
}

/**
 * onlineDemand: a multiplier of the forecast (5x), or a mapping {factor: 5x, memory: 1.2x, of: forecast |
 * requests, ramp: 10m}: factor multiplies CPU, memory multiplies memory (default: the factor); both
 * rise from 1 over the ramp after the window starts.
 */
function checkDemand(c: Checker, path: Path): OnlineDemand | null {
  if (!c.isMapping(path)) {
    const factor = checkFactor(c, path);
    return factor === null ? null : { factor, memoryFactor: factor, of: 'forecast', rampMs: 0 };
  }
  c.onlyKeys(path, DEMAND_FIELDS);
  if (c.value([...path, 'factor']) === undefined) {
    c.fail([...path, 'factor'], 'required: a multiplier such as 5x');
    return null;
  }
  const factor = checkFactor(c, [...path, 'factor']);
  const memoryFactor = c.value([...path, 'memory']) === undefined ? factor : checkFactor(c, [...path, 'memory']);
  const of = c.value([...path, 'of']) ?? 'forecast';
  if (of !== 'forecast' && of !== 'requests') c.fail([...path, 'of'], `must be forecast (the learned curves) or requests (got ${JSON.stringify(of)})`);
  const r = c.value([...path, 'ramp']);
  let rampMs = 0;
  if (r !== undefined) {
    try {
      if (typeof r !== 'string') throw new Error(`must be a duration string such as 10m (got ${JSON.stringify(r)})`);
      rampMs = parseDuration(r);
    } catch (e) {
      c.fail([...path, 'ramp'], (e as Error).message);
      return null;
    }
  }
  if (factor === null || memoryFactor === null || (of !== 'forecast' && of !== 'requests')) return null;
  return { factor, memoryFactor, of, rampMs };
}

// Things a valid profile may not mean: `tidal profile validate` passes it, but says so. Each warning
// names the window (and its line in the file) and what Tidal will actually do.

import { DateTime } from 'luxon';
import type { LevelSpec, Profile, WindowSpec } from '../scheduler/core/profile.ts';

const hm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function where(w: WindowSpec): string {
  return `window ${JSON.stringify(w.name)}${w.line ? ` (line ${w.line})` : ''}`;
}

function sumAboveOne(what: string, l: LevelSpec): string | null {
  const sum = l.batchShare + l.onlineHeadroom;
  if (sum <= 1 + 1e-9) return null;
  return `${what}: batchShare ${l.batchShare} + onlineHeadroom ${l.onlineHeadroom} = ${Number(sum.toFixed(4))} > 1: batch may borrow what online is meant to keep free (batch capacity is the smaller of the two limits)`;
}

/**
 * Local days in [from, from + days) on which a recurring window's start or end time does not exist
 * in the zone (a daylight-saving gap): the window then starts or ends an hour off.
 */
function gapDays(w: WindowSpec, zone: string, from: number, days: number): Array<{ date: string; at: string }> {
  const r = w.recurrence!;
  const out: Array<{ date: string; at: string }> = [];
  let d = DateTime.fromMillis(from, { zone }).startOf('day');
  for (let i = 0; i < days; i++, d = d.plus({ days: 1 })) {
    if (!r.days.includes(d.weekday as (typeof r.days)[number])) continue;
    for (const minute of new Set([r.startMinute, r.endMinute % 1440])) {
      const t = DateTime.fromObject({ year: d.year, month: d.month, day: d.day, hour: Math.floor(minute / 60), minute: minute % 60 }, { zone });
      if (t.hour * 60 + t.minute !== minute) out.push({ date: d.toISODate()!, at: hm(minute) });
    }
  }
  return out;
}

/** Warnings for a profile that validated, over `days` days from `from` for date-dependent ones (DST). */
export function profileWarnings(p: Profile, from: number = Date.now(), days = 366): string[] {
  const out: string[] = [];
  const def = sumAboveOne('spec.default', p.default);
  if (def) out.push(def);
  for (const w of p.windows) {
    // A window that only states an online demand has no level of its own (it inherits spec.default's).
    const sum = w.demandOnly ? null : sumAboveOne(where(w), w);
    if (sum) out.push(sum);
    for (const g of w.gapTimes ?? []) {
      const moved = DateTime.fromMillis(g.at, { zone: p.timeZone }).toISO({ suppressMilliseconds: true, suppressSeconds: true });
      out.push(`${where(w)}: ${g.field} ${g.written} does not exist in ${p.timeZone} (a daylight-saving gap): the zone rules move it to ${moved}`);
    }
    if (!w.recurrence) continue;
    const r = w.recurrence;
    if (r.startMinute === r.endMinute) {
      out.push(`${where(w)}: schedule start equals end (${hm(r.startMinute)}): read as a whole day (24 h), so it covers every window it outranks on its days`);
    }
    const gaps = gapDays(w, p.timeZone, from, days);
    if (gaps.length > 0) {
      const list = gaps.slice(0, 3).map((g) => `${g.at} on ${g.date}`).join(', ');
      out.push(`${where(w)}: ${list}${gaps.length > 3 ? ` and ${gaps.length - 3} more` : ''} does not exist in ${p.timeZone} (a daylight-saving gap): the window moves by the gap there`);
    }
  }
  return out;
}

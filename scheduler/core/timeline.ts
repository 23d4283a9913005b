// Evaluates a profile over time: which window is active, and the EFFECTIVE level once drain lead
// times and ramps are applied.
//
// Raw level: the winning window's level (by precedence) or the profile default, piecewise constant.
// Effective level: each raw segment i that starts at t_i with batch share s_i imposes, ahead of it,
//   c_i(t) = s_i                                       for t in [t_i - lead_i, t_i)
//   c_i(t) = raw(t) + (s_i - raw(t)) * (t - r0) / ramp_i   for t in [r0, t_i - lead_i), r0 = t_i - lead_i - ramp_i
// and effectiveShare(t) = min(raw(t), min_i c_i(t)); the headroom is treated alike with max. A window
// that lowers batch capacity therefore drains batch gradually and early; one that raises it takes
// effect at its start and nothing is forced ahead of it (the min never picks a higher value).
//
// Batch capacity is min(A*share, A*(1-headroom) - P) with P constant over a span, so its minimum over a
// span is reached at min share and max headroom separately: `over(a, b)` returns exactly that pair.

import { DateTime } from 'luxon';
import type { Level, LevelSpec, Profile, Weekday, WindowSpec } from './profile.ts';
import { comparePrecedence } from './profile.ts';

const DAY = 86_400_000;

export interface Segment {
  start: number;
  /** Exclusive. */
  end: number;
  level: LevelSpec;
  /** The winning window, or null for the profile default. */
  window: WindowSpec | null;
}

export interface EffectiveLevel extends Level {
  /** The raw segment in force at this instant. */
  segment: Segment;
  /** The coming segment whose lead time or ramp lowers the level now, if any. */
  drainingFor: Segment | null;
}

export interface Occurrence {
  start: number;
  end: number;
  window: WindowSpec;
}

export class ProfileTimeline {
  readonly profile: Profile;
  /** The longest lead + ramp of any level: how far ahead `at(t)` must look. */
  readonly horizonMs: number;
  #segments: Segment[] = [];
  /** The last answer of at(), the instant it was asked for and the span [from, until) it holds over. */
  #piece: { segments: Segment[]; at: number; from: number; until: number; level: EffectiveLevel } | null = null;
  #from = 0;
  #to = 0;

  constructor(profile: Profile) {
    this.profile = profile;
    let h = profile.default.drainLeadMs + profile.default.rampMs;
    for (const w of profile.windows) if (!w.demandOnly) h = Math.max(h, w.drainLeadMs + w.rampMs);
    this.horizonMs = h;
  }

  /** Raw segments that intersect [a, b). */
  segments(a: number, b: number): Segment[] {
    this.#ensure(a, b);
    const out: Segment[] = [];
    for (let i = this.#indexAt(a); i < this.#segments.length; i++) {
      const s = this.#segments[i]!;
      if (s.start >= b) break;
      out.push(s);
    }
    return out;
  }

  /**
   * The effective level at instant t. Answered from a cache while t stays in the piece the last
   * answer holds over: the same instant, or, where no coming segment's lead or ramp reaches, the rest
   * of the raw segment up to the first instant one does (the level is constant there). The cache
   * belongs to the materialised segments it was computed from.
   */
  at(t: number): EffectiveLevel {
    this.#ensure(t, t + this.horizonMs + 1);
    const c = this.#piece;
    if (c !== null && c.segments === this.#segments && (t === c.at || (t >= c.from && t < c.until))) return c.level;
    const i = this.#indexAt(t);
    const seg = this.#segments[i]!;
    let share = seg.level.batchShare;
    let headroom = seg.level.onlineHeadroom;
    let drainingFor: Segment | null = null;
    // Up to where nothing ahead constrains the level (when nothing does at t).
    let constant = true;
    let until = seg.end;
    for (let j = i + 1; j < this.#segments.length; j++) {
      const next = this.#segments[j]!;
      if (next.start > t + this.horizonMs) {
        until = Math.min(until, next.start - this.horizonMs);
        break;
      }
      const c = constraint(next, t, seg.level);
      if (c === null) {
        until = Math.min(until, next.start - next.level.drainLeadMs - next.level.rampMs);
        continue;
      }
      constant = false;
      if (c.batchShare < share || c.onlineHeadroom > headroom) drainingFor = next;
      share = Math.min(share, c.batchShare);
      headroom = Math.max(headroom, c.onlineHeadroom);
    }
    const out: EffectiveLevel = { batchShare: share, onlineHeadroom: headroom, segment: seg, drainingFor };
    // A peer's capacity model (constant profiles) travels with the level; Tidal's profiles have none.
    // The forecast mode's default level has one (profile.ts FORECAST_DEFAULT_MODEL): it gives way to
    // the plain formula while a window's drain lead or ramp is in force, so that the operator's caps
    // and floor ramp in as they would from any level.
    if (seg.level.model !== undefined && drainingFor === null) out.model = seg.level.model;
    this.#piece = { segments: this.#segments, at: t, from: constant ? t : Infinity, until: constant ? until : -Infinity, level: out };
    return out;
  }

  /** The worst level over [a, b]: the least batch share and the largest online headroom in force at any instant. */
  over(a: number, b: number): Level {
    if (b <= a) {
      const l = this.at(a);
      return withModel({ batchShare: l.batchShare, onlineHeadroom: l.onlineHeadroom }, l.model);
    }
    let share = Infinity;
    let headroom = -Infinity;
    // The model holds over the span only if it holds at every instant visited (see at()).
    let model = this.at(a).model;
    const visit = (t: number): void => {
      const l = this.at(t);
      share = Math.min(share, l.batchShare);
      headroom = Math.max(headroom, l.onlineHeadroom);
      if (l.model !== model) model = undefined;
    };
    visit(a);
    visit(b);
    // The effective level is piecewise linear between breakpoints and may jump at them; its extremes
    // on [a, b] are at a, b, the breakpoints, or just before a breakpoint (left limits, at 1 ms).
    for (const p of this.#breakpoints(a, b)) {
      visit(p);
      if (p - 1 > a) visit(p - 1);
    }
    return withModel({ batchShare: share, onlineHeadroom: headroom }, model);
  }

  /** The first instant after t at which the raw or effective level changes slope or value, or Infinity. */
  nextChange(t: number): number {
    const span = Math.max(7 * DAY, this.horizonMs * 2);
    for (let a = t; a < t + 400 * DAY; a += span) {
      let best = Infinity;
      for (const p of this.#breakpoints(a, a + span)) if (p > t && p < best) best = p;
      if (best !== Infinity) return best;
    }
    return Infinity;
  }

  #breakpoints(a: number, b: number): number[] {
    const out: number[] = [];
    for (const s of this.segments(a, b + this.horizonMs + 1)) {
      for (const p of [s.start, s.start - s.level.drainLeadMs, s.start - s.level.drainLeadMs - s.level.rampMs]) {
        if (p > a && p < b) out.push(p);
      }
    }
    return out;
  }

  #indexAt(t: number): number {
    const segs = this.#segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]!.start <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Materialises segments so that [a, b) is covered, extending the cached range when it is close. */
  #ensure(a: number, b: number): void {
    if (this.#segments.length > 0 && a >= this.#from && b <= this.#to) return;
    let from = a - DAY;
    let to = Math.max(b, a + DAY) + 8 * DAY;
    if (this.#segments.length > 0 && Math.max(to, this.#to) - Math.min(from, this.#from) < 64 * DAY) {
      from = Math.min(from, this.#from);
      to = Math.max(to, this.#to);
    }
    this.#segments = buildSegments(this.profile, from, to);
    this.#from = from;
    this.#to = to;
  }
}

function withModel(l: Level, model: Level['model']): Level {
  if (model !== undefined) l.model = model;
  return l;
}

/** The constraint a coming segment imposes at t (before its start), or null when its lead and ramp do not reach t. */
function constraint(next: Segment, t: number, raw: Level): Level | null {
  const leadStart = next.start - next.level.drainLeadMs;
  const rampStart = leadStart - next.level.rampMs;
  if (t < rampStart) return null;
  if (t >= leadStart) return next.level;
  const f = (t - rampStart) / next.level.rampMs;
  return {
    batchShare: raw.batchShare + (next.level.batchShare - raw.batchShare) * f,
    onlineHeadroom: raw.onlineHeadroom + (next.level.onlineHeadroom - raw.onlineHeadroom) * f,
  };
}

/** Windows that set a level (the timetable's): every window but those that only state an online demand. */
export const setsLevel = (w: WindowSpec): boolean => !w.demandOnly;

/** Occurrences of every window picked (by default those that set a level) that intersect [from, to). */
export function occurrences(profile: Profile, from: number, to: number, pick: (w: WindowSpec) => boolean = setsLevel): Occurrence[] {
  const out: Occurrence[] = [];
  let firstDay: DateTime | null = null;
  for (const w of profile.windows) {
    if (!pick(w)) continue;
    if (!w.recurrence) {
      if (w.start! < to && w.end! > from) out.push({ start: w.start!, end: w.end!, window: w });
      continue;
    }
    // One day earlier than `from` so that occurrences crossing midnight into the range are included.
    firstDay ??= DateTime.fromMillis(from, { zone: profile.timeZone }).startOf('day').minus({ days: 1 });
    const r = w.recurrence;
    for (let day = firstDay; day.toMillis() < to; day = day.plus({ days: 1 })) {
      if (!r.days.includes(day.weekday as Weekday)) continue;
      const start = localTime(day, r.startMinute);
      const endDay = r.endMinute <= r.startMinute ? day.plus({ days: 1 }) : day;
      const end = localTime(endDay, r.endMinute);
      if (start < to && end > from && end > start) out.push({ start, end, window: w });
    }
  }
  return out;
}

function localTime(day: DateTime, minute: number): number {
  // luxon moves a wall time that a DST jump skips forward, and picks the earlier of two repeated ones.
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 }).toMillis();
}

/** Resolves overlaps by precedence into contiguous raw segments covering [from, to). */
export function buildSegments(profile: Profile, from: number, to: number): Segment[] {
  const occ = occurrences(profile, from, to);
  const cuts = new Set<number>([from, to]);
  for (const o of occ) {
    if (o.start > from && o.start < to) cuts.add(o.start);
    if (o.end > from && o.end < to) cuts.add(o.end);
  }
  const points = [...cuts].sort((x, y) => x - y);
  const segs: Segment[] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const start = points[k]!;
    const end = points[k + 1]!;
    let winner: WindowSpec | null = null;
    for (const o of occ) {
      if (o.start <= start && o.end >= end && (winner === null || comparePrecedence(o.window, winner) > 0)) winner = o.window;
    }
    const last = segs[segs.length - 1];
    if (last && last.window === winner) {
      last.end = end;
    } else {
      segs.push({ start, end, level: winner ?? profile.default, window: winner });
    }
  }
  // Open the ends so that lookups just outside the materialised range still find a segment.
  segs[0]!.start = -Infinity;
  segs[segs.length - 1]!.end = Infinity;
  return segs;
}

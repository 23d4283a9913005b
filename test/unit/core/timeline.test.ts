import { describe, expect, it } from 'vitest';
import { constantProfile, type Profile, type WindowSpec } from '../../../scheduler/core/profile.ts';
import { ProfileTimeline } from '../../../scheduler/core/timeline.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-11-02T00:00:00Z'); // a Monday

function win(over: Partial<WindowSpec>): WindowSpec {
  return { name: 'w', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: 0, rampMs: 0, ...over };
}

function profile(windows: WindowSpec[], def = { batchShare: 0.3, onlineHeadroom: 0.2, drainLeadMs: 0, rampMs: 0 }): Profile {
  return { name: 'p', timeZone: 'UTC', default: def, windows };
}

describe('profile timeline', () => {
  it('uses the default level outside every window', () => {
    const tl = new ProfileTimeline(profile([]));
    expect(tl.at(T0)).toMatchObject({ batchShare: 0.3, onlineHeadroom: 0.2, drainingFor: null });
    expect(tl.nextChange(T0)).toBe(Infinity);
  });

  it('applies a recurring window that crosses midnight, every day', () => {
    const night = win({ name: 'night', batchShare: 0.8, onlineHeadroom: 0.1, recurrence: { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 22 * 60, endMinute: 6 * 60 } });
    const tl = new ProfileTimeline(profile([night]));
    expect(tl.at(T0 + 1 * H).segment.window?.name).toBe('night'); // 01:00 Monday: Sunday's occurrence
    expect(tl.at(T0 + 6 * H).segment.window).toBeNull();
    expect(tl.at(T0 + 22 * H).batchShare).toBe(0.8);
    expect(tl.at(T0 + 5 * 24 * H + 23 * H).batchShare).toBe(0.8);
  });

  it('honours days of the week', () => {
    const weekend = win({ name: 'weekend', batchShare: 0.9, recurrence: { days: [6, 7], startMinute: 0, endMinute: 0 } });
    const tl = new ProfileTimeline(profile([weekend]));
    expect(tl.at(T0 + 4 * 24 * H).segment.window).toBeNull(); // Friday
    expect(tl.at(T0 + 5 * 24 * H + 12 * H).segment.window?.name).toBe('weekend'); // Saturday noon
    expect(tl.at(T0 + 6 * 24 * H + 23 * H).segment.window?.name).toBe('weekend'); // Sunday 23:00
    expect(tl.at(T0 + 7 * 24 * H).segment.window).toBeNull(); // Monday 00:00
  });

  it('resolves overlaps: priority, then absolute over recurring, then later in the file', () => {
    const daily = win({ name: 'daily', index: 0, batchShare: 0.6, recurrence: { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 0, endMinute: 12 * 60 } });
    const later = win({ name: 'later', index: 1, batchShare: 0.5, recurrence: { days: [1], startMinute: 2 * 60, endMinute: 4 * 60 } });
    const event = win({ name: 'event', index: 2, batchShare: 0.1, start: T0 + 3 * H, end: T0 + 5 * H });
    const top = win({ name: 'top', index: 3, priority: 5, batchShare: 0.7, recurrence: { days: [1], startMinute: 4 * 60 + 30, endMinute: 6 * 60 } });
    const tl = new ProfileTimeline(profile([daily, later, event, top]));
    expect(tl.at(T0 + 1 * H).segment.window?.name).toBe('daily');
    expect(tl.at(T0 + 2.5 * H).segment.window?.name).toBe('later');
    expect(tl.at(T0 + 3.5 * H).segment.window?.name).toBe('event');
    expect(tl.at(T0 + 4.75 * H).segment.window?.name).toBe('top');
    expect(tl.at(T0 + 5.5 * H).segment.window?.name).toBe('top');
    expect(tl.at(T0 + 6.5 * H).segment.window?.name).toBe('daily');
  });

  it('drains ahead of a lowering window: linear ramp, then the new level a lead time early', () => {
    const peak = win({ name: 'peak', batchShare: 0, onlineHeadroom: 0.6, start: T0 + 10 * H, end: T0 + 12 * H, drainLeadMs: 1 * H, rampMs: 2 * H });
    const tl = new ProfileTimeline(profile([peak]));
    expect(tl.at(T0 + 6.9 * H).batchShare).toBeCloseTo(0.3);
    expect(tl.at(T0 + 7 * H).batchShare).toBeCloseTo(0.3);
    expect(tl.at(T0 + 8 * H).batchShare).toBeCloseTo(0.15);
    expect(tl.at(T0 + 8 * H).onlineHeadroom).toBeCloseTo(0.4);
    expect(tl.at(T0 + 8 * H).drainingFor?.window?.name).toBe('peak');
    expect(tl.at(T0 + 9 * H).batchShare).toBe(0);
    expect(tl.at(T0 + 9.5 * H).segment.window).toBeNull(); // still the default raw level...
    expect(tl.at(T0 + 9.5 * H).batchShare).toBe(0); // ...but drained
    expect(tl.at(T0 + 11 * H).batchShare).toBe(0);
    // After the window nothing is forced: the default returns at once.
    expect(tl.at(T0 + 12 * H).batchShare).toBeCloseTo(0.3);
  });

  it('never pulls a raising window forward', () => {
    const night = win({ name: 'night', batchShare: 0.9, onlineHeadroom: 0.05, start: T0 + 10 * H, end: T0 + 12 * H, drainLeadMs: 1 * H, rampMs: 1 * H });
    const tl = new ProfileTimeline(profile([night]));
    expect(tl.at(T0 + 9.5 * H).batchShare).toBe(0.3);
    expect(tl.at(T0 + 10 * H).batchShare).toBe(0.9);
  });

  it('gives the worst level over a span, including left limits at jumps', () => {
    const dip = win({ name: 'dip', batchShare: 0.05, onlineHeadroom: 0.7, start: T0 + 5 * H, end: T0 + 6 * H });
    const tl = new ProfileTimeline(profile([dip]));
    expect(tl.over(T0, T0 + 4 * H)).toEqual({ batchShare: 0.3, onlineHeadroom: 0.2 });
    expect(tl.over(T0, T0 + 5.5 * H)).toEqual({ batchShare: 0.05, onlineHeadroom: 0.7 });
    expect(tl.over(T0 + 6 * H, T0 + 8 * H)).toEqual({ batchShare: 0.3, onlineHeadroom: 0.2 });
    // A ramp towards a dip that a raising window interrupts: the minimum is just before the raise.
    const up = win({ name: 'up', index: 1, batchShare: 0.8, onlineHeadroom: 0.1, start: T0 + 10 * H, end: T0 + 12 * H });
    const down = win({ name: 'down', index: 2, batchShare: 0.2, onlineHeadroom: 0.1, start: T0 + 12 * H, end: T0 + 14 * H, rampMs: 3 * H });
    const tl2 = new ProfileTimeline(profile([up, down], { batchShare: 0.5, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 }));
    // ramp 09:00..12:00 from raw towards 0.2; at 10:00- raw 0.5 -> 0.5 - 0.3/3 = 0.4
    expect(tl2.over(T0 + 9 * H, T0 + 10.5 * H).batchShare).toBeCloseTo(0.4, 3);
  });

  it('handles DST in the profile time zone (wall-clock windows)', () => {
    const p: Profile = {
      name: 'dst',
      timeZone: 'Europe/Berlin',
      default: { batchShare: 0.2, onlineHeadroom: 0.2, drainLeadMs: 0, rampMs: 0 },
      windows: [win({ name: 'night', batchShare: 0.8, recurrence: { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 1 * 60, endMinute: 5 * 60 } })],
    };
    const tl = new ProfileTimeline(p);
    // 2026-10-25: CEST -> CET at 03:00 local. 01:00 local = 23:00Z the day before; 05:00 CET = 04:00Z.
    expect(tl.at(Date.parse('2026-10-24T23:30:00Z')).segment.window?.name).toBe('night');
    expect(tl.at(Date.parse('2026-10-25T03:30:00Z')).segment.window?.name).toBe('night');
    expect(tl.at(Date.parse('2026-10-25T04:00:00Z')).segment.window).toBeNull();
  });

  it('keeps a constant profile constant', () => {
    const tl = new ProfileTimeline(constantProfile({ batchShare: 1, onlineHeadroom: 0.1 }));
    expect(tl.over(T0, T0 + 100 * 24 * H)).toEqual({ batchShare: 1, onlineHeadroom: 0.1 });
  });
});

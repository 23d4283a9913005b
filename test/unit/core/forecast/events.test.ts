// Profile events in the forecast: onlineDemand windows per slot, with ramps and partial coverage,
// and windows that state only a demand leave the level timetable as it was.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../profiles/loader.ts';
import { SLOT_MS } from '../../../../scheduler/core/app-curves.ts';
import { factorAt, memoryFactorAt, slotEvents } from '../../../../scheduler/core/forecast/events.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';

const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.2\n  windows:\n';
const T0 = Date.parse('2026-11-11T00:00:00Z');
const MIN = 60_000;

describe('slotEvents', () => {
  it('an event of 5x from 00:00 for 1 h with a 30 m ramp: the largest factor in each slot', () => {
    const p = parseProfile(HEAD + '    - name: flash\n      start: "2026-11-11T00:00"\n      duration: 1h\n      onlineDemand: {factor: 5x, ramp: 30m}\n');
    const ev = slotEvents(p, T0 - SLOT_MS, 6);
    expect(ev.events[0]).toEqual([]);
    // Slot 00:00-00:15: f rises from 1 to 1 + 4 x (15 m - 1 ms) / 30 m at its last instant.
    expect(ev.events[1]![0]!.factor).toBeCloseTo(1 + (4 * (15 * MIN - 1)) / (30 * MIN), 12);
    expect(ev.events[1]![0]!.factor).toBeLessThan(3);
    // Slot 00:15-00:30 ends 1 ms short of the full factor, reached at 00:30 and held to the end.
    expect(ev.events[2]![0]!.factor).toBeCloseTo(1 + (4 * (30 * MIN - 1)) / (30 * MIN), 12);
    expect(ev.events[3]![0]).toEqual({ window: 'flash', factor: 5, memoryFactor: 5, of: 'forecast' });
    expect(ev.events[4]![0]!.factor).toBe(5);
    expect(ev.events[5]).toEqual([]);
    expect([...ev.covered]).toEqual([0, 1, 1, 1, 1, 0]);
    expect(factorAt({ factor: 5, memoryFactor: 1.4, of: 'forecast', rampMs: 30 * MIN }, T0, T0 + 15 * MIN)).toBe(3);
    expect(memoryFactorAt({ factor: 5, memoryFactor: 1.4, of: 'forecast', rampMs: 30 * MIN }, T0, T0 + 15 * MIN)).toBeCloseTo(1.2, 12);
  });

  it('a recurring event of requests, and one that covers a slot only in part', () => {
    const p = parseProfile(
      HEAD +
        '    - name: lunch\n      schedule: {days: daily, start: "12:00", end: "13:00"}\n      onlineDemand: {factor: 2, of: requests}\n' +
        '    - name: blip\n      start: "2026-11-11T00:05"\n      end: "2026-11-11T00:10"\n      onlineDemand: 0.5x\n',
    );
    const ev = slotEvents(p, T0, 96);
    expect(ev.events[0]).toEqual([{ window: 'blip', factor: 0.5, memoryFactor: 0.5, of: 'forecast' }]);
    expect(ev.covered[0]).toBe(0);
    for (let k = 48; k < 52; k++) expect(ev.events[k]).toEqual([{ window: 'lunch', factor: 2, memoryFactor: 2, of: 'requests' }]);
    expect(ev.events[47]).toEqual([]);
    expect(ev.events[52]).toEqual([]);
    expect(ev.covered[48]).toBe(1);
  });

  it('a window that states only a demand does not change the levels; one that also sets a level does', () => {
    const base = parseProfile(HEAD + '    - name: night\n      schedule: {start: "23:00", end: "08:00"}\n      batchShare: 0.7\n');
    const withDemand = parseProfile(
      HEAD + '    - name: night\n      schedule: {start: "23:00", end: "08:00"}\n      batchShare: 0.7\n    - name: flash\n      priority: 100\n      start: "2026-11-11T00:00"\n      duration: 2h\n      onlineDemand: 5x\n',
    );
    expect(withDemand.windows[1]!.demandOnly).toBe(true);
    const a = new ProfileTimeline(base);
    const b = new ProfileTimeline(withDemand);
    for (let t = T0 - 3 * 3_600_000; t < T0 + 6 * 3_600_000; t += 7 * MIN) {
      expect(b.at(t).batchShare).toBe(a.at(t).batchShare);
      expect(b.at(t).onlineHeadroom).toBe(a.at(t).onlineHeadroom);
    }
    expect(b.at(T0 + 30 * MIN).segment.window?.name).toBe('night');
    const both = parseProfile(HEAD + '    - name: flash\n      start: "2026-11-11T00:00"\n      duration: 2h\n      batchShare: 0\n      onlineDemand: 5x\n');
    expect(both.windows[0]!.demandOnly).toBeUndefined();
    expect(new ProfileTimeline(both).at(T0 + 30 * MIN).batchShare).toBe(0);
    expect(slotEvents(both, T0, 8).events[7]).toEqual([{ window: 'flash', factor: 5, memoryFactor: 5, of: 'forecast' }]);
  });
});

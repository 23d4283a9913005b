import { describe, expect, it } from 'vitest';
import { AppCurves, SLOTS_PER_DAY } from '../../../scheduler/core/app-curves.ts';

const MONDAY = Date.parse('2026-11-09T00:00:00Z');
const H = 3_600_000;

describe('app usage curves', () => {
  it('maps instants to week slots from Monday 00:00 local', () => {
    const c = new AppCurves({ utcOffsetMinutes: 480 });
    expect(c.slotOf(Date.parse('2026-11-09T00:00:00+08:00'))).toBe(0);
    expect(c.slotOf(Date.parse('2026-11-09T00:14:59+08:00'))).toBe(0);
    expect(c.slotOf(Date.parse('2026-11-09T00:15:00+08:00'))).toBe(1);
    expect(c.slotOf(Date.parse('2026-11-10T12:00:00+08:00'))).toBe(SLOTS_PER_DAY + 48);
    expect(c.slotOf(Date.parse('2026-11-15T23:59:00+08:00'))).toBe(7 * SLOTS_PER_DAY - 1);
  });

  it('learns a daily curve and predicts its shape, falling back from week to day to overall', () => {
    const c = new AppCurves({ z: 0 });
    // Three days of a service peaking at 20:00 (cpu 4000m) and idling at 04:00 (500m).
    for (let d = 0; d < 3; d++) {
      for (let h = 0; h < 24; h++) {
        const cpu = h === 20 ? 4000 : h === 4 ? 500 : 1500;
        c.observe('shop', MONDAY + d * 24 * H + h * H, { cpu, memory: 1e9 });
      }
    }
    const at = (t: number) => c.predict('shop', t, { cpu: 0, memory: 0 })!.cpu;
    // Thursday has no data of its own: the day curve answers.
    expect(at(MONDAY + 3 * 24 * H + 20 * H)).toBeCloseTo(4000);
    expect(at(MONDAY + 3 * 24 * H + 4 * H)).toBeCloseTo(500);
    // A slot never seen falls back to the overall level.
    expect(at(MONDAY + 20 * H + 30 * 60_000)).toBeGreaterThan(500);
    expect(at(MONDAY + 20 * H + 30 * 60_000)).toBeLessThan(4000);
    expect(c.predict('unknown', MONDAY, { cpu: 0, memory: 0 })).toBeNull();
  });

  it('adds z standard deviations for noisy slots', () => {
    const c = new AppCurves({ z: 2, minWeekSamples: 1 });
    for (let w = 0; w < 10; w++) c.observe('noisy', MONDAY + w * 7 * 24 * H, { cpu: w % 2 ? 1000 : 3000, memory: 0 });
    const p = c.predict('noisy', MONDAY, { cpu: 0, memory: 0 })!;
    expect(p.cpu).toBeGreaterThan(2500);
    const q = new AppCurves({ z: 2, minWeekSamples: 1 });
    for (let w = 0; w < 10; w++) q.observe('steady', MONDAY + w * 7 * 24 * H, { cpu: 2000, memory: 0 });
    expect(q.predict('steady', MONDAY, { cpu: 0, memory: 0 })!.cpu).toBeCloseTo(2000);
  });

  it('keeps memory bounded: least recently used apps are dropped', () => {
    const c = new AppCurves({ maxApps: 3 });
    for (const a of ['a', 'b', 'c', 'd']) c.observe(a, MONDAY, { cpu: 1, memory: 1 });
    expect(c.size).toBe(3);
    expect(c.get('a')).toBeUndefined();
  });

  it('ignores invalid observations', () => {
    const c = new AppCurves();
    c.observe('x', MONDAY, { cpu: Number.NaN, memory: 1 });
    c.observe('x', MONDAY, { cpu: -1, memory: 1 });
    expect(c.get('x')).toBeUndefined();
  });
});

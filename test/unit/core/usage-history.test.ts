// A node's usage history keeps the latest sample and those within the window predictOnline reads, up to
// maxSamples (scheduler/core/usage.ts). Against a plain list of every sample: the same predictions for
// any window it keeps, over random sample times; the ring stays as small as the window needs.

import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { UsageHistory } from '../../../scheduler/core/usage.ts';
import type { Resources, UsageSample } from '../../../scheduler/core/model.ts';
import { Rng } from '../../../simulator/traces/rng.ts';

const T0 = Date.parse('2026-11-10T00:00:00Z');
const MIN = 60_000;

/** predictOnline from every sample ever added, the last `maxSamples` of them at most. */
function reference(all: readonly UsageSample[], maxSamples: number, windowMs: number, percentile: number): Resources | null {
  const kept = all.slice(-maxSamples);
  if (kept.length === 0) return null;
  const last = kept[kept.length - 1]!;
  const inWindow = kept.filter((s) => s.time >= last.time - windowMs);
  const q = (xs: number[]) => quantileSorted(xs.sort((a, b) => a - b), percentile);
  return { cpu: Math.max(q(inWindow.map((s) => s.online.cpu)), last.online.cpu), memory: Math.max(q(inWindow.map((s) => s.online.memory)), last.online.memory) };
}

describe('usage history', () => {
  it('predicts as a list of every sample would, for windows up to the one it keeps, capped at maxSamples', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = new Rng(seed, 'usage-history');
      const r = () => rand.next();
      const maxSamples = [5, 30, 720][seed % 3]!;
      const keepMs = 60 * MIN;
      const h = new UsageHistory(maxSamples, keepMs);
      const all: UsageSample[] = [];
      let t = T0;
      for (let k = 0; k < 400; k++) {
        // Gaps from 0 (two samples at one time) to two hours (the whole window left behind).
        t += [0, 15_000, 60_000, 5 * MIN, 2 * 60 * MIN][Math.floor(r() * 5)]!;
        const s: UsageSample = { time: t, online: { cpu: Math.round(r() * 8000), memory: r() * 32e9 }, batch: { cpu: r() * 4000, memory: r() * 8e9 } };
        h.add(s);
        all.push(s);
        expect(h.latest()).toStrictEqual(s);
        for (const w of [10 * MIN, keepMs]) expect(h.predictOnline(w, 0.95)).toStrictEqual(reference(all, maxSamples, w, 0.95));
      }
    }
  });

  it('holds only the window it needs: 13 five-minute samples of a 1-hour window, not 720', () => {
    const h = new UsageHistory(720, 60 * MIN);
    for (let k = 0; k < 2000; k++) h.add({ time: T0 + k * 5 * MIN, online: { cpu: k, memory: k }, batch: { cpu: 0, memory: 0 } });
    expect(h.size).toBe(13);
    expect(h.capacity).toBe(16);
    // One-second samples fill the window past maxSamples: the ring stops growing there.
    const fast = new UsageHistory(720, 60 * MIN);
    for (let k = 0; k < 5000; k++) fast.add({ time: T0 + k * 1000, online: { cpu: k, memory: k }, batch: { cpu: 0, memory: 0 } });
    expect(fast.size).toBe(720);
    expect(fast.capacity).toBe(720);
  });

  it('refuses a window longer than it keeps, and an older sample', () => {
    const h = new UsageHistory(720, 60 * MIN);
    h.add({ time: T0, online: { cpu: 1, memory: 1 }, batch: { cpu: 0, memory: 0 } });
    expect(() => h.predictOnline(61 * MIN, 0.95)).toThrow(/longer than the history keeps/);
    expect(() => h.add({ time: T0 - 1, online: { cpu: 1, memory: 1 }, batch: { cpu: 0, memory: 0 } })).toThrow(/older than the latest/);
  });
});

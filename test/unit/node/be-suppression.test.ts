// koordlet BE CPU suppression (cpu_suppress.go), each behaviour on a hand-computed 32-core node.

import { describe, expect, it } from 'vitest';
import { BeSuppression, KOORDLET_BE_SUPPRESSION, suppressTarget } from '../../../simulator/node/be-suppression.ts';
import { BATCH, ContentionResult, ContentionWorkspace, nonBatchCpuDemand, ONLINE, PodBuffer, resolveNode } from '../../../simulator/node/contention.ts';

const CAP = 32_000; // 32 cores
const cpuset = () => new BeSuppression(KOORDLET_BE_SUPPRESSION, CAP);
const cfs = () => new BeSuppression({ ...KOORDLET_BE_SUPPRESSION, policy: 'cfsQuota' }, CAP);

describe('the target', () => {
  it('is capacity x 65% - non-batch usage - max(non-pod usage, reserved)', () => {
    // 20800 - 8000 - max(300, 1000)
    expect(suppressTarget(65, CAP, 8000, 1000, 300)).toBe(11_800);
    expect(suppressTarget(65, CAP, 8000, 1000, 2500)).toBe(10_300);
    expect(suppressTarget(65, CAP, 25_000)).toBe(-4200);
  });
});

describe('cpuset policy (the default)', () => {
  it('starts with every CPU and shrinks at once to ceil(target) cores', () => {
    const s = cpuset();
    expect(s.current).toBe(32_000);
    expect(s.step(11_800)).toBe(12_000);
  });

  it('never goes below 2 cores', () => {
    const s = cpuset();
    expect(s.step(-4200)).toBe(2000);
    expect(s.step(500)).toBe(2000);
  });

  it('grows back by at most ceil(10% of the CPUs) = 4 cores a step', () => {
    const s = cpuset();
    s.step(0);
    expect([s.step(11_800), s.step(11_800), s.step(11_800), s.step(11_800)]).toEqual([6000, 10_000, 12_000, 12_000]);
  });

  it('over a 60-s sample (60 one-second steps) the cap is the mean of the ramp', () => {
    const s = cpuset();
    s.step(0); // 2 cores
    // 6, 10, then 12 for the remaining 58 steps.
    expect(s.advance(60_000, 8000, 1000)).toBeCloseTo(((6 + 10 + 12 * 58) / 60) * 1000, 9);
    expect(s.current).toBe(12_000);
    // A sample as short as one step sees one step of the ramp.
    const t = cpuset();
    t.step(0);
    expect(t.advance(1000, 8000, 1000)).toBe(6000);
  });
});

describe('cfsQuota policy', () => {
  it('from unlimited (-1) the first step lands at 10% of capacity, then grows 10% a step', () => {
    const s = cfs();
    expect(s.current).toBe(Infinity);
    // quota 1,180,000 us; current -1; growth capped at 320,000 us -> 319,999 us = 3199.99 m.
    expect(s.step(11_800)).toBeCloseTo(3199.99, 9);
    expect(s.step(11_800)).toBeCloseTo(6399.99, 9);
    expect(s.step(11_800)).toBeCloseTo(9599.99, 9);
    expect(s.step(11_800)).toBe(11_800);
  });

  it('skips a change under 1% of capacity (320 m), shrinks at once, and floors at 2000 us (20 m)', () => {
    const s = cfs();
    for (let i = 0; i < 4; i++) s.step(11_800);
    expect(s.step(12_000)).toBe(11_800); // +200 m < 320 m: bypassed
    expect(s.step(5000)).toBe(5000);
    expect(s.step(-4200)).toBe(20);
    expect(s.step(-4200)).toBe(20); // the minimum is written even though the delta is 0
  });
});

describe('configuration', () => {
  it('rejects nonsense with the field named', () => {
    expect(() => new BeSuppression({ ...KOORDLET_BE_SUPPRESSION, thresholdPercent: 120 }, CAP)).toThrow(/thresholdPercent/);
    expect(() => new BeSuppression({ ...KOORDLET_BE_SUPPRESSION, stepMs: 0 }, CAP)).toThrow(/stepMs/);
    expect(() => new BeSuppression(KOORDLET_BE_SUPPRESSION, 0)).toThrow(/capacity/);
  });
});

describe('with the contention model', () => {
  it('keeps a Koordinator node out of interference that it would otherwise reach', () => {
    const node = { cpu: CAP, memory: 2 ** 40 };
    const pods = new PodBuffer();
    pods.push(ONLINE, 12_000, 12_000, 0, 500, 1000, 'web');
    const job = pods.push(BATCH, 20_000, 20_000, 0, 1000, 0, 'job');
    const free = resolveNode(node, pods, { intervalMs: 60_000 }, new ContentionWorkspace(), new ContentionResult());
    expect(free.cpuUsed).toBe(32_000);
    expect(free.interference).toBe(true);
    // 20.8 - 12 = 8.8 cores -> a 9-core cpuset, applied at once (shrinking is not ramped).
    const cap = cpuset().advance(60_000, nonBatchCpuDemand(pods));
    expect(cap).toBe(9000);
    const held = resolveNode(node, pods, { intervalMs: 60_000, batchCpuCap: cap }, new ContentionWorkspace(), new ContentionResult());
    expect(held.cpuGranted[job]).toBe(9000);
    expect(held.cpuUsed).toBe(21_000);
    expect(held.interference).toBe(false);
    expect(held.cpuDeniedCoreSeconds[BATCH]).toBeCloseTo(11 * 60, 9);
  });
});

// Runtime estimates for batch pods that declare none, and what they commit on a node.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../profiles/loader.ts';
import { batchCommitments, batchEnd } from '../../../../scheduler/core/forecast/span-capacity.ts';
import { DEFAULT_RUNTIME_ESTIMATE_MS, RuntimeEstimates, runtimeKey } from '../../../../scheduler/core/forecast/runtime.ts';
import { forecastModeProfile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';
import { BatchUsageEstimates } from '../../../../scheduler/core/forecast/batch-usage.ts';
import { ForecastBook } from '../../../../scheduler/core/forecast/book.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { batch, GiB, node } from '../../../helpers/core.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-11-10T12:00:00Z');

describe('runtime estimates', () => {
  it('declared, else learned per owner from completed pods (mean of the last `keep`), else the default', () => {
    const r = new RuntimeEstimates(2);
    const p = batch({ ownerKind: 'Job', ownerName: 'etl', namespace: 'b' });
    expect(runtimeKey(p)).toBe('b/Job/etl');
    expect(r.runtimeOf(p, 3_600_000)).toEqual({ ms: 3_600_000, source: 'default' });
    r.observe('b/Job/etl', 10 * MIN);
    r.observe('b/Job/etl', 20 * MIN);
    r.observe('b/Job/etl', 40 * MIN); // keeps the last 2: mean 30 m
    expect(r.runtimeOf(p, 3_600_000)).toEqual({ ms: 30 * MIN, source: 'learned' });
    expect(r.runtimeOf({ ...p, expectedRuntimeMs: 5 * MIN }, 3_600_000)).toEqual({ ms: 5 * MIN, source: 'declared' });
    expect(runtimeKey(batch({ ownerName: '', app: 'x', namespace: 'b' }))).toBe('b/app/x');
    expect(DEFAULT_RUNTIME_ESTIMATE_MS).toBe(3_600_000);
  });

  it('the state learns from pods that complete, not from pods evicted (terminating)', () => {
    const s = new ClusterState();
    s.upsertNode(node('n1'), T0);
    const a = batch({ uid: 'a', ownerKind: 'Job', ownerName: 'j', nodeName: 'n1', startedAt: T0 });
    const b = batch({ uid: 'b', ownerKind: 'Job', ownerName: 'j', nodeName: 'n1', startedAt: T0, terminating: true });
    s.upsertPod(a, T0);
    s.upsertPod(b, T0);
    s.completePod('b', T0 + 5 * MIN);
    expect(s.runtimes.learned('default/Job/j')).toBeNull();
    s.completePod('a', T0 + 25 * MIN);
    expect(s.runtimes.learned(runtimeKey(a))).toBe(25 * MIN);
    expect(s.pods.size).toBe(0);
  });

  it('tells whether the estimate of any of some keys changed since a version, an eviction counting as a change of every key', () => {
    const r = new RuntimeEstimates(20, 2);
    r.observe('a', 10 * MIN);
    const v = r.version;
    expect(r.changedSince(['a', 'b'], v)).toBe(false);
    r.observe('c', 10 * MIN); // another job's
    expect(r.changedSince(['a', 'b'], v)).toBe(false);
    r.observe('b', 10 * MIN); // one of the keys, first seen since
    expect(r.changedSince(['a', 'b'], v)).toBe(true);
    const w = r.version;
    r.observe('d', 10 * MIN); // a third key with room for two: the least recent ('c') is dropped
    expect(r.learned('c')).toBeNull();
    expect(r.changedSince(['a'], w)).toBe(true);
    const u = new BatchUsageEstimates(10);
    const p = batch({ ownerName: 'j', requests: { cpu: 1000, memory: GiB } });
    u.observe(p, 500);
    const x = u.version;
    u.observe(p, 400); // lower: the ratio stays, nothing changed
    expect(u.changedSince([runtimeKey(p)], x)).toBe(false);
    u.observe(p, 700);
    expect(u.changedSince([runtimeKey(p)], x)).toBe(true);
  });

  it('changedSince answers as each key\'s own stamp does, whether from the log of recent changes or from the stamps', () => {
    // A reference that keeps every key's last change and every eviction; random observations over a
    // few keys with room for three of them, asked after 0 to 40 changes (the log remembers 16).
    const keys = ['a', 'b', 'c', 'd', 'e'];
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.constantFrom(...keys), ms: fc.integer({ min: 1, max: 5 }) }), { maxLength: 60 }), fc.array(fc.subarray(keys), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 60 }), (steps, asked, at) => {
        const r = new RuntimeEstimates(20, 3);
        const u = new BatchUsageEstimates(3);
        const versions = { r: [r.version], u: [u.version] };
        for (const { key, ms } of steps) {
          r.observe(key, ms * MIN);
          u.observe(batch({ ownerKind: 'Job', ownerName: key, namespace: 'n', requests: { cpu: 1000, memory: GiB } }), ms * 100);
          versions.r.push(r.version);
          versions.u.push(u.version);
        }
        const i = Math.min(at, steps.length);
        // Changed after step i: a key observed (runtimes: always; usage: when new or its ratio rose),
        // or any key dropped since.
        for (const ks of asked) {
          expect(r.changedSince(ks, versions.r[i]!)).toBe(reference(steps, i, ks, () => true));
          expect(u.changedSince(ks.map((k) => `n/Job/${k}`), versions.u[i]!)).toBe(reference(steps, i, ks, (had, ms) => ms > had));
        }
      }),
    );
    /** Replays a store's rule (three keys kept by recency, `changes` telling whether a known key's value changed): whether one of `ks` changed or any key was dropped after step i. */
    function reference(steps: { key: string; ms: number }[], i: number, ks: string[], changes: (had: number, ms: number) => boolean): boolean {
      const value = new Map<string, number>();
      let changed = false;
      steps.forEach(({ key, ms }, n) => {
        const had = value.get(key);
        if (had === undefined) {
          if (value.size >= 3) {
            value.delete(value.keys().next().value!);
            if (n >= i) changed = true;
          }
          value.set(key, ms);
          if (n >= i && ks.includes(key)) changed = true;
          return;
        }
        value.delete(key);
        value.set(key, Math.max(had, ms));
        if (n >= i && changes(had, ms) && ks.includes(key)) changed = true;
      });
      return changed;
    }
  });

  it("a node's forecast commitments are remade when an estimate of a job on it changes, and kept when another job's does", () => {
    const s = new ClusterState();
    s.upsertNode(node('n1'), T0);
    s.upsertNode(node('n2'), T0);
    s.upsertPod(batch({ uid: 'a', ownerName: 'ja', nodeName: 'n1', startedAt: T0, requests: { cpu: 1000, memory: GiB } }), T0);
    s.upsertPod(batch({ uid: 'b', ownerName: 'jb', nodeName: 'n2', startedAt: T0, requests: { cpu: 1000, memory: GiB } }), T0);
    const book = new ForecastBook(0.95, {}, 60 * MIN, 'requests');
    const profile = constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'none');
    const held = (n: string): number => Array.from(book.forecast(s, s.nodes.get(n)!, profile, T0 + MIN).committed.cpu).filter((c) => c > 0).length;
    expect([held('n1'), held('n2')]).toEqual([4, 4]); // the 1 h default: 4 slots
    const n1 = book.forecast(s, s.nodes.get('n1')!, profile, T0 + MIN).committed;
    s.runtimes.observe(runtimeKey(batch({ ownerName: 'jb' })), 30 * MIN);
    expect([held('n1'), held('n2')]).toEqual([4, 2]); // jb learned 30 m: n2 remade
    expect(book.forecast(s, s.nodes.get('n1')!, profile, T0 + MIN).committed).toBe(n1); // n1 kept as it was
    s.runtimes.observe(runtimeKey(batch({ ownerName: 'ja' })), 45 * MIN);
    expect([held('n1'), held('n2')]).toEqual([3, 2]);
  });

  it("a pod that declares its runtime is committed for it: its job's learned estimate changing leaves the node's commitments as they were, a usage sample too", () => {
    const s = new ClusterState();
    s.upsertNode(node('n1'), T0);
    s.upsertPod(batch({ uid: 'a', ownerName: 'ja', nodeName: 'n1', startedAt: T0, expectedRuntimeMs: 20 * MIN, requests: { cpu: 1000, memory: GiB } }), T0);
    const book = new ForecastBook(0.95, {}, 60 * MIN, 'requests');
    const profile = constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'none');
    const at = () => book.forecast(s, s.nodes.get('n1')!, profile, T0 + MIN).committed;
    const before = at();
    expect(Array.from(before.cpu.slice(0, 3))).toEqual([1000, 1000, 0]); // 20 m declared: 2 slots
    s.runtimes.observe(runtimeKey(batch({ ownerName: 'ja' })), 90 * MIN);
    expect(at()).toBe(before);
    // A usage sample remakes the forecast (the node changed) but not the commitments (its pods did not).
    s.recordNodeUsage('n1', { time: T0 + MIN, online: { cpu: 500, memory: GiB }, batch: { cpu: 900, memory: GiB } });
    expect(at()).toBe(before);
    // A pod bound there does.
    s.upsertPod(batch({ uid: 'b', ownerName: 'jb', nodeName: 'n1', startedAt: T0 + MIN, expectedRuntimeMs: 20 * MIN, requests: { cpu: 500, memory: GiB } }), T0 + MIN);
    expect(Array.from(at().cpu.slice(0, 3))).toEqual([1500, 1500, 0]);
  });

  it('commitments: an undeclared pod holds its requests for its estimate, at least through the next slot; without an estimate until further notice', () => {
    const p = batch({ requests: { cpu: 1000, memory: GiB }, startedAt: T0 });
    expect(batchEnd(p, T0 + MIN)).toBe(Infinity);
    expect(batchEnd(p, T0 + MIN, () => 40 * MIN)).toBe(T0 + 40 * MIN);
    expect(batchEnd(p, T0 + 50 * MIN, () => 40 * MIN)).toBe(T0 + 65 * MIN); // outlived it: one more slot
    const c = batchCommitments([p], T0, 8, T0 + MIN, () => 40 * MIN);
    expect(Array.from(c.cpu)).toEqual([1000, 1000, 1000, 0, 0, 0, 0, 0]);
    expect(Array.from(batchCommitments([p], T0, 4, T0 + MIN, () => 40 * MIN, new Set([p.uid])).cpu)).toEqual([0, 0, 0, 0]);
  });
});

describe('forecast mode profile', () => {
  const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.25\n';
  it('a profile with no windows runs on the forecast alone (no caps)', () => {
    const p = forecastModeProfile(parseProfile(HEAD));
    expect(p.windows).toEqual([]);
    expect(new ProfileTimeline(p).at(T0)).toMatchObject({ batchShare: 1, onlineHeadroom: 0 });
  });

  it('drops recurring windows, keeps dated caps, and makes demand windows events (demand-only)', () => {
    const text =
      HEAD +
      '  windows:\n' +
      '    - name: night\n      schedule: {days: daily, start: "23:00", end: "08:00"}\n      batchShare: 0.7\n' +
      '    - name: freeze\n      start: "2026-11-12T00:00"\n      duration: 2h\n      batchShare: 0\n' +
      '    - name: sale\n      start: "2026-11-11T00:00"\n      duration: 2h\n      batchShare: 0\n      onlineDemand: 5x\n';
    const p = forecastModeProfile(parseProfile(text));
    expect(p.windows.map((w) => [w.name, !!w.demandOnly])).toEqual([
      ['freeze', false],
      ['sale', true],
    ]);
    const tl = new ProfileTimeline(p);
    expect(tl.at(Date.parse('2026-11-11T01:00:00Z')).batchShare).toBe(1); // the sale: the forecast decides
    expect(tl.at(Date.parse('2026-11-12T01:00:00Z')).batchShare).toBe(0); // the operator's dated cap
  });
});

// The engine's forecast book: forecasts remade only when something they read changed, errors fed
// from the nodes' own samples, and the above-band signal (a sample over the band the previous
// forecast gave for its slot).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ForecastBook, nodeErrorKey } from '../../../../scheduler/core/forecast/book.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { parseProfile } from '../../../../profiles/loader.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const MIN = 60_000;
const profile = constantProfile({ batchShare: 1, onlineHeadroom: 0 });

function world() {
  const state = new ClusterState();
  const n = state.upsertNode(node('n1'), T0 - MIN);
  // A system tenant: no app curve, so the forecast is the residual (the observation) alone.
  state.upsertPod(pod({ uid: 'ds', class: 'system', app: 'ds', requests: { cpu: 2000, memory: 4 * GiB }, nodeName: 'n1', startedAt: T0 - MIN }), T0 - MIN);
  const sample = (t: number, cpu: number) => state.recordNodeUsage('n1', { time: t, online: { cpu, memory: 4 * GiB }, batch: { cpu: 0, memory: 0 } });
  return { state, n, sample, book: new ForecastBook(0.95) };
}

describe('ForecastBook', () => {
  it('keeps a forecast while nothing it reads changed; remakes it when the node changed', () => {
    const w = world();
    const a = w.book.forecast(w.state, w.n, profile, T0);
    expect(w.book.forecast(w.state, w.n, profile, T0 + 5 * MIN)).toBe(a);
    expect(a.forecast.upperCpu[0]).toBe(2000); // no usage yet: the system pod's requests
    w.sample(T0 + 6 * MIN, 1500);
    const b = w.book.forecast(w.state, w.n, profile, T0 + 7 * MIN);
    expect(b).not.toBe(a);
    expect(b.forecast.meanCpu[0]).toBe(1500);
    // A new slot: a new horizon.
    expect(w.book.forecast(w.state, w.n, profile, T0 + 16 * MIN).forecast.start).toBe(T0 + 15 * MIN);
  });

  it('a sample above the previous forecast\'s band raises the signal, by how much; one within clears it; errors are fed', () => {
    const w = world();
    w.sample(T0, 2000);
    expect(w.book.forecast(w.state, w.n, profile, T0 + MIN).above).toBeNull();
    w.sample(T0 + 5 * MIN, 2600);
    expect(w.book.forecast(w.state, w.n, profile, T0 + 6 * MIN).above).toEqual({ cpu: 600, memory: 0 });
    w.sample(T0 + 20 * MIN, 2600); // a later slot: the first slot's error (+600) is folded
    expect(w.book.forecast(w.state, w.n, profile, T0 + 21 * MIN).above).toBeNull();
    expect(w.book.errors.stats(nodeErrorKey('n1'))).toEqual({ n: 1, bias: { cpu: 600, memory: 0 }, sd: { cpu: 0, memory: 0 } });
  });

  it('a sample from a slot a profile event covered feeds no error (the operator\'s statement, not the curves\'), and still raises the signal', () => {
    const w = world();
    const flash = parseProfile(
      'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 1\n    onlineHeadroom: 0\n' +
        '  windows:\n    - name: flash\n      start: "2026-11-02T00:15"\n      duration: 30m\n      onlineDemand: 5x\n',
    );
    w.sample(T0, 2000);
    w.book.forecast(w.state, w.n, flash, T0 + MIN);
    w.sample(T0 + 16 * MIN, 2600); // slot 1, the event's: 600 over the band, not fed
    expect(w.book.forecast(w.state, w.n, flash, T0 + 17 * MIN).above).toEqual({ cpu: 600, memory: 0 });
    w.sample(T0 + 31 * MIN, 3600); // slot 2, the event's: not fed
    w.book.forecast(w.state, w.n, flash, T0 + 32 * MIN);
    w.sample(T0 + 46 * MIN, 3700); // slot 3, after it: 100 over the forecast anchored on 3600, fed
    w.book.forecast(w.state, w.n, flash, T0 + 47 * MIN);
    w.sample(T0 + 61 * MIN, 3700); // slot 4 folds slot 3
    w.book.forecast(w.state, w.n, flash, T0 + 62 * MIN);
    expect(w.book.errors.stats(nodeErrorKey('n1'))).toEqual({ n: 1, bias: { cpu: 100, memory: 0 }, sd: { cpu: 0, memory: 0 } });
  });

  it("commitmentsAt gives what commitments() makes at that instant, for any batch pods and instants of one slot (property)", () => {
    const pods = fc.array(
      fc.record({ started: fc.integer({ min: -120, max: 14 }), declared: fc.constantFrom(0, 10, 30, 90), cpu: fc.integer({ min: 1, max: 8 }), leaving: fc.boolean(), terminating: fc.boolean() }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(pods, fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 60 }), (list, first, second, learnedMin) => {
        const state = new ClusterState();
        const n = state.upsertNode(node('n1'), T0 - 200 * MIN);
        const leaving = new Set<string>();
        list.forEach((p, k) => {
          const uid = `b${k}`;
          state.upsertPod(batch({ uid, ownerName: `j${k % 3}`, nodeName: 'n1', startedAt: T0 + p.started * MIN, expectedRuntimeMs: p.declared * MIN, terminating: p.terminating, requests: { cpu: p.cpu * 1000, memory: GiB } }), T0);
          if (p.leaving) leaving.add(uid);
        });
        if (learnedMin > 0) state.runtimes.observe('default/Job/j1', learnedMin * MIN);
        const book = new ForecastBook(0.95);
        // The entry is made at one instant of the slot [T0, T0 + 15 m) and read at another.
        book.forecast(state, n, profile, T0 + first * MIN);
        const now = T0 + second * MIN;
        const e = book.forecast(state, n, profile, now);
        for (const out of [undefined, leaving]) {
          const got = book.commitmentsAt(state, n, e, 8, now, out);
          const want = book.commitments(state, n.pods.values(), T0, 8, now, out);
          expect(Array.from(got.cpu.subarray(0, 8))).toEqual(Array.from(want.cpu));
          expect(Array.from(got.memory.subarray(0, 8))).toEqual(Array.from(want.memory));
        }
      }),
      { numRuns: 400 },
    );
  });
});

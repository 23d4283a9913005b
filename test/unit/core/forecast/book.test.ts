// The engine's forecast book: forecasts remade only when something they read changed, errors fed
// from the nodes' own samples, and the above-band signal (a sample over the band the previous
// forecast gave for its slot).

import { describe, expect, it } from 'vitest';
import { ForecastBook, nodeErrorKey } from '../../../../scheduler/core/forecast/book.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { GiB, node, pod } from '../../../helpers/core.ts';

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
});

// AvoidBatchEviction by hand on 16-core, 64 GiB nodes at batchShare 0.5, headroom 0.2. "batchy" holds
// an online pod (1 core) and 8 cores of batch; no usage, so the online side is predicted at its
// requests. Batch capacity once the pod joins: min(16000 x 0.5, 16000 x 0.8 - 1000 - pod).
//   pod 2000m: min(8000, 9800) = 8000 >= 8000 held: nothing to evict, 100.
//   pod 5000m: min(8000, 6800) = 6800: 1200m of batch must go, excess 1200/16000 = 0.075:
//              50 x (1 - 0.075) = 46.25 (always below a node that evicts nothing).

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT } from '../../../../scheduler/core/config.ts';
import { AvoidBatchEviction } from '../../../../scheduler/core/plugins/avoid-batch-eviction.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, scoresOn, world } from '../../../helpers/plugins.ts';

const tenants = () => [pod({ nodeName: 'batchy', requests: { cpu: 1000, memory: GiB } }), batch({ nodeName: 'batchy', requests: { cpu: 8000, memory: GiB } })];

describe('AvoidBatchEviction', () => {
  const w = world({ nodes: [node('batchy'), node('clean')], pods: tenants() });
  const s = buildScore(AvoidBatchEviction, w);
  const score = (cpu: number, memory = GiB) => scoresOn(s, w, w.ctx(pod({ requests: { cpu, memory } })), ['batchy', 'clean']);

  it('is 100 where batch keeps its capacity, and on a node without batch whatever the pod', () => {
    expect(score(2000)).toEqual([100, 100]);
    expect(score(15_000)[1]).toBe(100);
  });

  it('falls with the share of the node batch must give up, from 50 down', () => {
    expect(score(5000)[0]).toBeCloseTo(46.25, 9);
    // 6000m: capacity min(8000, 5800): excess 2200/16000 = 0.1375: 43.125.
    expect(score(6000)[0]).toBeCloseTo(43.125, 9);
  });

  it('takes the worse resource: memory, batch holding 30 GiB of the 32 GiB share', () => {
    const m = world({ nodes: [node('batchy')], pods: [pod({ nodeName: 'batchy', requests: { cpu: 1000, memory: 8 * GiB } }), batch({ nodeName: 'batchy', requests: { cpu: 1000, memory: 30 * GiB } })] });
    // memory capacity min(32, 51.2 - 8 - 16) = 27.2 GiB: excess 2.8/64 = 0.04375: 47.8125.
    const [v] = scoresOn(buildScore(AvoidBatchEviction, m), m, m.ctx(pod({ requests: { cpu: 1000, memory: 16 * GiB } })), ['batchy']);
    expect(v).toBeCloseTo(50 * (1 - (2.8 * GiB) / (64 * GiB)), 6);
  });

  it('scores online pods under co-location only, and signs estimate and level', () => {
    expect(s.appliesTo(w.ctx(batch()))).toBe(false);
    const kd = world({ nodes: [node('batchy')], pods: tenants(), config: KUBE_DEFAULT });
    expect(buildScore(AvoidBatchEviction, kd).appliesTo(kd.ctx(pod()))).toBe(false);
    expect(s.signature!(w.ctx(pod({ requests: { cpu: 2000, memory: GiB } })))).toBe(`2000/${GiB}|0.5/0.2/0`);
    expect(AvoidBatchEviction.classes).toEqual(['online']);
  });
});

// LeastAllocated (kube-scheduler's NodeResourcesFit LeastAllocated) by hand: 100 x the weighted mean
// of 1 - (requests on the node, every class, + the pod's) / allocatable. Usage does not count.

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT } from '../../../../scheduler/core/config.ts';
import { LeastAllocated } from '../../../../scheduler/core/plugins/least-allocated.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, NOW, scoresOn, world } from '../../../helpers/plugins.ts';

describe('LeastAllocated', () => {
  const w = world({
    nodes: [node('n1'), node('empty')],
    pods: [pod({ nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), batch({ nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } })],
    config: KUBE_DEFAULT,
  });
  // Usage far above the requests changes nothing: the score reads requests only.
  w.state.recordNodeUsage('n1', { time: NOW, online: { cpu: 15_000, memory: 60 * GiB }, batch: { cpu: 0, memory: 0 } });
  const s = buildScore(LeastAllocated, w);

  it('counts online, system and batch requests alike, for every class', () => {
    for (const p of [pod({ requests: { cpu: 4000, memory: 16 * GiB } }), batch({ requests: { cpu: 4000, memory: 16 * GiB } }), pod({ class: 'system', requests: { cpu: 4000, memory: 16 * GiB } })]) {
      const ctx = w.ctx(p);
      expect(s.appliesTo(ctx)).toBe(true);
      const [n1, empty] = scoresOn(s, w, ctx, ['n1', 'empty']);
      // n1: cpu 1 - 12/16 = 0.25, memory 1 - 32/64 = 0.5: 37.5. empty: 0.75 and 0.75.
      expect(n1).toBeCloseTo(37.5, 9);
      expect(empty).toBeCloseTo(75, 9);
    }
  });

  it('is 0 where the pod would not fit, and signs the requests', () => {
    const [n1] = scoresOn(s, w, w.ctx(pod({ requests: { cpu: 9000, memory: 50 * GiB } })), ['n1']);
    expect(n1).toBe(0);
    expect(s.signature!(w.ctx(pod({ requests: { cpu: 9000, memory: GiB } })))).toBe(`9000/${GiB}`);
    expect(LeastAllocated.classes).toEqual(['online', 'batch']);
  });
});

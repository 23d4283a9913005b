// PodCountFit by hand: a node takes a pod while pods + 1 <= status.allocatable.pods, whatever the
// pod's class; evicting makes room, so the verdict is resolvable.

import { describe, expect, it } from 'vitest';
import { PodCountFit } from '../../../../scheduler/core/plugins/pod-count.ts';
import { argsIssues } from '../../../../scheduler/core/registry.ts';
import { batch, node, pod } from '../../../helpers/core.ts';
import { buildFilter, verdictOn, world } from '../../../helpers/plugins.ts';

describe('PodCountFit', () => {
  // room: maxPods 2 holding 1 pod (1 + 1 <= 2); full: maxPods 2 holding an online and a batch pod.
  const w = world({
    nodes: [node('room', { maxPods: 2 }), node('full', { maxPods: 2 })],
    pods: [pod({ nodeName: 'room', requests: { cpu: 100, memory: 1 } }), pod({ nodeName: 'full', requests: { cpu: 100, memory: 1 } }), batch({ nodeName: 'full', requests: { cpu: 100, memory: 1 } })],
  });
  const f = buildFilter(PodCountFit, w);

  it('passes while pods + 1 <= maxPods and refuses beyond, resolvably, for every class', () => {
    for (const cls of ['online', 'batch', 'system'] as const) {
      const ctx = w.ctx(pod({ class: cls, requests: { cpu: 100, memory: 1 } }));
      expect(verdictOn(f, w, ctx, 'room')).toBeNull();
      expect(verdictOn(f, w, ctx, 'full')).toMatchObject({ plugin: 'PodCountFit', message: 'tidal/PodCountFit: too many pods', unresolvable: false });
    }
  });

  it('counts batch pods too (the full node holds one online and one batch pod)', () => {
    expect(w.state.nodes.get('full')!.pods.size).toBe(2);
    expect(w.ctx(pod()).t.pods[w.state.rows.get('full')!]).toBe(2);
  });

  it('takes no args', () => {
    expect(PodCountFit.defaults).toBeNull();
    expect(argsIssues(PodCountFit, null)).toEqual([]);
  });
});

// OnlineLoadThreshold by hand on a 16-core, 64 GiB node whose online side uses 14 cores (one fresh
// sample, so the prediction is 14000m) while batch uses 2 more: at the default threshold 0.9 an
// online pod is refused once 14000 + its estimate > 0.9 x 16000 = 14400. Batch usage does not count.

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT, TIME_SHARING } from '../../../../scheduler/core/config.ts';
import { OnlineLoadThreshold, validateOnlineLoadArgs } from '../../../../scheduler/core/plugins/online-load.ts';
import { argsIssues } from '../../../../scheduler/core/registry.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildFilter, NOW, verdictOn, world } from '../../../helpers/plugins.ts';

function loaded(config = TIME_SHARING) {
  const w = world({ nodes: [node('n1')], config });
  w.state.recordNodeUsage('n1', { time: NOW, online: { cpu: 14_000, memory: 32 * GiB }, batch: { cpu: 2000, memory: 8 * GiB } });
  return w;
}

describe('OnlineLoadThreshold', () => {
  const w = loaded();
  const f = buildFilter(OnlineLoadThreshold, w);
  const ask = (cpu: number, memory = GiB) => verdictOn(f, w, w.ctx(pod({ requests: { cpu, memory } })), 'n1');

  it('refuses when predicted online usage + the estimate crosses the threshold, unresolvably (cpu 0.9 by default)', () => {
    expect(ask(400)).toBeNull();
    expect(ask(401)).toMatchObject({ plugin: 'OnlineLoadThreshold', message: 'tidal/OnlineLoadThreshold: predicted online cpu usage would exceed the 90 percent load threshold', unresolvable: true });
  });

  it('checks memory at its own threshold (0.95 x 64 GiB = 60.8 GiB; 32 GiB used)', () => {
    expect(ask(100, 28.8 * GiB)).toBeNull();
    expect(ask(100, 28.8 * GiB + 1)).toMatchObject({ reason: 'predicted online memory usage would exceed the 95 percent load threshold' });
  });

  it('counts a pod without requests at the policy\'s estimate for empty requests (250m)', () => {
    expect(w.ctx(pod({ requests: { cpu: 0, memory: 0 } })).estimate.cpu).toBe(250);
    expect(verdictOn(f, w, w.ctx(pod({ requests: { cpu: 0, memory: 0 } })), 'n1')).toBeNull(); // 14250 <= 14400
    const hotter = world({ nodes: [node('n1')] });
    hotter.state.recordNodeUsage('n1', { time: NOW, online: { cpu: 14_200, memory: GiB }, batch: { cpu: 0, memory: 0 } });
    expect(verdictOn(buildFilter(OnlineLoadThreshold, hotter), hotter, hotter.ctx(pod({ requests: { cpu: 0, memory: 0 } })), 'n1')).toMatchObject({ reason: /cpu/ }); // 14450 > 14400
  });

  it('follows its args: at cpu 0.5 (8000m) the node is over already; null turns it off', () => {
    const half = buildFilter(OnlineLoadThreshold, w, { cpu: 0.5, memory: 1 });
    expect(verdictOn(half, w, w.ctx(pod({ requests: { cpu: 1, memory: 1 } })), 'n1')).toMatchObject({ reason: 'predicted online cpu usage would exceed the 50 percent load threshold' });
    expect(verdictOn(buildFilter(OnlineLoadThreshold, w, null), w, w.ctx(pod({ requests: { cpu: 16_000, memory: GiB } })), 'n1')).toBe('n/a');
  });

  it('says nothing about batch pods, nor without co-location', () => {
    expect(verdictOn(f, w, w.ctx(batch({ requests: { cpu: 16_000, memory: GiB } })), 'n1')).toBe('n/a');
    const kd = loaded(KUBE_DEFAULT);
    expect(verdictOn(buildFilter(OnlineLoadThreshold, kd), kd, kd.ctx(pod({ requests: { cpu: 16_000, memory: GiB } })), 'n1')).toBe('n/a');
  });

  it('validates its args: fractions in (0, 1], a mapping or null, and no other field', () => {
    expect(OnlineLoadThreshold.defaults).toEqual({ cpu: 0.9, memory: 0.95 });
    expect(argsIssues(OnlineLoadThreshold, { cpu: 1, memory: 0.5 })).toEqual([]);
    expect(argsIssues(OnlineLoadThreshold, null)).toEqual([]);
    expect(argsIssues(OnlineLoadThreshold, { cpu: 0, memory: 1.5 }).map((i) => i.path.join('.'))).toEqual(['cpu', 'memory']);
    expect(argsIssues(OnlineLoadThreshold, { cpu: '90%' })).toEqual([{ path: ['cpu'], message: 'must be a fraction of allocatable in (0, 1], e.g. 0.9 (got "90%")' }]);
    expect(argsIssues(OnlineLoadThreshold, { disk: 0.5 })).toEqual([{ path: ['disk'], message: 'unknown field; allowed: cpu, memory' }]);
    for (const bad of [0.9, [0.9], 'high']) expect(validateOnlineLoadArgs(bad)).toEqual([{ path: [], message: 'must be {cpu, memory} fractions of allocatable, or null to disable' }]);
  });
});

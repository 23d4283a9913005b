// BatchCapacityFit by hand on 16-core, 64 GiB nodes at batchShare 0.5, headroom 0.2, no usage (the
// online side is predicted at its requests): batch may hold min(16000 x 0.5, 16000 x 0.8 - online)
// in all, less what batch holds already. A pod that cannot checkpoint and declares its runtime is held
// to the worst level over that runtime.

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT } from '../../../../scheduler/core/config.ts';
import { BatchCapacityFit } from '../../../../scheduler/core/plugins/batch-capacity.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildFilter, NOW, PEAK_IN_2H, verdictOn, world } from '../../../helpers/plugins.ts';

const H = 3_600_000;

describe('BatchCapacityFit', () => {
  // n1: 7 cores of batch (1000m free of the 8000m share); n2: 6 online cores (min(8000, 12800 - 6000) = 6800 free).
  const w = world({
    nodes: [node('n1'), node('n2')],
    pods: [batch({ nodeName: 'n1', requests: { cpu: 7000, memory: GiB } }), pod({ nodeName: 'n2', requests: { cpu: 6000, memory: 8 * GiB } })],
  });
  const f = buildFilter(BatchCapacityFit, w);
  const ask = (name: string, cpu: number, memory = GiB) => verdictOn(f, w, w.ctx(batch({ requests: { cpu, memory } })), name);

  it('takes batch up to the free capacity, and not a milli-core more, unresolvably', () => {
    expect(ask('n1', 1000)).toBeNull();
    expect(ask('n1', 1001)).toMatchObject({ plugin: 'BatchCapacityFit', message: 'tidal/BatchCapacityFit: not enough batch cpu in window default (batchShare 0.50, headroom 0.20)', unresolvable: true });
    // The headroom binds on n2: 12800 - 6000 = 6800.
    expect(ask('n2', 6800)).toBeNull();
    expect(ask('n2', 6801)).toMatchObject({ reason: /^not enough batch cpu/ });
  });

  it('checks memory the same way: n2 min(32, 51.2 - 8) = 32 GiB', () => {
    expect(ask('n2', 100, 32 * GiB)).toBeNull();
    expect(ask('n2', 100, 32 * GiB + 1)).toMatchObject({ reason: 'not enough batch memory in window default (batchShare 0.50, headroom 0.20)' });
  });

  it('is for batch pods under co-location only', () => {
    expect(verdictOn(f, w, w.ctx(pod({ requests: { cpu: 16_000, memory: GiB } })), 'n1')).toBe('n/a');
    const kd = world({ nodes: [node('n1')], config: KUBE_DEFAULT });
    expect(verdictOn(buildFilter(BatchCapacityFit, kd), kd, kd.ctx(batch()), 'n1')).toBe('n/a');
    expect(BatchCapacityFit.defaults).toBeNull();
  });
});

describe('BatchCapacityFit over a declared runtime', () => {
  // A peak window from 2 h to 4 h ahead takes the batch share to 0.
  const w = world({ nodes: [node('n1')], profile: PEAK_IN_2H });
  const f = buildFilter(BatchCapacityFit, w);
  const job = (runtimeH: number, checkpointable = false) => batch({ requests: { cpu: 1000, memory: GiB }, expectedRuntimeMs: runtimeH * H, checkpointable });

  it('refuses a pod that cannot checkpoint when its runtime crosses the window, naming the worst level', () => {
    expect(verdictOn(f, w, w.ctx(job(1)), 'n1')).toBeNull();
    expect(verdictOn(f, w, w.ctx(job(3)), 'n1')).toMatchObject({ reason: 'not enough batch cpu over its 3h runtime (worst batchShare 0.00, headroom 0.50)', unresolvable: true });
  });

  it('holds a checkpointable pod, or one without a runtime, to the level now only', () => {
    expect(verdictOn(f, w, w.ctx(job(3, true)), 'n1')).toBeNull();
    expect(verdictOn(f, w, w.ctx(job(0)), 'n1')).toBeNull();
  });

  it('signs requests, the level it is held to and whether it must hold the span (then its curve span too)', () => {
    const sig = (p: ReturnType<typeof job>) => f.signature!(w.ctx(p)).split('|');
    expect(sig(job(1)).slice(0, 4)).toEqual([`1000/${GiB}`, '0.5/0.1/0', '1', String(NOW)]);
    expect(sig(job(3)).slice(0, 4)).toEqual([`1000/${GiB}`, '0/0.5/0', '1', String(NOW)]);
    expect(sig(job(3, true))).toEqual([`1000/${GiB}`, '0.5/0.1/0', '0', '']);
  });
});

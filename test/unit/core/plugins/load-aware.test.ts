// LoadAware by hand: 100 x the weighted mean over cpu and memory of 1 - (predicted online usage +
// the pod's estimate) / allocatable, on 16-core, 64 GiB nodes. Batch usage does not count.

import { describe, expect, it } from 'vitest';
import { TIME_SHARING } from '../../../../scheduler/core/config.ts';
import { LoadAware } from '../../../../scheduler/core/plugins/load-aware.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, NOW, scoresOn, world } from '../../../helpers/plugins.ts';

function cluster(config = TIME_SHARING) {
  const w = world({ nodes: [node('busy'), node('idle'), node('full')], config });
  // busy: 8 cores and 16 GiB used on the online side, and 8 more cores by batch (not counted).
  w.state.recordNodeUsage('busy', { time: NOW, online: { cpu: 8000, memory: 16 * GiB }, batch: { cpu: 8000, memory: 16 * GiB } });
  w.state.recordNodeUsage('idle', { time: NOW, online: { cpu: 0, memory: 0 }, batch: { cpu: 0, memory: 0 } });
  w.state.recordNodeUsage('full', { time: NOW, online: { cpu: 15_000, memory: 60 * GiB }, batch: { cpu: 0, memory: 0 } });
  return w;
}

describe('LoadAware', () => {
  it('scores the room left on the online side after the pod', () => {
    const w = cluster();
    const s = scoresOn(buildScore(LoadAware, w), w, w.ctx(pod({ requests: { cpu: 4000, memory: 16 * GiB } })), ['busy', 'idle', 'full']);
    // busy: cpu 1 - 12/16 = 0.25, memory 1 - 32/64 = 0.5: 37.5. idle: 0.75 and 0.75: 75.
    expect(s[0]).toBeCloseTo(37.5, 9);
    expect(s[1]).toBeCloseTo(75, 9);
    // full: cpu 1 - 19/16 < 0, memory 1 - 76/64 < 0: clamped to 0.
    expect(s[2]).toBe(0);
  });

  it('weighs cpu and memory by the policy\'s resource weights (3:1 here)', () => {
    const w = cluster({ ...TIME_SHARING, resourceWeights: { cpu: 3, memory: 1 } });
    const [busy] = scoresOn(buildScore(LoadAware, w), w, w.ctx(pod({ requests: { cpu: 4000, memory: 16 * GiB } })), ['busy']);
    expect(busy).toBeCloseTo((100 * (3 * 0.25 + 0.5)) / 4, 9); // 31.25
  });

  it('uses the estimate for empty requests (250m, 200 MiB)', () => {
    const w = cluster();
    const [idle] = scoresOn(buildScore(LoadAware, w), w, w.ctx(pod({ requests: { cpu: 0, memory: 0 } })), ['idle']);
    expect(idle).toBeCloseTo(50 * (1 - 250 / 16_000 + (1 - 200 / (64 * 1024))), 9);
  });

  it('scores online pods only and signs their estimate', () => {
    const w = cluster();
    const s = buildScore(LoadAware, w);
    expect(s.appliesTo(w.ctx(batch()))).toBe(false);
    expect(s.appliesTo(w.ctx(pod({ class: 'system' })))).toBe(false);
    expect(s.signature!(w.ctx(pod({ requests: { cpu: 0, memory: GiB } })))).toBe(`250/${GiB}`);
    expect(LoadAware.classes).toEqual(['online']);
    expect(LoadAware.defaults).toBeNull();
  });
});

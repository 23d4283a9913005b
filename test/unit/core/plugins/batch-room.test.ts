// BatchRoom by hand on a 16-core, 64 GiB node at batchShare 0.5, headroom 0.2 holding an online pod
// (4 cores, 8 GiB) and a batch pod (2 cores, 4 GiB), no usage:
//   free cpu = min(8000, 12800 - 4000) - 2000 = 6000, free memory = min(32, 51.2 - 8) - 4 = 28 GiB;
//   a batch pod of 1000m and 4 GiB leaves (6000 - 1000)/16000 = 0.3125 and (28 - 4)/64 = 0.375:
//   100 x the mean = 34.375.

import { describe, expect, it } from 'vitest';
import { TIME_SHARING } from '../../../../scheduler/core/config.ts';
import { BatchRoom } from '../../../../scheduler/core/plugins/batch-room.ts';
import type { Profile } from '../../../../scheduler/core/profile.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, NOW, scoresOn, world } from '../../../helpers/plugins.ts';

const H = 3_600_000;
const tenants = () => [pod({ nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), batch({ nodeName: 'n1', requests: { cpu: 2000, memory: 4 * GiB } })];

describe('BatchRoom', () => {
  it('scores the batch capacity left after the pod', () => {
    const w = world({ nodes: [node('n1'), node('empty')], pods: tenants() });
    const [n1, empty] = scoresOn(buildScore(BatchRoom, w), w, w.ctx(batch({ requests: { cpu: 1000, memory: 4 * GiB } })), ['n1', 'empty']);
    expect(n1).toBeCloseTo(34.375, 9);
    // empty: (8000 - 1000)/16000 = 0.4375 and (32 - 4)/64 = 0.4375.
    expect(empty).toBeCloseTo(43.75, 9);
  });

  it('weighs the resources by the policy (cpu only here)', () => {
    const w = world({ nodes: [node('n1')], pods: tenants(), config: { ...TIME_SHARING, resourceWeights: { cpu: 1, memory: 0 } } });
    expect(scoresOn(buildScore(BatchRoom, w), w, w.ctx(batch({ requests: { cpu: 1000, memory: 4 * GiB } })), ['n1'])[0]).toBeCloseTo(31.25, 9);
  });

  it('reads the worst level over the pod\'s runtime: a window with no batch share ahead leaves no room (0)', () => {
    const profile: Profile = {
      name: 'p',
      timeZone: 'UTC',
      default: { batchShare: 0.5, onlineHeadroom: 0.2, drainLeadMs: 0, rampMs: 0 },
      windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: 0, rampMs: 0, start: NOW + 2 * H, end: NOW + 4 * H }],
    };
    const w = world({ nodes: [node('n1')], pods: tenants(), profile });
    const s = buildScore(BatchRoom, w);
    const ask = (runtimeH: number, checkpointable = false) => scoresOn(s, w, w.ctx(batch({ requests: { cpu: 1000, memory: 4 * GiB }, expectedRuntimeMs: runtimeH * H, checkpointable })), ['n1'])[0];
    expect(ask(1)).toBeCloseTo(34.375, 9);
    expect(ask(3)).toBe(0);
    expect(ask(3, true)).toBe(0); // checkpointable or not: the room is scored at the span's worst level
    expect(s.signature!(w.ctx(batch({ requests: { cpu: 1000, memory: GiB }, expectedRuntimeMs: 3 * H })))).toBe(`1000/${GiB}|0/0.5/0`);
  });

  it('scores batch pods under co-location only', () => {
    const w = world({ nodes: [node('n1')] });
    expect(buildScore(BatchRoom, w).appliesTo(w.ctx(pod()))).toBe(false);
    expect(buildScore(BatchRoom, w).appliesTo(w.ctx(batch()))).toBe(true);
    expect(BatchRoom.classes).toEqual(['batch']);
  });
});

// WindowSurvival by hand: a batch pod with a declared runtime scores 100 on a node where it fits at
// the worst level of its runtime, 0 where it does not. Nodes of 16 cores at batchShare 0.5 now; a
// peak window 2 h to 4 h ahead takes the share to 0.

import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { WindowSurvival } from '../../../../scheduler/core/plugins/window-survival.ts';
import type { Profile } from '../../../../scheduler/core/profile.ts';
import { TIME_SHARING } from '../../../../scheduler/core/config.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, NOW, scoresOn, world } from '../../../helpers/plugins.ts';

const H = 3_600_000;
const peak: Profile = {
  name: 'p',
  timeZone: 'UTC',
  default: { batchShare: 0.5, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 },
  windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0.25, onlineHeadroom: 0.5, drainLeadMs: 0, rampMs: 0, start: NOW + 2 * H, end: NOW + 4 * H }],
};
// The level check alone (the per-slot check over the usage curves is complementary-peak.test.ts's).
const LEVELS_ONLY = { ...TIME_SHARING, complementaryPeak: { ...TIME_SHARING.complementaryPeak, batchCapacity: false } };
const job = (cpu: number, runtimeH: number) => batch({ requests: { cpu, memory: GiB }, expectedRuntimeMs: runtimeH * H, checkpointable: true });

describe('WindowSurvival', () => {
  // In the peak: min(16000 x 0.25, 16000 x 0.5 - online). "n1" has 2 batch cores already (2000 free
  // in the peak); "busy" has 6 online cores (min(4000, 2000) - 0 = 2000 free in the peak).
  const w = world({ nodes: [node('n1'), node('busy')], pods: [batch({ nodeName: 'n1', requests: { cpu: 2000, memory: GiB } }), pod({ nodeName: 'busy', requests: { cpu: 6000, memory: GiB } })], profile: peak, config: LEVELS_ONLY });
  const s = buildScore(WindowSurvival, w);

  it('is 100 where the pod fits through its runtime, 0 where the window would squeeze it out', () => {
    expect(scoresOn(s, w, w.ctx(job(2000, 3)), ['n1', 'busy'])).toEqual([100, 100]);
    expect(scoresOn(s, w, w.ctx(job(2001, 3)), ['n1', 'busy'])).toEqual([0, 0]);
    // A runtime that ends before the window is held to the level now: min(8000, 14400) - 2000 = 6000 on n1.
    expect(scoresOn(s, w, w.ctx(job(6000, 1)), ['n1'])).toEqual([100]);
    expect(scoresOn(s, w, w.ctx(job(6001, 1)), ['n1'])).toEqual([0]);
    // Memory the same way: in the peak min(16 GiB, 32 GiB - 1 GiB) - 1 GiB = 15 GiB on n1.
    const mem = (memory: number) => batch({ requests: { cpu: 100, memory }, expectedRuntimeMs: 3 * H, checkpointable: true });
    expect(scoresOn(s, w, w.ctx(mem(15 * GiB)), ['n1'])).toEqual([100]);
    expect(scoresOn(s, w, w.ctx(mem(15 * GiB + 1)), ['n1'])).toEqual([0]);
  });

  it('applies to batch pods with a runtime, under co-location', () => {
    expect(s.appliesTo(w.ctx(job(1000, 1)))).toBe(true);
    expect(s.appliesTo(w.ctx(batch({ expectedRuntimeMs: 0 })))).toBe(false);
    expect(s.appliesTo(w.ctx(pod()))).toBe(false);
    expect(WindowSurvival.classes).toEqual(['batch']);
  });

  it('pulls a checkpointable pod towards the node it survives on, through the engine', () => {
    // Moved here from the engine test: the one node has no room in the window, so the pod scores 0 here.
    const state = w.state;
    const engine = new PolicyEngine({ config: LEVELS_ONLY, state, profile: peak });
    const ctx = engine.context(job(3000, 3), NOW);
    expect(ctx.mustHoldSpan).toBe(false);
    expect(engine.scorePlugins.WindowSurvival!.score(ctx, state.rows.get('n1')!, undefined)).toBe(0);
  });
});

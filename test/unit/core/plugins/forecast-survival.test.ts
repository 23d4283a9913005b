// ForecastSurvival by hand: a node of 10 cores whose online tenant (cold start, 4 cores requested)
// gives an upper band of 4000m, and 8000m in a sale from 01:00 to 03:00 (2x its requests); at target
// 0.9, batch may hold 5000m a slot before the sale and 1000m in it. A checkpointable pod's score is
// 100 x the share of its span's slots before the first where it would not fit.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../profiles/loader.ts';
import { TIME_SHARING, type PolicyConfig } from '../../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import type { PodInfo } from '../../../../scheduler/core/model.ts';
import { ForecastSurvival } from '../../../../scheduler/core/plugins/forecast-survival.ts';
import { DEFAULT_FILTERS, scoreDefinition } from '../../../../scheduler/core/registry.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const T0 = Date.parse('2026-11-11T00:00:00Z');
const MIN = 60_000;
const PROFILE =
  'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 1\n    onlineHeadroom: 0\n' +
  '  windows:\n    - name: sale\n      start: "2026-11-11T01:00"\n      duration: 2h\n      onlineDemand: {factor: 2x, of: requests}\n';

function world(args: Record<string, unknown> = {}) {
  const config: PolicyConfig = {
    ...TIME_SHARING,
    name: 'survival-test',
    filters: [...DEFAULT_FILTERS, 'ForecastCapacity'],
    pluginArgs: { ...TIME_SHARING.pluginArgs, ForecastCapacity: { target: 0.9, checkpointableSpan: '30m', ...args } },
    scoreWeights: { ...TIME_SHARING.scoreWeights, batch: { ForecastSurvival: 1 } },
  };
  const state = new ClusterState(config.usage);
  // n1 has the tenant whose demand doubles in the sale; n2 has none (no rise: 9000m a slot).
  state.upsertNode(node('n1', { allocatable: { cpu: 10_000, memory: 64 * GiB } }), T0 - 60 * MIN);
  state.upsertNode(node('n2', { allocatable: { cpu: 10_000, memory: 64 * GiB } }), T0 - 60 * MIN);
  state.upsertPod(pod({ uid: 'web-1', app: 'web', requests: { cpu: 4000, memory: 8 * GiB }, nodeName: 'n1', startedAt: T0 - 60 * MIN }), T0 - 60 * MIN);
  const engine = new PolicyEngine({ config, state, profile: parseProfile(PROFILE) });
  const s = ForecastSurvival.create(null, engine.handle);
  const scores = (p: PodInfo, now = T0) => {
    const ctx = engine.context(p, now);
    return ['n1', 'n2'].map((n) => s.score(ctx, state.rows.get(n)!, undefined));
  };
  return { state, engine, s, scores };
}

const ckpt = (cpu: number, runtimeMin: number, memory = GiB): PodInfo => batch({ requests: { cpu, memory }, extendedBatchResources: true, expectedRuntimeMs: runtimeMin * MIN, checkpointable: true });

describe('ForecastSurvival', () => {
  it('100 x the slots before the rise / the slots of the span', () => {
    const w = world();
    // 2 h from 00:00: 8 slots; 3000m fits 00:00-01:00 (4 slots) on n1, then the sale leaves 1000m.
    expect(w.scores(ckpt(3000, 120))).toEqual([50, 100]);
    // 1000m fits through the sale: runs to the end on both.
    expect(w.scores(ckpt(1000, 120))).toEqual([100, 100]);
    // 4 h from 00:00: 16 slots, 4 before the sale.
    expect(w.scores(ckpt(3000, 240))).toEqual([25, 100]);
    // From 00:30 for 2 h: 8 slots, 2 before the sale.
    expect(w.scores(ckpt(3000, 120), T0 + 30 * MIN)).toEqual([25, 100]);
    // Over the sale already at 01:00: none.
    expect(w.scores(ckpt(3000, 120), T0 + 60 * MIN)).toEqual([0, 100]);
  });

  it('batch committed later counts as a rise; memory too', () => {
    const w = world();
    // On n2, a batch pod of 7000m started 00:00 holds until 01:30 (declared 90 m): 2000m free until then.
    w.state.upsertPod({ ...batch({ requests: { cpu: 7000, memory: GiB }, extendedBatchResources: true, expectedRuntimeMs: 90 * MIN }), uid: 'b-7', name: 'b-7', nodeName: 'n2', startedAt: T0 }, T0);
    // 3000m: n2 has 2000m in its first 6 slots: none of the span before its rise.
    expect(w.scores(ckpt(3000, 120))).toEqual([50, 0]);
    // Memory: 64 GiB x 0.9 = 57.6; n1's tenant holds 8 GiB (16 in the sale): 45 GiB fits until 01:00 only.
    expect(w.scores(ckpt(500, 120, 45 * GiB))[0]).toBe(50);
    expect(w.scores(ckpt(500, 120, 41 * GiB))[0]).toBe(100);
  });

  it('engine: the checkpointable pod, admitted on either node, goes where it runs to the end', () => {
    const w = world();
    expect(w.engine.place(ckpt(3000, 120), T0).node?.name).toBe('n2');
    expect(w.engine.filter(w.engine.context(ckpt(3000, 120), T0), ['n1', 'n2']).feasible.map((n) => n.name)).toEqual(['n1', 'n2']);
  });

  it('scores checkpointable batch pods only, is signed, and registered for batch', () => {
    const w = world();
    expect(w.s.appliesTo(w.engine.context(ckpt(1000, 60), T0))).toBe(true);
    expect(w.s.appliesTo(w.engine.context(batch({ requests: { cpu: 1000, memory: GiB } }), T0))).toBe(false);
    expect(w.s.appliesTo(w.engine.context(pod(), T0))).toBe(false);
    expect(w.s.signature).toBeDefined();
    expect(scoreDefinition('ForecastSurvival')?.classes).toEqual(['batch']);
  });
});

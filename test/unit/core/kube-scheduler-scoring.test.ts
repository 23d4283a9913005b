// How the engine adds scores up as kube-scheduler does (config.ts KubeSchedulerScoring): plugins x
// weight, and an extender's weighted mean put on the wire (0..10) x weight x 10.
import { describe, expect, it } from 'vitest';
import { behindKubeScheduler, KUBE_DEFAULT, TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { statelessScore } from '../../../scheduler/core/framework.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');

/** A stand-in for Tidal's scores: a fixed score per node, signed (cached) or not. */
const fixed = (name: string, by: Record<string, number>, signed: boolean) =>
  statelessScore(name, 'test', ['online', 'batch'], {
    name,
    ...(signed ? { signature: () => '' } : {}),
    appliesTo: () => true,
    score: (ctx, i) => by[ctx.nodes[i]!.name] ?? 0,
  });

function setup(config: PolicyConfig, equivalenceCache = true) {
  const state = new ClusterState(config.usage);
  // a is emptier (NodeResourcesFit prefers it), b is what the extender prefers by one wire point.
  state.upsertNode(node('a', { allocatable: { cpu: 16_000, memory: 32 * GiB } }), NOW);
  state.upsertNode(node('b', { allocatable: { cpu: 4000, memory: 8 * GiB } }), NOW);
  const definitions = [fixed('Signed', { a: 44, b: 46 }, true), fixed('Live', { a: 44, b: 46 }, false)];
  return { state, engine: new PolicyEngine({ config, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }), definitions, equivalenceCache }) };
}

describe('kube-scheduler scoring', () => {
  const ts = (w: Record<string, number>): PolicyConfig => behindKubeScheduler({ ...TIME_SHARING, filters: ['RequestsFit'], scoreWeights: { online: w, batch: w } }, 5);

  it('adds the extender score on the wire x weight x 10 to the default plugins, over the weights that applied', () => {
    const { state, engine } = setup({ ...ts({ Signed: 1 }), kubeScheduler: { extenderWeight: 5, hostScores: { NodeResourcesFit: 1 } } });
    const p = pod({ requests: { cpu: 1000, memory: 2 * GiB } });
    const s = engine.score(engine.context(p, NOW), [state.nodes.get('a')!, state.nodes.get('b')!]);
    // a: fit (93 + 93) / 2 = 93, extender 44 -> 4: (93 + 200) / 6; b: fit (75 + 75) / 2 = 75, 46 -> 5: (75 + 250) / 6.
    expect([...s]).toEqual([(93 + 200) / 6, (75 + 250) / 6]);
    expect(engine.place(p, NOW).node?.name).toBe('b');
  });

  it('the same total with and without the equivalence cache, signed and live scores of both groups', () => {
    const config: PolicyConfig = { ...ts({ Signed: 1, Live: 1 }), kubeScheduler: { extenderWeight: 5, hostScores: { NodeResourcesFit: 1, PodTopologySpread: 2 } } };
    for (const cache of [true, false]) {
      const { engine } = setup(config, cache);
      const r = engine.place(pod({ requests: { cpu: 1000, memory: 2 * GiB } }), NOW);
      // PodTopologySpread: no pods yet, raw 6 on both: 100. a: (93 + 200 + 200) / 8, b: (75 + 200 + 250) / 8.
      expect([r.node?.name, r.score]).toEqual(['b', (75 + 200 + 250) / 8]);
    }
  });

  it('kube-default sums its plugins x weight (integers: equal sums tie exactly)', () => {
    expect(KUBE_DEFAULT.kubeScheduler).toEqual({ extenderWeight: 0 });
    const { state, engine } = setup(KUBE_DEFAULT);
    const p = pod({ requests: { cpu: 1000, memory: 2 * GiB } });
    const s = engine.score(engine.context(p, NOW), [state.nodes.get('a')!, state.nodes.get('b')!]);
    // a: fit 93, balanced 75 (cpu and memory 1/16 each: balance kept), spread 100, taints 100: (93 + 75 + 200 + 300) / 7.
    expect(s[0]).toBe((93 + 75 + 200 + 300) / 7);
    expect(s[1]).toBe((75 + 75 + 200 + 300) / 7);
  });
});

// Shared set-up of the kube-scheduler plugin tests: an engine whose only score is the plugin under
// test, summed as kube-scheduler sums (weight 1: a node's score is the plugin's).

import { KUBE_DEFAULT } from '../../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import type { NodeInfo, PodInfo } from '../../../../scheduler/core/model.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';

export const NOW = Date.parse('2026-11-10T12:00:00Z');

export function only(plugin: string, nodes: NodeInfo[], bound: Array<[PodInfo, string]> = []) {
  const state = new ClusterState(KUBE_DEFAULT.usage);
  for (const n of nodes) state.upsertNode(n, NOW);
  for (const [p, at] of bound) state.upsertPod({ ...p, nodeName: at }, NOW);
  const config = { ...KUBE_DEFAULT, scoreWeights: { online: { [plugin]: 1 }, batch: { [plugin]: 1 } } };
  const engine = new PolicyEngine({ config, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }) });
  /** The plugin's score per node name, over the given feasible nodes (all when none given). */
  const scores = (p: PodInfo, names?: string[]): Record<string, number> => {
    const ctx = engine.context(p, NOW);
    const ns = (names ?? nodes.map((n) => n.name)).map((n) => state.nodes.get(n)!);
    const s = engine.score(ctx, ns);
    return Object.fromEntries(ns.map((n, k) => [n.name, s[k]!]));
  };
  const applies = (p: PodInfo): boolean => engine.scorePlugins[plugin]!.appliesTo(engine.context(p, NOW));
  return { state, engine, scores, applies };
}

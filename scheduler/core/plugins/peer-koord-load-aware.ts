// Koordinator's LoadAwareScheduling as filter and score plugins for the simulator's `koordinator`
// policy (formulas and defaults in ../peers/koordinator.ts): estimated usage = latest node usage +
// estimates of pods bound since that sample + the incoming pod's estimate; the filter rejects a node
// above 65 % CPU or 95 % memory of allocatable, the score prefers the least used. Every pod but
// system ones (DaemonSets) is checked, batch included, as in Koordinator.

import { failWith, stateKey, type FilterDefinition, type PodContext, type ScoreDefinition } from '../framework.ts';
import type { Resources } from '../model.ts';
import { KOORDINATOR_DEFAULTS, KOORDINATOR_USAGE, loadAwareEstimate, loadAwareNodeEstimate, loadAwareOver, loadAwareScore } from '../peers/koordinator.ts';
import type { NodeState } from '../state.ts';

/** Per node: the estimate before the incoming pod, cached against the node's version (any change bumps it). */
type EstimateCache = WeakMap<NodeState, { version: number; now: number; est: Resources | null }>;

function nodeEstimate(cache: EstimateCache, node: NodeState, now: number): Resources | null {
  const c = cache.get(node);
  // Freshness depends on now only through the staleness limit: recompute when now moves.
  if (c && c.version === node.version && c.now === now) return c.est;
  const est = loadAwareNodeEstimate(node, now, KOORDINATOR_USAGE.staleAfterMs);
  cache.set(node, { version: node.version, now, est });
  return est;
}

function after(cache: EstimateCache, ctx: PodContext, i: number): Resources | null {
  const base = nodeEstimate(cache, ctx.nodes[i]!, ctx.now);
  if (base === null) return null;
  const e = loadAwareEstimate(ctx.pod.requests, ctx.pod.limits, ctx.scratch2);
  return { cpu: base.cpu + e.cpu, memory: base.memory + e.memory };
}

const ESTIMATES = stateKey<EstimateCache>('KoordLoadAware/estimates');

export const KoordLoadAwareFilter: FilterDefinition<null> = {
  kind: 'filter',
  name: 'KoordLoadAware',
  description: "Koordinator's LoadAwareScheduling filter: estimated usage above 65 percent cpu / 95 percent memory of allocatable",
  defaults: null,
  create(_args, handle) {
    const cache = handle.shared(ESTIMATES, () => new WeakMap());
    return {
      name: 'KoordLoadAware',
      appliesTo: (ctx) => ctx.pod.class !== 'system',
      filter(ctx, i) {
        const est = after(cache, ctx, i);
        if (est === null) return null;
        const over = loadAwareOver(est, ctx.nodes[i]!.spec.allocatable);
        if (over === null) return null;
        const th = KOORDINATOR_DEFAULTS.loadAware.usageThresholds[over];
        return failWith(ctx, 'KoordLoadAware', over, true, () => `estimated ${over} usage would exceed the ${th} percent usage threshold`);
      },
    };
  },
};

export const KoordLoadAwareScore: ScoreDefinition<null> = {
  kind: 'score',
  name: 'KoordLoadAware',
  description: "Koordinator's LoadAwareScheduling score: least estimated usage after placement",
  classes: ['online', 'batch'],
  defaults: null,
  create(_args, handle) {
    const cache = handle.shared(ESTIMATES, () => new WeakMap());
    return {
      name: 'KoordLoadAware',
      appliesTo: (ctx) => ctx.pod.class !== 'system',
      score(ctx, i) {
        const a = ctx.nodes[i]!.spec.allocatable;
        const est = after(cache, ctx, i) ?? loadAwareEstimate(ctx.pod.requests, ctx.pod.limits, ctx.scratch2);
        return loadAwareScore(est, a);
      },
    };
  },
};

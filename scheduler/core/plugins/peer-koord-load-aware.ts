// Koordinator's LoadAwareScheduling as filter and score plugins for the simulator's `koordinator`
// policy (formulas and defaults in ../peers/koordinator.ts): estimated usage = latest node usage +
// estimates of pods bound since that sample + the incoming pod's estimate; the filter rejects a node
// above 65 % CPU or 95 % memory of allocatable, the score prefers the least used. Every pod but
// system ones (DaemonSets) is checked, batch included, as in Koordinator.

import { memoReason, type FilterPlugin, type PodContext, type ScorePlugin } from '../framework.ts';
import type { Resources } from '../model.ts';
import { KOORDINATOR_DEFAULTS, KOORDINATOR_USAGE, loadAwareEstimate, loadAwareNodeEstimate, loadAwareOver, loadAwareScore } from '../peers/koordinator.ts';
import type { NodeState } from '../state.ts';

/** Per node: the estimate before the incoming pod, cached against the node's version (any change bumps it). */
const cache = new WeakMap<NodeState, { version: number; now: number; est: Resources | null }>();

function nodeEstimate(node: NodeState, now: number): Resources | null {
  const c = cache.get(node);
  // Freshness depends on now only through the staleness limit: recompute when now moves.
  if (c && c.version === node.version && c.now === now) return c.est;
  const est = loadAwareNodeEstimate(node, now, KOORDINATOR_USAGE.staleAfterMs);
  cache.set(node, { version: node.version, now, est });
  return est;
}

function after(ctx: PodContext, i: number): Resources | null {
  const base = nodeEstimate(ctx.nodes[i]!, ctx.now);
  if (base === null) return null;
  const e = loadAwareEstimate(ctx.pod.requests, ctx.pod.limits, ctx.scratch2);
  return { cpu: base.cpu + e.cpu, memory: base.memory + e.memory };
}

export const KoordLoadAwareFilter: FilterPlugin = {
  name: 'KoordLoadAware',
  unresolvable: true,
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  filter(ctx, i) {
    const est = after(ctx, i);
    if (est === null) return null;
    const over = loadAwareOver(est, ctx.nodes[i]!.spec.allocatable);
    if (over === null) return null;
    const th = KOORDINATOR_DEFAULTS.loadAware.usageThresholds[over];
    return memoReason(ctx, over === 'cpu' ? 'KoordLoadAware/cpu' : 'KoordLoadAware/memory', () => `estimated ${over} usage would exceed the ${th} percent usage threshold`);
  },
};

export const KoordLoadAwareScore: ScorePlugin = {
  name: 'KoordLoadAware',
  appliesTo: (ctx) => ctx.pod.class !== 'system',
  score(ctx, i) {
    const a = ctx.nodes[i]!.spec.allocatable;
    const est = after(ctx, i) ?? loadAwareEstimate(ctx.pod.requests, ctx.pod.limits, ctx.scratch2);
    return loadAwareScore(est, a);
  },
};

// One plugin at a time, built as the engine builds it: through its definition's factory with the
// engine's handle, and called on a context the engine prepared, with row i's predicted usage
// refreshed first (as every engine entry point does before a plugin reads row i).

import { expect } from 'vitest';
import { refreshPredicted } from '../../scheduler/core/capacity.ts';
import { TIME_SHARING, type PolicyConfig } from '../../scheduler/core/config.ts';
import { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { BoundQuery, FilterDefinition, FilterPlugin, FilterVerdict, PodContext, ScoreDefinition, ScorePlugin } from '../../scheduler/core/framework.ts';
import type { NodeInfo, PodInfo, Resources, WorkloadClass } from '../../scheduler/core/model.ts';
import { constantProfile, type Profile } from '../../scheduler/core/profile.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { batch, GiB, pod } from './core.ts';

export const NOW = Date.parse('2026-11-10T12:00:00Z');

export interface World {
  state: ClusterState;
  engine: PolicyEngine;
  /** The engine's context for a pod (PreFilter). */
  ctx(pod: PodInfo, now?: number): PodContext;
  /** Row of a node, its prediction refreshed for ctx's time. */
  row(ctx: PodContext, name: string): number;
}

/** A cluster of the given nodes and bound pods under a policy (time-sharing) and a profile (share 0.5, headroom 0.2). */
export function world(opts: { nodes: NodeInfo[]; pods?: PodInfo[]; config?: PolicyConfig; profile?: Profile; now?: number }): World {
  const config = opts.config ?? TIME_SHARING;
  const now = opts.now ?? NOW;
  const state = new ClusterState(config.usage);
  for (const n of opts.nodes) state.upsertNode(n, now);
  for (const p of opts.pods ?? []) state.upsertPod(p, now);
  const engine = new PolicyEngine({ config, state, profile: opts.profile ?? constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }) });
  return {
    state,
    engine,
    ctx: (pod, at = now) => engine.context(pod, at),
    row(ctx, name) {
      const i = state.rows.get(name);
      if (i === undefined) throw new Error(`no node ${name}`);
      refreshPredicted(ctx.t, i, ctx.now);
      return i;
    },
  };
}

/** A filter built by its definition's factory with the engine's handle (args: the definition's defaults unless given). */
export function buildFilter<A>(d: FilterDefinition<A>, w: World, args: A = d.defaults): FilterPlugin {
  return d.create(args, w.engine.handle);
}

export function buildScore<A, P>(d: ScoreDefinition<A, P>, w: World, args: A = d.defaults): ScorePlugin<P> {
  return d.create(args, w.engine.handle);
}

/** The filter's verdict on a node: 'n/a' when the plugin says it has nothing to say about the pod. */
export function verdictOn(f: FilterPlugin, w: World, ctx: PodContext, name: string): FilterVerdict | null | 'n/a' {
  if (!f.appliesTo(ctx)) return 'n/a';
  return f.filter(ctx, w.row(ctx, name));
}

/** The verdict's message, or null when the node passes ('n/a' as verdictOn). */
export function messageOn(f: FilterPlugin, w: World, ctx: PodContext, name: string): string | null | 'n/a' {
  const v = verdictOn(f, w, ctx, name);
  return v === null || v === 'n/a' ? v : v.message;
}

/** The filter's bound (FilterPlugin.bound) for a class on a node at `now`, its prediction refreshed first; null: no bound. */
export function boundOn(f: FilterPlugin, w: World, cls: WorkloadClass, name: string, now = NOW): Resources | null {
  const e = w.engine;
  const q: BoundQuery = { cls, now, config: e.config, t: e.state.table, nodes: e.state.nodeList, level: e.timeline.at(now) };
  const b = f.bound?.(q) ?? null;
  if (b === null) return null;
  const i = e.state.rows.get(name);
  if (i === undefined) throw new Error(`no node ${name}`);
  refreshPredicted(q.t, i, now);
  const out = { cpu: 0, memory: 0 };
  b(i, out);
  return out;
}

/** The bound of a row that refuses every pod of the class (FilterPlugin.bound). */
export const REFUSES_ALL: Resources = { cpu: -Infinity, memory: -Infinity };
/** The bound of a row that bounds nothing. */
export const UNBOUNDED: Resources = { cpu: Infinity, memory: Infinity };

/** The filter's verdict on a node for a pod of the class asking cpu and memory (`over`: more of the pod; `now`: when). */
export function askOn(f: FilterPlugin, w: World, name: string, cls: WorkloadClass, cpu: number, memory: number, over: Partial<PodInfo> = {}, now = NOW): FilterVerdict | null | 'n/a' {
  return verdictOn(f, w, w.ctx((cls === 'batch' ? batch : pod)({ class: cls, requests: { cpu, memory }, ...over }), now), name);
}

/**
 * A filter that refuses whole nodes (cordoned, tainted, overloaded): every online and batch pod is
 * refused on `refusing`, even one asking nothing, and bounded nothing on `open`; system pods are not bounded.
 */
export function expectRefusesWholeNode(f: FilterPlugin, w: World, refusing: string, open: string): void {
  for (const cls of ['online', 'batch'] as const) {
    expect(boundOn(f, w, cls, refusing)).toEqual(REFUSES_ALL);
    expect(askOn(f, w, refusing, cls, 0, 0)).not.toBeNull();
    expect(boundOn(f, w, cls, open)).toEqual(UNBOUNDED);
    expect(askOn(f, w, open, cls, 1000, GiB)).toBeNull();
  }
  expect(boundOn(f, w, 'system', refusing)).toBeNull();
}

/** A profile whose peak window, 2 h to 4 h after NOW, takes the batch share to 0 (0.5 and headroom 0.1 before). */
export const PEAK_IN_2H: Profile = {
  name: 'p',
  timeZone: 'UTC',
  default: { batchShare: 0.5, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 },
  windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: 0, rampMs: 0, start: NOW + 2 * 3_600_000, end: NOW + 4 * 3_600_000 }],
};

/** The score's raw value per named node (prepare run over those rows, as the engine does). */
export function scoresOn<P>(s: ScorePlugin<P>, w: World, ctx: PodContext, names: string[]): number[] {
  const rows = names.map((n) => w.row(ctx, n));
  const prepared = s.prepare?.(ctx, Int32Array.from(rows)) as P;
  return rows.map((i) => s.score(ctx, i, prepared));
}

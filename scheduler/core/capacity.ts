// Batch capacity of a node: how much batch may hold on it at a given level.
//
//   predictedNonBatch = max(p(online-side usage over the usage window), latest sample)
//                     + requests of non-batch pods bound since the latest sample
//                     (when the node has no fresh sample: requests of all non-batch pods)
//   batchCapacity   = max(0, min(A * batchShare, A * (1 - onlineHeadroom) - predictedNonBatch))
//   batchFree       = max(0, batchCapacity - requests of batch pods already on the node)
//
// "Non-batch" (the online side) is every pod that is not batch, online and system pods alike, and
// the node's own use; requested.online, by contrast, counts online pods only.
//
// per resource (CPU, memory), A = allocatable. Compared with Koordinator's batch-cpu
// (A - A*(1 - reclaimThreshold) - systemUsed - HP used), the headroom plays the safety margin's part but
// varies with time, the usage is a percentile rather than the latest figure, and the share caps what
// batch may hold however idle the node is, so that a profile can keep batch small in the day.
//
// Peers (the simulator's baselines, simulator/peers/) generalise the formula through the level's
// optional model (profile.ts CapacityModel), per resource r:
//   batchCapacity_r = max(0, min(A*batchShare, A*(1 - headroom_r) - predictedOnline_r,
//                                unusedFraction * (A - predictedOnline_r)))
// with headroom_r = model.headroom[r] (else onlineHeadroom), the last term only when unusedFraction is
// set, and 0 when model.zeroWhenStale and the node has no fresh usage. Without a model (every Tidal
// profile) the formula is exactly the one above.
// The *At functions work on a row of the node table (node-table.ts) and write into caller-owned
// objects: they run per node per decision. The others take a NodeState, for code off the hot path.

import type { CapacityModel, Level } from './profile.ts';
import type { Resources } from './model.ts';
import type { NodeTable } from './node-table.ts';
import type { NodeState } from './state.ts';

/**
 * Makes row i's predicted online-side usage (table.predCpu / predMem) current: recomputed only when
 * the node changed or its usage went stale since it was cached. The hot path of every decision.
 */
export function refreshPredicted(t: NodeTable, i: number, now: number): void {
  const fresh = now <= t.freshUntil[i]! ? 1 : 0;
  if (t.predVersion[i] === t.version[i] && t.predFresh[i] === fresh) return;
  const p = fresh ? t.histories[i]!.predictOnline(t.usage.windowMs, t.usage.percentile) : null;
  if (p === null) {
    t.predCpu[i] = t.nonBatchCpu[i]!;
    t.predMem[i] = t.nonBatchMem[i]!;
  } else {
    t.predCpu[i] = p.cpu + t.unmeteredCpu[i]!;
    t.predMem[i] = p.memory + t.unmeteredMem[i]!;
  }
  t.predVersion[i] = t.version[i]!;
  t.predFresh[i] = fresh;
}

/** Predicted online-side usage of the node, as an object (for code off the hot path). */
export function predictedNonBatch(node: NodeState, now: number): Resources {
  const t = node.table;
  refreshPredicted(t, node.index, now);
  return { cpu: t.predCpu[node.index]!, memory: t.predMem[node.index]! };
}

/**
 * The formula itself, unclamped, for one resource: min(A x batchShare, A x (1 - headroom) - online - extra).
 * Every capacity figure in the core (now, over a span, slot by slot over the curves) is this; `extra`
 * is online usage still to come (a pod being placed, a curve's rise), kept apart so that the
 * arithmetic is the same wherever it is computed.
 */
export function capacityFormula(allocatable: number, batchShare: number, headroom: number, online: number, extra = 0): number {
  return Math.min(allocatable * batchShare, allocatable * (1 - headroom) - online - extra);
}

/** The formula at a level, for one resource: what batch may hold in total. */
function capacityOf(allocatable: number, level: Level, online: number, extra: number): number {
  return Math.max(0, capacityFormula(allocatable, level.batchShare, level.onlineHeadroom, online, extra));
}

/** The generalised formula for a peer's model (see the file comment), for one resource. */
function modelCapacityOf(allocatable: number, level: Level, model: CapacityModel, headroom: number | undefined, online: number, extra: number, fresh: boolean): number {
  if (model.zeroWhenStale && !fresh) return 0;
  let cap = capacityFormula(allocatable, level.batchShare, headroom ?? level.onlineHeadroom, online, extra);
  if (model.unusedFraction !== undefined) cap = Math.min(cap, model.unusedFraction * (allocatable - online - extra));
  return Math.max(0, cap);
}

/**
 * Capacity batch may hold in total on the node at `level`, given its online-side usage (before
 * subtracting batch already there). A model's zeroWhenStale reads the freshness of the node's cached
 * prediction: call predictedNonBatch(node, now) first (as the planner does).
 */
export function batchCapacity(node: NodeState, level: Level, online: Readonly<Resources>, out: Resources): Resources {
  return capacityAt(node.table, node.index, level, online.cpu, online.memory, out);
}

/**
 * Batch capacity of row i at `level` (what batch may hold in total, before batch already there) given
 * an online-side usage (cpu, memory) plus usage still to come (extra, as capacityFormula): the
 * level's model applies, its zeroWhenStale reading the row's cached freshness (call refreshPredicted first).
 */
export function capacityAt(t: NodeTable, i: number, level: Level, onlineCpu: number, onlineMem: number, out: Resources, extraCpu = 0, extraMem = 0): Resources {
  const m = level.model;
  if (m === undefined) {
    out.cpu = capacityOf(t.allocCpu[i]!, level, onlineCpu, extraCpu);
    out.memory = capacityOf(t.allocMem[i]!, level, onlineMem, extraMem);
    return out;
  }
  const fresh = t.predFresh[i] === 1;
  out.cpu = modelCapacityOf(t.allocCpu[i]!, level, m, m.headroom?.cpu, onlineCpu, extraCpu, fresh);
  out.memory = modelCapacityOf(t.allocMem[i]!, level, m, m.headroom?.memory, onlineMem, extraMem, fresh);
  return out;
}

/** batchFree for row i of the table, from its cached prediction (call refreshPredicted first). */
export function batchFreeAt(t: NodeTable, i: number, level: Level, out: Resources): Resources {
  capacityAt(t, i, level, t.predCpu[i]!, t.predMem[i]!, out);
  out.cpu = Math.max(0, out.cpu - t.batchCpu[i]!);
  out.memory = Math.max(0, out.memory - t.batchMem[i]!);
  return out;
}

/** The usage a pod is expected to add: its requests, or the configured estimate for what it leaves empty. */
export function usageEstimate(requests: Resources, empty: Resources, out: Resources): Resources {
  out.cpu = requests.cpu > 0 ? requests.cpu : empty.cpu;
  out.memory = requests.memory > 0 ? requests.memory : empty.memory;
  return out;
}

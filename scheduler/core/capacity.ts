// Batch capacity of a node: how much batch may hold on it at a given level.
//
//   predictedOnline = max(p(online-side usage over the usage window), latest sample)
//                     + requests of non-batch pods bound since the latest sample
//                     (when the node has no fresh sample: requests of all non-batch pods)
//   batchCapacity   = max(0, min(A * batchShare, A * (1 - onlineHeadroom) - predictedOnline))
//   batchFree       = max(0, batchCapacity - requests of batch pods already on the node)
//
// per resource (CPU, memory), A = allocatable. Compared with Koordinator's batch-cpu
// (A - A*(1 - reclaimThreshold) - systemUsed - HP used), the headroom plays the safety margin's part but
// varies with time, the usage is a percentile rather than the latest figure, and the share caps what
// batch may hold however idle the node is, so that a profile can keep batch small in the day.
//
// Peers (the simulator's baselines, scheduler/core/peers/) generalise the formula through the level's
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

/** True when the node's usage history is fresh enough to predict from. */
export function hasFreshUsage(node: NodeState, now: number): boolean {
  return now <= node.table.freshUntil[node.index]!;
}

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
export function predictedOnline(node: NodeState, now: number): Resources {
  const t = node.table;
  refreshPredicted(t, node.index, now);
  return { cpu: t.predCpu[node.index]!, memory: t.predMem[node.index]! };
}

/** The formula, for one resource: what batch may hold in total. */
function capacityOf(allocatable: number, level: Level, online: number): number {
  return Math.max(0, Math.min(allocatable * level.batchShare, allocatable * (1 - level.onlineHeadroom) - online));
}

/** The generalised formula for a peer's model (see the file comment), for one resource. */
function modelCapacityOf(allocatable: number, level: Level, model: CapacityModel, headroom: number | undefined, online: number, fresh: boolean): number {
  if (model.zeroWhenStale && !fresh) return 0;
  let cap = Math.min(allocatable * level.batchShare, allocatable * (1 - (headroom ?? level.onlineHeadroom)) - online);
  if (model.unusedFraction !== undefined) cap = Math.min(cap, model.unusedFraction * (allocatable - online));
  return Math.max(0, cap);
}

/**
 * Capacity batch may hold in total on the node at `level`, given its online-side usage (before
 * subtracting batch already there). A model's zeroWhenStale reads the freshness of the node's cached
 * prediction: call predictedOnline(node, now) first (as the planner does).
 */
export function batchCapacity(node: NodeState, level: Level, online: Readonly<Resources>, out: Resources): Resources {
  const a = node.spec.allocatable;
  const m = level.model;
  if (m === undefined) {
    out.cpu = capacityOf(a.cpu, level, online.cpu);
    out.memory = capacityOf(a.memory, level, online.memory);
    return out;
  }
  const fresh = node.table.predFresh[node.index] === 1;
  out.cpu = modelCapacityOf(a.cpu, level, m, m.headroom?.cpu, online.cpu, fresh);
  out.memory = modelCapacityOf(a.memory, level, m, m.headroom?.memory, online.memory, fresh);
  return out;
}

/** Capacity still free for batch at `level`. */
export function batchFree(node: NodeState, level: Level, online: Readonly<Resources>, out: Resources): Resources {
  batchCapacity(node, level, online, out);
  out.cpu = Math.max(0, out.cpu - node.requested.batch.cpu);
  out.memory = Math.max(0, out.memory - node.requested.batch.memory);
  return out;
}

/** batchFree for row i of the table, from its cached prediction (call refreshPredicted first). */
export function batchFreeAt(t: NodeTable, i: number, level: Level, out: Resources): Resources {
  const m = level.model;
  if (m === undefined) {
    out.cpu = Math.max(0, capacityOf(t.allocCpu[i]!, level, t.predCpu[i]!) - t.batchCpu[i]!);
    out.memory = Math.max(0, capacityOf(t.allocMem[i]!, level, t.predMem[i]!) - t.batchMem[i]!);
    return out;
  }
  const fresh = t.predFresh[i] === 1;
  out.cpu = Math.max(0, modelCapacityOf(t.allocCpu[i]!, level, m, m.headroom?.cpu, t.predCpu[i]!, fresh) - t.batchCpu[i]!);
  out.memory = Math.max(0, modelCapacityOf(t.allocMem[i]!, level, m, m.headroom?.memory, t.predMem[i]!, fresh) - t.batchMem[i]!);
  return out;
}

/** The usage a pod is expected to add: its requests, or the configured estimate for what it leaves empty. */
export function usageEstimate(requests: Resources, empty: Resources, out: Resources): Resources {
  out.cpu = requests.cpu > 0 ? requests.cpu : empty.cpu;
  out.memory = requests.memory > 0 ? requests.memory : empty.memory;
  return out;
}

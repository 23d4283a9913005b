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
// All functions write into caller-owned objects: they run per node per decision.

import type { Level } from './profile.ts';
import type { Resources } from './model.ts';
import type { NodeState } from './state.ts';
import type { UsageConfig } from './usage.ts';

/** True when the node's usage history is fresh enough to predict from. */
export function hasFreshUsage(node: NodeState, now: number, cfg: UsageConfig): boolean {
  return node.usage.size > 0 && now - node.usage.latestTime() <= cfg.staleAfterMs;
}

/**
 * Predicted online-side usage of the node. The result is cached on the node against its version and
 * freshness; callers must not modify it.
 */
export function predictedOnline(node: NodeState, now: number, cfg: UsageConfig): Readonly<Resources> {
  const fresh = hasFreshUsage(node, now, cfg);
  const d = node.derived;
  if (d.version === node.version && d.fresh === fresh) return d.online;
  const r = node.requested;
  const p = fresh ? node.usage.predictOnline(cfg.windowMs, cfg.percentile) : null;
  if (p === null) {
    d.online.cpu = r.online.cpu + r.system.cpu;
    d.online.memory = r.online.memory + r.system.memory;
  } else {
    d.online.cpu = p.cpu + node.unmeteredRequests.cpu;
    d.online.memory = p.memory + node.unmeteredRequests.memory;
  }
  d.version = node.version;
  d.fresh = fresh;
  return d.online;
}

/** Capacity batch may hold in total on the node at `level` (before subtracting batch already there). */
export function batchCapacity(node: NodeState, level: Level, online: Readonly<Resources>, out: Resources): Resources {
  const a = node.spec.allocatable;
  out.cpu = Math.max(0, Math.min(a.cpu * level.batchShare, a.cpu * (1 - level.onlineHeadroom) - online.cpu));
  out.memory = Math.max(0, Math.min(a.memory * level.batchShare, a.memory * (1 - level.onlineHeadroom) - online.memory));
  return out;
}

/** Capacity still free for batch at `level`. */
export function batchFree(node: NodeState, level: Level, online: Readonly<Resources>, out: Resources): Resources {
  batchCapacity(node, level, online, out);
  out.cpu = Math.max(0, out.cpu - node.requested.batch.cpu);
  out.memory = Math.max(0, out.memory - node.requested.batch.memory);
  return out;
}

/** The usage a pod is expected to add: its requests, or the configured estimate for what it leaves empty. */
export function usageEstimate(requests: Resources, empty: Resources, out: Resources): Resources {
  out.cpu = requests.cpu > 0 ? requests.cpu : empty.cpu;
  out.memory = requests.memory > 0 ? requests.memory : empty.memory;
  return out;
}

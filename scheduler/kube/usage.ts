// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics -> the core's usage samples. Per node, the batch
// side is the sum of that node's batch pods' usage and the online side is what remains of the node's
// usage (system pods, daemons and OS overhead included), never below zero. A batch pod without a
// metric in this round adds nothing to the batch side, so its usage counts as online: the cautious
// direction, since online usage shrinks batch capacity.

import type { Resources } from '../core/model.ts';
import { parseQuantity } from '../core/quantity.ts';
import type { ClusterState } from '../core/state.ts';

export interface UsageLike {
  cpu?: string | number;
  memory?: string | number;
}

/** The fields of a NodeMetrics object that Tidal reads. */
export interface NodeMetricLike {
  metadata: { name?: string };
  timestamp?: string | Date;
  usage?: UsageLike;
}

/** The fields of a PodMetrics object that Tidal reads. */
export interface PodMetricLike {
  metadata: { name?: string; namespace?: string };
  timestamp?: string | Date;
  containers?: Array<{ name?: string; usage?: UsageLike }>;
}

export interface RecordMetricsOptions {
  /** The uid of a pod by namespace and name (metrics name pods, the state keys them by uid). */
  uidOf(namespace: string, name: string): string | undefined;
  /** Skip a node whose metric is older than this (by its own timestamp against wallNow); 0 = never. */
  maxAgeMs?: number;
  /** Wall-clock now for the age check (metric timestamps are wall-clock even under an offset clock). */
  wallNow?: number;
}

export interface RecordMetricsResult {
  nodes: number;
  pods: number;
  /** Metrics for nodes or pods the state does not know, or too old. */
  skipped: number;
  /** Malformed quantities (counted as zero). */
  malformed: number;
}

function usageOf(u: UsageLike | undefined, bad: () => void): Resources {
  const out = { cpu: 0, memory: 0 };
  if (!u) return out;
  try {
    if (u.cpu !== undefined) out.cpu = Math.round(parseQuantity(u.cpu) * 1e6) / 1000; // millicores, to the microcore
  } catch {
    bad();
  }
  try {
    if (u.memory !== undefined) out.memory = Math.round(parseQuantity(u.memory));
  } catch {
    bad();
  }
  return out;
}

function ageOk(ts: string | Date | undefined, opts: RecordMetricsOptions): boolean {
  if (!opts.maxAgeMs || ts === undefined) return true;
  const t = ts instanceof Date ? ts.getTime() : Date.parse(ts);
  if (!Number.isFinite(t)) return true;
  return (opts.wallNow ?? Date.now()) - t <= opts.maxAgeMs;
}

/**
 * Records one round of metrics at `now` (the caller's clock, so that usage freshness is judged on
 * the same time line as scheduling decisions, including under an offset clock for rehearsals).
 */
export function recordMetrics(
  state: ClusterState,
  nodeMetrics: readonly NodeMetricLike[],
  podMetrics: readonly PodMetricLike[],
  now: number,
  opts: RecordMetricsOptions,
): RecordMetricsResult {
  const result: RecordMetricsResult = { nodes: 0, pods: 0, skipped: 0, malformed: 0 };
  const bad = (): void => {
    result.malformed++;
  };
  const round = new Map<string, Resources>();
  for (const m of podMetrics) {
    const uid = opts.uidOf(m.metadata.namespace ?? '', m.metadata.name ?? '');
    if (uid === undefined || !state.pods.has(uid)) {
      result.skipped++;
      continue;
    }
    const total = { cpu: 0, memory: 0 };
    for (const c of m.containers ?? []) {
      const u = usageOf(c.usage, bad);
      total.cpu += u.cpu;
      total.memory += u.memory;
    }
    round.set(uid, total);
    state.recordPodUsage(uid, total);
    result.pods++;
  }
  for (const m of nodeMetrics) {
    const node = state.nodes.get(m.metadata.name ?? '');
    if (!node || !ageOk(m.timestamp, opts)) {
      result.skipped++;
      continue;
    }
    const total = usageOf(m.usage, bad);
    const batch = { cpu: 0, memory: 0 };
    for (const p of node.pods.values()) {
      if (p.class !== 'batch') continue;
      const u = round.get(p.uid);
      if (!u) continue;
      batch.cpu += u.cpu;
      batch.memory += u.memory;
    }
    const online = { cpu: Math.max(0, total.cpu - batch.cpu), memory: Math.max(0, total.memory - batch.memory) };
    if (node.usage.size > 0 && node.usage.latestTime() > now) {
      // The clock stepped back (NTP): the history only moves forward, so wait for it to catch up.
      result.skipped++;
      continue;
    }
    state.recordNodeUsage(node.name, { time: now, online, batch });
    result.nodes++;
  }
  return result;
}

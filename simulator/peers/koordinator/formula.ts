// Koordinator (Alibaba) as a baseline: its batch resource formula, its LoadAware scheduling plugin
// and its LowNodeLoad descheduler, reimplemented from the formulas and defaults in its source
// (koordinator-sh/koordinator: pkg/slo-controller/noderesource/plugins/util/util.go,
// pkg/scheduler/apis/config/v1/defaults.go, the LowNodeLoad plugin's low_node_load.go and
// pkg/descheduler/utils/anomaly/basic_detector.go; no code copied). Pure functions: the simulator's
// `koordinator` policy (simulator/peers/koordinator/policy.ts) wires them into the one core.
//
// Batch capacity (slo-controller, policy `usage`, the default for CPU and memory), per resource:
//   safetyMargin = total x (100 - reclaimThresholdPercent) / 100      (CPU 60 -> 40%, memory 65 -> 35%)
//   systemUsed   = max(node usage - usage of pods, reserved)           (the simulator reserves nothing)
//   HPUsed       = sum over non-batch pods of their usage; a pod without a metric yet counts at its request
//   batch        = max(0, total - safetyMargin - systemUsed - HPUsed)
//   metrics older than 15 min: batch = 0
// `request` and `maxUsageRequest` policies are here for the unit tests and users' comparisons.
// In the core this is the capacity formula with share 1, per-resource headroom 0.40 / 0.35, the usage
// taken from the latest sample only (window 0, percentile 1: systemUsed + HPUsed is the sample's
// online side) and zeroWhenStale (KOORDINATOR_LEVEL, KOORDINATOR_USAGE).
//
// LoadAware (koord-scheduler), for every pod but DaemonSet ones:
//   estimate(pod) = max(request, limit) x factor (CPU 85%, memory 70%), capped at the limit; a zero
//                   request counts as 250m CPU / 200 MB
//   estimated(node) = latest node usage (online and batch) + estimates of pods bound since that sample
//                     + estimate(pod)
//   filter: reject when estimated / allocatable x 100 > threshold (CPU 65, memory 95); a node whose
//           metric has expired is not filtered
//   score:  least used, (allocatable - estimated) x 100 / allocatable, weighted mean (CPU 1, memory 1)
//
// LowNodeLoad (koord-descheduler), every descheduling cycle:
//   hot node: usage above highThresholds in any resource (CPU 75 %, memory 80 %: the example config);
//   cold node: below lowThresholds in every resource (CPU 45 %, memory 55 %);
//   anomaly gating: a node acts only after MORE than 5 consecutive hot observations (basic_detector.go
//   `ConsecutiveAbnormalities > 5`), i.e. on the 6th;
//   nothing happens without a cold node; cold capacity = sum over cold nodes of
//   (highThreshold - usage) x allocatable per resource, and each evicted pod's usage is withheld from it;
//   hot nodes most loaded first, pods evicted until the node is under its high thresholds or the cold
//   capacity runs out; at most 2 migrating pods per node (maxMigratingPerNode).
//   Victims (utilization_util.go sortPodsOnOneOverloadedNode, utils/sorter/pod.go PodSorter): any
//   evictable pod, online ones included (not system/DaemonSet, mirror, bare, local-storage or
//   terminating pods), ordered by Koordinator priority class (koord-free, koord-batch before mid and
//   prod: here batch before online), then priority, then the most usage of the overused resources
//   (weighted by resourceWeights, 1/1), then the newest.
//   Evictions (migration controller, v1alpha2/defaults.go EvictQPS 10, EvictBurst 1,
//   MaxConcurrentReconciles 1; evictor/interpreter.go TryAccept): one job reconciled at a time, a job
//   the limiter refuses is requeued, so a cycle's evictions go out at 10 a second: between two cycles
//   Δt apart, at most 1 + floor(10 x Δt / 1 s) of them (migrationBudget).

import type { PodInfo, Resources } from '../../../scheduler/core/model.ts';
import type { Level } from '../../../scheduler/core/profile.ts';
import type { ClusterState, NodeState } from '../../../scheduler/core/state.ts';
import { DEFAULT_USAGE, type UsageConfig } from '../../../scheduler/core/usage.ts';
import type { PlannedEviction } from '../../../scheduler/core/descheduling/evictor.ts';
import type { Need } from '../../../scheduler/core/descheduling/needs.ts';
import { DEFAULT_EVICTION_RULES, type EvictionRules } from '../../../scheduler/core/victims.ts';

const MB = 1_000_000;

export const KOORDINATOR_DEFAULTS = {
  /** cpuReclaimThresholdPercent / memoryReclaimThresholdPercent. */
  reclaimThresholdPercent: { cpu: 60, memory: 65 },
  /** Node metrics older than this reset batch capacity to 0. */
  metricStaleMs: 15 * 60_000,
  loadAware: {
    usageThresholds: { cpu: 65, memory: 95 },
    estimatedScalingFactors: { cpu: 85, memory: 70 },
    /** What a pod without requests is estimated at. */
    defaultEstimate: { cpu: 250, memory: 200 * MB },
    resourceWeights: { cpu: 1, memory: 1 },
  },
  lowNodeLoad: {
    highThresholds: { cpu: 75, memory: 80 },
    lowThresholds: { cpu: 45, memory: 55 },
    consecutiveAbnormalities: 5,
    maxMigratingPerNode: 2,
    evictionQPS: 10,
    evictionBurst: 1,
  },
} as const;

export type BatchPolicy = 'usage' | 'request' | 'maxUsageRequest';

export interface HighPriorityPod {
  request: number;
  /** null: no metric yet (counts at its request under every policy). */
  used: number | null;
}

export interface BatchResourceInput {
  /** Node capacity of the resource. */
  total: number;
  reclaimThresholdPercent: number;
  /** Usage of the node not explained by pods (daemons, the OS). */
  systemUsage: number;
  /** Reserved for the system (kubelet reservation or annotation). */
  systemReserved: number;
  /** Every pod that is not batch/free. */
  highPriority: readonly HighPriorityPod[];
  policy?: BatchPolicy;
  /** Optional cap: total x batchThresholdPercent / 100. */
  batchThresholdPercent?: number;
  /** The node's metric is older than the staleness limit. */
  stale?: boolean;
}

/** Koordinator's batch allocatable for one resource (the formula at the top of this file). */
export function koordinatorBatchResource(input: BatchResourceInput): number {
  if (input.stale) return 0;
  const policy = input.policy ?? 'usage';
  const margin = (input.total * (100 - input.reclaimThresholdPercent)) / 100;
  const system = policy === 'request' ? input.systemReserved : Math.max(input.systemUsage, input.systemReserved);
  let hp = 0;
  for (const p of input.highPriority) {
    if (p.used === null) hp += p.request;
    else if (policy === 'usage') hp += p.used;
    else if (policy === 'request') hp += p.request;
    else hp += Math.max(p.request, p.used);
  }
  let batch = input.total - margin - system - hp;
  if (input.batchThresholdPercent !== undefined) batch = Math.min(batch, (input.total * input.batchThresholdPercent) / 100);
  return Math.max(0, batch);
}

/** The `usage` policy at default thresholds as a core level: share 1, headroom 1 - reclaim threshold per resource. */
export const KOORDINATOR_LEVEL: Level = {
  batchShare: 1,
  onlineHeadroom: 1 - KOORDINATOR_DEFAULTS.reclaimThresholdPercent.cpu / 100,
  model: {
    headroom: {
      cpu: 1 - KOORDINATOR_DEFAULTS.reclaimThresholdPercent.cpu / 100,
      memory: 1 - KOORDINATOR_DEFAULTS.reclaimThresholdPercent.memory / 100,
    },
    zeroWhenStale: true,
  },
};

/** Online-side usage as Koordinator reads it: the latest metric, stale after 15 minutes. */
export const KOORDINATOR_USAGE: UsageConfig = { ...DEFAULT_USAGE, percentile: 1, windowMs: 0, staleAfterMs: KOORDINATOR_DEFAULTS.metricStaleMs };

/** LoadAware's estimate of what a pod will use, per resource. */
export function loadAwareEstimate(requests: Resources, limits: Resources, out: Resources = { cpu: 0, memory: 0 }): Resources {
  const la = KOORDINATOR_DEFAULTS.loadAware;
  out.cpu = estimateOne(requests.cpu, limits.cpu, la.estimatedScalingFactors.cpu, la.defaultEstimate.cpu);
  out.memory = estimateOne(requests.memory, limits.memory, la.estimatedScalingFactors.memory, la.defaultEstimate.memory);
  return out;
}

function estimateOne(request: number, limit: number, factorPercent: number, empty: number): number {
  const base = Math.max(request, limit);
  if (base <= 0) return empty;
  const est = (base * factorPercent) / 100;
  return limit > 0 ? Math.min(est, limit) : est;
}

/**
 * The node's estimated usage before a new pod: the latest sample (online and batch) plus the
 * estimates of pods bound since it. Null when the node has no sample fresher than `staleMs`
 * (LoadAware then does not filter the node).
 */
export function loadAwareNodeEstimate(node: NodeState, now: number, staleMs: number): Resources | null {
  const s = node.usage.latest();
  if (!s || now - s.time > staleMs) return null;
  const out = { cpu: s.online.cpu + s.batch.cpu, memory: s.online.memory + s.batch.memory };
  const e = { cpu: 0, memory: 0 };
  for (const p of node.pods.values()) {
    if (p.startedAt > s.time) {
      loadAwareEstimate(p.requests, p.limits, e);
      out.cpu += e.cpu;
      out.memory += e.memory;
    }
  }
  return out;
}

/** LoadAware's filter verdict for estimated usage after placement: the first resource over its threshold, or null. */
export function loadAwareOver(estimated: Resources, allocatable: Resources): 'cpu' | 'memory' | null {
  const th = KOORDINATOR_DEFAULTS.loadAware.usageThresholds;
  if ((estimated.cpu / allocatable.cpu) * 100 > th.cpu) return 'cpu';
  if ((estimated.memory / allocatable.memory) * 100 > th.memory) return 'memory';
  return null;
}

/** LoadAware's least-used score (0..100) for estimated usage after placement. */
export function loadAwareScore(estimated: Resources, allocatable: Resources): number {
  const w = KOORDINATOR_DEFAULTS.loadAware.resourceWeights;
  const s = (used: number, cap: number) => (cap <= 0 ? 0 : Math.max(0, ((cap - used) * 100) / cap));
  return (s(estimated.cpu, allocatable.cpu) * w.cpu + s(estimated.memory, allocatable.memory) * w.memory) / (w.cpu + w.memory);
}

// ---- LowNodeLoad ---------------------------------------------------------------------------
// A descheduling strategy (descheduling/needs.ts): it states each gated hot node's need, and the one
// planLowNodeLoad picks Koordinator's victims (any evictable pod, batch first) and enforces its limits
// (maxMigratingPerNode, the migration controller's budget; PDBs left to the Eviction API as
// Koordinator's descheduler does). The cold capacity is the strategy's own admit().

export interface LowNodeLoadConfig {
  highThresholds: Resources;
  lowThresholds: Resources;
  consecutiveAbnormalities: number;
  /** The evictor's per-node limit; 0: no limit (as every evictor limit). */
  maxMigratingPerNode: number;
  rules: EvictionRules;
}

export const DEFAULT_LOW_NODE_LOAD: LowNodeLoadConfig = {
  highThresholds: { ...KOORDINATOR_DEFAULTS.lowNodeLoad.highThresholds },
  lowThresholds: { ...KOORDINATOR_DEFAULTS.lowNodeLoad.lowThresholds },
  consecutiveAbnormalities: KOORDINATOR_DEFAULTS.lowNodeLoad.consecutiveAbnormalities,
  maxMigratingPerNode: KOORDINATOR_DEFAULTS.lowNodeLoad.maxMigratingPerNode,
  rules: DEFAULT_EVICTION_RULES,
};

export interface LowNodeLoadInput {
  state: ClusterState;
  now: number;
  config: LowNodeLoadConfig;
  /** Consecutive hot observations per node before this cycle. */
  abnormal: ReadonlyMap<string, number>;
  /** Evictions the rate limit allows this cycle. */
  rateBudget: number;
  /** Samples older than this are ignored (the node is neither hot nor cold). */
  staleMs: number;
}

export type LowNodeLoadReason = 'low-node-load';

export interface LowNodeLoadNeeds {
  /** One per gated hot node; none without a cold node to receive the load. */
  needs: Array<Need<LowNodeLoadReason>>;
  abnormal: Map<string, number>;
  hot: string[];
  cold: string[];
}

export interface LowNodeLoadPlan {
  evictions: Array<PlannedEviction<LowNodeLoadReason>>;
  abnormal: Map<string, number>;
  hot: string[];
  cold: string[];
}

/** LowNodeLoad's strategy: which nodes are hot and cold this cycle, and what each hot node needs. */
export function lowNodeLoadNeeds(input: Omit<LowNodeLoadInput, 'rateBudget'>): LowNodeLoadNeeds {
  const { state, now, config } = input;
  const hi = config.highThresholds;
  const lo = config.lowThresholds;
  const out: LowNodeLoadNeeds = { needs: [], abnormal: new Map(), hot: [], cold: [] };
  const hot: Array<{ node: NodeState; usage: Resources; load: number }> = [];
  // What the cold nodes can still take, shared by every hot node's need.
  const free = { cpu: 0, memory: 0 };
  for (const node of state.nodeList) {
    const s = node.usage.latest();
    if (!s || now - s.time > input.staleMs) continue;
    const a = node.spec.allocatable;
    const usage = { cpu: s.online.cpu + s.batch.cpu, memory: s.online.memory + s.batch.memory };
    const pc = (usage.cpu / a.cpu) * 100;
    const pm = (usage.memory / a.memory) * 100;
    if (pc > hi.cpu || pm > hi.memory) {
      const streak = (input.abnormal.get(node.name) ?? 0) + 1;
      out.abnormal.set(node.name, streak);
      if (streak > config.consecutiveAbnormalities) hot.push({ node, usage, load: Math.max(pc / hi.cpu, pm / hi.memory) });
    } else if (pc < lo.cpu && pm < lo.memory) {
      out.cold.push(node.name);
      free.cpu += ((hi.cpu - pc) / 100) * a.cpu;
      free.memory += ((hi.memory - pm) / 100) * a.memory;
    }
  }
  out.hot = hot.map((h) => h.node.name);
  if (hot.length === 0 || out.cold.length === 0) return out;
  const usageOf = (p: PodInfo): Resources => state.podUsage.get(p.uid) ?? p.requests;
  const message = (node: string) =>
    `Koordinator LowNodeLoad: ${node} usage above ${hi.cpu}% cpu or ${hi.memory}% memory for more than ${config.consecutiveAbnormalities} consecutive observations; moving load to the ${out.cold.length} cold node(s)`;
  for (const { node, usage, load } of hot) {
    const a = node.spec.allocatable;
    out.needs.push({
      node,
      reason: 'low-node-load',
      // Most loaded first.
      severity: load,
      unmet: () => (usage.cpu / a.cpu) * 100 > hi.cpu || (usage.memory / a.memory) * 100 > hi.memory,
      // Any evictable pod moves load; the thresholds are checked again after each one.
      helps: () => true,
      // The cold nodes must be able to carry what moves.
      admit: (p) => {
        const u = usageOf(p);
        return !(u.cpu > free.cpu || u.memory > free.memory);
      },
      take: (p) => {
        const u = usageOf(p);
        free.cpu -= u.cpu;
        free.memory -= u.memory;
        usage.cpu -= u.cpu;
        usage.memory -= u.memory;
      },
      remaining: () => ({ cpu: Math.max(0, usage.cpu - (hi.cpu / 100) * a.cpu), memory: Math.max(0, usage.memory - (hi.memory / 100) * a.memory) }),
      message: () => message(node.name),
    });
  }
  return out;
}

/** Evictions the migration controller carries out between two cycles `elapsedMs` apart (file comment). */
export function migrationBudget(elapsedMs: number): number {
  const l = KOORDINATOR_DEFAULTS.lowNodeLoad;
  return l.evictionBurst + Math.floor((l.evictionQPS * Math.max(0, elapsedMs)) / 1000);
}

/** Why Koordinator's evictor would not evict the pod, or null (file comment). */
export function koordNotEvictable(p: PodInfo, rules: EvictionRules): string | null {
  if (p.class === 'system' || p.ownerKind === 'DaemonSet') return 'system or DaemonSet pod';
  if (p.isMirror) return 'mirror pod';
  if (p.terminating) return 'terminating';
  if (!p.ownerKind && !rules.evictBarePods) return 'bare pod';
  if (p.hasLocalStorage && !rules.evictLocalStorage) return 'local storage';
  return null;
}

/** LowNodeLoad's victim order on one hot node (file comment); `over` are the resources above the high threshold. */
export function koordVictimOrder(pods: readonly PodInfo[], usageOf: (p: PodInfo) => Resources, allocatable: Resources, over: { cpu: boolean; memory: boolean }): PodInfo[] {
  const rank = (p: PodInfo) => (p.class === 'batch' ? 0 : 1);
  const score = (p: PodInfo) => {
    const u = usageOf(p);
    return (over.cpu ? u.cpu / allocatable.cpu : 0) + (over.memory ? u.memory / allocatable.memory : 0);
  };
  return [...pods].sort((a, b) => rank(a) - rank(b) || a.priority - b.priority || score(b) - score(a) || b.createdAt - a.createdAt || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
}

/** One LowNodeLoad cycle (the algorithm at the top of this file): hot nodes most loaded first, Koordinator's victims. */
export function planLowNodeLoad(input: LowNodeLoadInput): LowNodeLoadPlan {
  const { needs, abnormal, hot, cold } = lowNodeLoadNeeds(input);
  const { state, config } = input;
  const hi = config.highThresholds;
  const usageOf = (p: PodInfo): Resources => state.podUsage.get(p.uid) ?? p.requests;
  const evictions: Array<PlannedEviction<LowNodeLoadReason>> = [];
  const sorted = [...needs].sort((x, y) => y.severity - x.severity || (x.node.name < y.node.name ? -1 : 1));
  for (const need of sorted) {
    const node = need.node;
    const a = node.spec.allocatable;
    const s = node.usage.latest()!;
    const over = { cpu: ((s.online.cpu + s.batch.cpu) / a.cpu) * 100 > hi.cpu, memory: ((s.online.memory + s.batch.memory) / a.memory) * 100 > hi.memory };
    const pods = [...node.pods.values()].filter((p) => koordNotEvictable(p, config.rules) === null);
    let planned = 0;
    for (const v of koordVictimOrder(pods, usageOf, a, over)) {
      if (!need.unmet() || evictions.length >= input.rateBudget) break;
      if (config.maxMigratingPerNode > 0 && planned >= config.maxMigratingPerNode) break;
      if (need.admit && !need.admit(v)) break;
      evictions.push({ pod: v, node: node.name, reason: 'low-node-load', message: need.message() });
      need.take(v);
      planned++;
    }
  }
  return { evictions, abnormal, hot, cold };
}

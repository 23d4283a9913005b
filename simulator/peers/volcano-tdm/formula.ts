// Volcano's TDM (time-division multiplexing) plugin and its node agent (volcano-agent) as a baseline,
// reimplemented from the formulas and defaults in its source (volcano-sh/volcano ed72c7c8; no code
// copied). Pure functions: the simulator's `volcano-tdm` policy (policy.ts) wires them into the core.
//
// Revocable zones (pkg/scheduler/plugins/tdm/tdm.go): nodes labelled volcano.sh/revocable-zone=<zone>;
// each zone has one daily window "HH:MM-HH:MM" in the scheduler process's local time. A preemptable
// (batch) task may be placed on a revocable node only while its zone's window is open. When the window
// closes, preemptable tasks on the zone's nodes are evicted, at most the job's budget (default 1 pod
// per job) per eviction period (default 1 minute).
// Midnight: parseRevocableZone anchors the start to TODAY and, when end <= start, the end to tomorrow;
// availableRevocableZone is open when start <= now <= end. So "23:00-08:00" is open 23:00-24:00 only:
// at 00:00 "today" is the next day and its start (23:00) lies ahead. A window that crosses midnight is
// open from its start to midnight (tdmWindowOpen); an operator who wants the night writes "00:00-08:00".
//
// Oversubscription (agent, extend policy: pkg/agent/oversubscription/policy/extend/extend.go
// CalOverSubscriptionResources, every 10 s; pkg/agent/events/probes/noderesources/resource_calculator.go):
//   reading   = max(0, total - usage) x 60 / 100 (--oversubscription-ratio 60, integer percent), total =
//               allocatable (CPU manager "none": no guaranteed CPUs set aside), usage = the node's
//               whole usage, batch (BestEffort) pods included (resourceusage UsagesByValue(true, true))
//   published = the weighted mean of the last 10 readings (queue/internal_queue.go queueSize 10), the
//               oldest weighing 1 and each newer one twice the one before (computeOverSubRes), as the
//               node's batch extended resource; rewritten when a resource moves by more than 10 %
//               (policy.go overSubscriptionChangeStep) and on every 6th report (resource_reporter.go
//               reSyncPeriod: once a minute). Batch pods request that resource (plugin.ts).
// Eviction watermarks (agent, on by default: pkg/agent/config/utils/utils.go high CPU 80 % / memory
// 60 %, low 30 / 30; pkg/agent/events/probes/nodemonitor/node_monitor.go):
//   every 10 s, per resource, usage % (integer) >= high counts one more high reading, else the count is
//   reset; at 6 (highUsageCountLimit) the node has pressure, and each 10 s the agent taints the node
//   NoSchedule volcano.sh/offline-job-evicting (DisableSchedule) and evicts one preemptable pod, the
//   largest request of that resource first (utils/node GetLatestPodsAndResList,
//   handlers/eviction/eviction.go); the taint is removed (RecoverSchedule) only when every resource is
//   at or below its low watermark. The taint also keeps online pods off the node (no traced pod
//   carries the toleration).

import { DateTime } from 'luxon';
import type { PodInfo } from '../../../scheduler/core/model.ts';
import type { Level } from '../../../scheduler/core/profile.ts';
import type { ClusterState } from '../../../scheduler/core/state.ts';
import { compareVictims, notEvictable, type EvictionRules } from '../../../scheduler/core/victims.ts';

export const REVOCABLE_ZONE_LABEL = 'volcano.sh/revocable-zone';

export const VOLCANO_DEFAULTS = {
  oversubscriptionRatio: 0.6,
  evictPeriodMs: 60_000,
  /** Pods of one job evicted per period (the job budget). */
  jobBudget: 1,
  /** Percent of allocatable (integer, as the agent compares them). */
  highWatermark: { cpu: 80, memory: 60 },
  lowWatermark: { cpu: 30, memory: 30 },
} as const;

/** The node agent's own constants (file comment). */
export const VOLCANO_AGENT = {
  periodMs: 10_000,
  historySize: 10,
  changeStep: 0.1,
  resyncReports: 6,
  highUsageCountLimit: 6,
  evictingTaint: 'volcano.sh/offline-job-evicting',
} as const;

export const VOLCANO_LEVEL: Level = { batchShare: 1, onlineHeadroom: 0, model: { unusedFraction: VOLCANO_DEFAULTS.oversubscriptionRatio } };

/** A daily window in local minutes after midnight; end <= start crosses midnight. */
export interface DailyWindow {
  startMinute: number;
  endMinute: number;
}

/** Parses "HH:MM-HH:MM" as TDM's revocable-zone configuration writes it. */
export function parseDailyWindow(text: string): DailyWindow {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  const minute = (h: string, mm: string) => {
    const hh = Number(h);
    const mi = Number(mm);
    if (hh > 23 || mi > 59) throw new Error(`revocable-zone window "${text}": not a time of day`);
    return hh * 60 + mi;
  };
  if (!m) throw new Error(`revocable-zone window "${text}": expected HH:MM-HH:MM`);
  return { startMinute: minute(m[1]!, m[2]!), endMinute: minute(m[3]!, m[4]!) };
}

export function formatDailyWindow(w: DailyWindow): string {
  const f = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
  return `${f(w.startMinute)}-${f(w.endMinute)}`;
}

/**
 * Whether the window is open at instant t in the time zone, as TDM reads it (file comment): from the
 * start today to the end today, both inclusive, or, when end <= start, from the start to midnight.
 */
export function tdmWindowOpen(w: DailyWindow, t: number, timeZone: string): boolean {
  const d = DateTime.fromMillis(t, { zone: timeZone });
  const s = d.hour * 3600 + d.minute * 60 + d.second + d.millisecond / 1000;
  if (s < w.startMinute * 60) return false;
  return w.endMinute <= w.startMinute || s <= w.endMinute * 60;
}

export interface WindowCloseInput {
  state: ClusterState;
  now: number;
  /** Whether the window of each revocable zone is open now. */
  open: (zone: string) => boolean;
  jobBudget: number;
  rules: EvictionRules;
  /** Pods already asked to leave. */
  inFlight?: ReadonlySet<string>;
}

/**
 * One TDM eviction period: on revocable nodes whose window is closed, each job gives up at most
 * `jobBudget` pods, cheapest first (the core's victim order). Pods without a job (ownerName "") count
 * as their own job.
 */
export function planWindowClose(input: WindowCloseInput): Array<{ pod: PodInfo; node: string }> {
  const byJob = new Map<string, Array<{ pod: PodInfo; node: string }>>();
  for (const node of input.state.nodeList) {
    const zone = node.spec.labels[REVOCABLE_ZONE_LABEL];
    if (zone === undefined || input.open(zone)) continue;
    for (const p of node.pods.values()) {
      if (input.inFlight?.has(p.uid) || notEvictable(p, input.rules, input.now) !== null) continue;
      const job = p.ownerName || p.uid;
      let list = byJob.get(job);
      if (!list) byJob.set(job, (list = []));
      list.push({ pod: p, node: node.name });
    }
  }
  const out: Array<{ pod: PodInfo; node: string }> = [];
  for (const job of [...byJob.keys()].sort()) {
    const list = byJob.get(job)!.sort((x, y) => compareVictims(x.pod, y.pod, input.now));
    out.push(...list.slice(0, input.jobBudget));
  }
  return out;
}

/** One oversubscription reading: max(0, total - usage) x ratio, the ratio in whole percent as the flag. */
export function oversubscriptionReading(total: number, usage: number, ratio: number): number {
  if (total < usage) return 0;
  return Math.floor(((total - usage) * Math.round(ratio * 100)) / 100);
}

/** The published figure: the readings' mean, oldest first, weighing 1, 2, 4, ... (integer division); null when none. */
export function weightedHistory(readings: readonly number[]): number | null {
  if (readings.length === 0) return null;
  let sum = 0;
  let total = 0;
  let w = 1;
  for (const r of readings) {
    sum += r * w;
    total += w;
    w *= 2;
  }
  return Math.floor(sum / total);
}

/** Whether the reporter rewrites the node's figure: every resyncReports-th report, or a move of more than 10 %. */
export function shouldPublish(current: { cpu: number; memory: number } | null, next: { cpu: number; memory: number }, reportTimes: number): boolean {
  if (reportTimes % VOLCANO_AGENT.resyncReports === 0 || current === null) return true;
  return (['cpu', 'memory'] as const).some((r) => Math.abs(next[r] - current[r]) / current[r] > VOLCANO_AGENT.changeStep);
}

/** Usage as the agent compares it with the watermarks: integer percent of allocatable. */
export function usagePercent(used: number, allocatable: number): number {
  return allocatable > 0 ? Math.trunc((used * 100) / allocatable) : 0;
}

/** The agent's eviction watermarks, percent of allocatable. */
export interface Watermarks {
  high: { cpu: number; memory: number };
  low: { cpu: number; memory: number };
}

const DEFAULT_WATERMARKS: Watermarks = { high: VOLCANO_DEFAULTS.highWatermark, low: VOLCANO_DEFAULTS.lowWatermark };

/** One node as the agent keeps it between its 10-s periods. */
export interface AgentNode {
  readings: { cpu: number; memory: number }[];
  published: { cpu: number; memory: number } | null;
  reportTimes: number;
  highCount: { cpu: number; memory: number };
}

export const newAgentNode = (): AgentNode => ({ readings: [], published: null, reportTimes: 0, highCount: { cpu: 0, memory: 0 } });

export interface AgentStep {
  /** The figure to write on the node, or null to leave it. */
  publish: { cpu: number; memory: number } | null;
  /** Resources under pressure: one eviction each this period, the taint put on before it. */
  pressure: Array<'cpu' | 'memory'>;
  /** Every resource at or below its low watermark: the taint comes off. */
  allLow: boolean;
}

/**
 * One 10-s period of the agent on one node (mutates `n`): the oversubscription reading and report,
 * the watermark counts and what they call for (file comment). `usage` is the node's whole usage.
 */
export function agentStep(n: AgentNode, allocatable: { cpu: number; memory: number }, usage: { cpu: number; memory: number }, ratio: number, marks: Watermarks = DEFAULT_WATERMARKS): AgentStep {
  n.readings.push({ cpu: oversubscriptionReading(allocatable.cpu, usage.cpu, ratio), memory: oversubscriptionReading(allocatable.memory, usage.memory, ratio) });
  if (n.readings.length > VOLCANO_AGENT.historySize) n.readings.shift();
  // weightedHistory of each resource's readings, in one pass (the agent runs on every node every 10 s).
  let sumCpu = 0;
  let sumMemory = 0;
  let total = 0;
  let w = 1;
  for (const r of n.readings) {
    sumCpu += r.cpu * w;
    sumMemory += r.memory * w;
    total += w;
    w *= 2;
  }
  const next = { cpu: Math.floor(sumCpu / total), memory: Math.floor(sumMemory / total) };
  n.reportTimes++;
  let publish: AgentStep['publish'] = null;
  if (shouldPublish(n.published, next, n.reportTimes)) publish = n.published = next;
  const pressure: AgentStep['pressure'] = [];
  let allLow = true;
  for (const r of ['cpu', 'memory'] as const) {
    const pct = usagePercent(usage[r], allocatable[r]);
    n.highCount[r] = pct >= marks.high[r] ? n.highCount[r] + 1 : 0;
    if (n.highCount[r] >= VOLCANO_AGENT.highUsageCountLimit) pressure.push(r);
    if (pct > marks.low[r]) allLow = false;
  }
  return { publish, pressure, allLow };
}

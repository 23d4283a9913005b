// Volcano's TDM (time-division multiplexing) plugin and its agent's oversubscription as a baseline,
// reimplemented from the formulas and defaults in its source (volcano-sh/volcano:
// pkg/scheduler/plugins/tdm/tdm.go, pkg/agent/; no code copied). Pure functions: the simulator's
// `volcano-tdm` policy (simulator/peers/volcano-tdm/policy.ts) wires them into the core.
//
// Revocable zones: nodes labelled volcano.sh/revocable-zone=<zone>; each zone has one daily window
// "HH:MM-HH:MM" (local time of the scheduler; end <= start crosses midnight). A preemptable (batch)
// task may be placed on a revocable node only while its zone's window is open; other tasks never go
// there. When the window closes, preemptable tasks on the zone's nodes are evicted, at most the job's
// budget (default 1 pod per job) per eviction period (default 1 minute).
// Oversubscription (volcano-agent): batch may hold (allocatable - usage) x 60% per resource, where usage
// is the online side's (the agent reports what online pods and the system leave unused): in the core,
// the capacity formula with share 1, headroom 0 and unusedFraction 0.6 (VOLCANO_LEVEL).
// Eviction watermarks (volcano-agent): when node usage passes the high watermark (CPU 80 %, memory 60 %)
// offline pods are evicted until it is under it again (the low watermarks, 30 %, gate when
// oversubscription scheduling resumes; the simulator does not model that gate).

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
  highWatermark: { cpu: 0.8, memory: 0.6 },
  lowWatermark: { cpu: 0.3, memory: 0.3 },
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

/** Whether the window is open at instant t in the time zone (start inclusive, end exclusive). */
export function windowOpen(w: DailyWindow, t: number, timeZone: string): boolean {
  const d = DateTime.fromMillis(t, { zone: timeZone });
  const m = d.hour * 60 + d.minute;
  if (w.startMinute === w.endMinute) return true;
  return w.startMinute < w.endMinute ? m >= w.startMinute && m < w.endMinute : m >= w.startMinute || m < w.endMinute;
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

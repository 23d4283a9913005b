// The `volcano-tdm` policy: Volcano's TDM plugin and its agent's oversubscription on the one core
// (formulas in scheduler/core/peers/volcano.ts).
//   zones        every node of the simulated cluster is labelled volcano.sh/revocable-zone=rz1; the
//                zone's daily window is the profile's recurring window with the most batch share
//                (an operator configures TDM for the same night; "night" 23:00-08:00 in the shipped
//                profiles), else 23:00-08:00, in the profile's time zone
//   capacity     batch may hold 60 % of what online leaves unused, (A - online usage) x 0.6, from the
//                latest usage sample; no share cap, no durations
//   placement    batch only on revocable-zone nodes while the window is open; online by requests
//                (native LeastAllocated); batch prefers the most oversubscription room
//   eviction     when the window closes: 1 pod per job per 1-minute period
//   not modelled the agent's eviction watermarks (CPU 80 %, memory 60 %: VOLCANO_WATERMARK, off by
//                default): without the low-watermark gate that stops new oversubscribed placements on
//                a node that crossed them, the simulator evicts and re-places batch in a loop (over
//                6,000 evictions on the Double 11 sample), a churn the real agent does not have

import { TIME_SHARING, type PolicyConfig } from '../../scheduler/core/config.ts';
import { planEvictions, type PlannerConfig } from '../../scheduler/core/eviction-planner.ts';
import { constantProfile, type Profile } from '../../scheduler/core/profile.ts';
import { DEFAULT_USAGE } from '../../scheduler/core/usage.ts';
import { parseDailyWindow, planWindowClose, REVOCABLE_ZONE_LABEL, VOLCANO_DEFAULTS, VOLCANO_LEVEL, windowOpen, type DailyWindow } from '../../scheduler/core/peers/volcano.ts';
import { DEFAULT_FILTERS } from '../../scheduler/core/registry.ts';
import { peerScoreWeights, type PeerController, type SimPolicy } from './types.ts';

export const TDM_ZONE = 'rz1';
export const DEFAULT_TDM_WINDOW = '23:00-08:00';

export const VOLCANO_CONFIG: PolicyConfig = {
  ...TIME_SHARING,
  name: 'volcano-tdm',
  // Learned usage curves are Tidal's own; the peer looks at current or percentile usage.
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  usage: { ...DEFAULT_USAGE, percentile: 1, windowMs: 0 },
  filters: [...DEFAULT_FILTERS, 'VolcanoTDM'],
  pluginArgs: { ...TIME_SHARING.pluginArgs, OnlineLoadThreshold: null },
  batch: { durationAware: false },
  scoreWeights: peerScoreWeights({ online: { NativeLeastAllocated: 1 }, batch: { BatchRoom: 1 } }),
};

/** The agent's eviction watermark as the core planner's hot-spot relief (no drain, acts at once). */
export const VOLCANO_WATERMARK: PlannerConfig = {
  rules: { priorityThreshold: null, evictLocalStorage: false, evictBarePods: false, minPodAgeMs: 0 },
  limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 },
  drain: false,
  hotSpot: { threshold: { ...VOLCANO_DEFAULTS.highWatermark }, target: { ...VOLCANO_DEFAULTS.highWatermark }, consecutive: 1 },
};

/** The revocable window an operator would configure for this profile (see the file comment). */
export function tdmWindowFor(profile: Profile): DailyWindow {
  let best: { share: number; w: DailyWindow } | null = null;
  for (const w of profile.windows) {
    if (!w.recurrence || w.recurrence.days.length < 7 || w.batchShare <= profile.default.batchShare) continue;
    if (best === null || w.batchShare > best.share) best = { share: w.batchShare, w: { startMinute: w.recurrence.startMinute, endMinute: w.recurrence.endMinute } };
  }
  return best?.w ?? parseDailyWindow(DEFAULT_TDM_WINDOW);
}

export function tdmController(profile: Profile, watermark = false): PeerController {
  const window = tdmWindowFor(profile);
  let hot = new Map<string, number>();
  return {
    intervalMs: VOLCANO_DEFAULTS.evictPeriodMs,
    onNodeAdd: (spec) => ({ ...spec, labels: { ...spec.labels, [REVOCABLE_ZONE_LABEL]: TDM_ZONE } }),
    tick(api, now) {
      const open = windowOpen(window, now, profile.timeZone);
      if (!open) {
        const victims = planWindowClose({ state: api.state, now, open: () => open, jobBudget: VOLCANO_DEFAULTS.jobBudget, rules: VOLCANO_WATERMARK.rules });
        for (const v of victims) api.evict(v.pod.uid, 'window-close');
      }
      if (!watermark) return;
      const plan = planEvictions({ state: api.state, timeline: api.timeline, now, config: VOLCANO_WATERMARK, rateBudget: Infinity, hotStreaks: hot });
      hot = plan.hotStreaks;
      for (const e of plan.evictions) api.evict(e.pod.uid, 'watermark');
    },
  };
}

export const VOLCANO_TDM: SimPolicy = {
  name: 'volcano-tdm',
  description: "Volcano TDM: batch on revocable-zone nodes only inside the daily window (the profile's night), 60% of unused capacity; evicted 1 pod/job/min when the window closes",
  config: VOLCANO_CONFIG,
  planner: null,
  profileFor: (p) => constantProfile(VOLCANO_LEVEL, 'volcano-oversubscription', p.timeZone),
  pluginArgs: (p) => ({ VolcanoTDM: { windows: new Map([[TDM_ZONE, tdmWindowFor(p)]]), timeZone: p.timeZone, strict: false } }),
  controller: (p) => tdmController(p),
};

/** The sweep's knob for volcano-tdm: the agent's oversubscription ratio (share of unused capacity, default 0.6). */
export interface VolcanoKnobs {
  oversubscriptionRatio?: number;
}

/** volcano-tdm with another oversubscription ratio (at the default, byte-identical to VOLCANO_TDM: test/unit/sweep). */
export function volcanoPolicy(k: VolcanoKnobs = {}): SimPolicy {
  const ratio = k.oversubscriptionRatio ?? VOLCANO_DEFAULTS.oversubscriptionRatio;
  const level = { ...VOLCANO_LEVEL, model: { ...VOLCANO_LEVEL.model, unusedFraction: ratio } };
  return { ...VOLCANO_TDM, profileFor: (p) => constantProfile(level, 'volcano-oversubscription', p.timeZone) };
}

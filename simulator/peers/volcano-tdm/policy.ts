// The `volcano-tdm` policy: Volcano's TDM plugin and its node agent (volcano-agent) on the one core
// (formulas and source citations in formula.ts, the controllers in controller.ts).
//   zones        every node of the simulated cluster is labelled volcano.sh/revocable-zone=rz1; the
//                zone's daily window is the one an operator would write for the profile's recurring
//                window with the most batch share, in the profile's time zone: TDM opens a window that
//                crosses midnight only from its start to midnight (formula.ts), so the operator writes
//                the longer side of midnight ("night" 23:00-08:00 in the shipped profiles -> 00:00-08:00);
//                without such a window, 00:00-08:00
//   capacity     volcano-agent: batch requests the published oversubscription, the weighted mean of ten
//                10-s readings of 0.6 x (allocatable - usage of every pod, batch included)
//   placement    batch only on revocable-zone nodes while the window is open; online by requests
//                (native LeastAllocated); batch prefers the most oversubscription left; no pod goes to
//                a node under the agent's NoSchedule evicting taint
//   eviction     TDM: when the window closes, 1 pod per job per 1-minute period; volcano-agent: past the
//                watermarks (CPU 80 %, memory 60 %) for 6 readings, one batch pod per resource per 10 s
//                under the taint, which stays until CPU and memory are both at or below 30 %
//   watermarks   on by default (as in Volcano); the factory and sweep knob `watermarks` 0 turns them off
//   foresight    off by default; on, the operator closes the zone for the profile's peak (foresight.ts):
//                no revocable window opens from the peak's start to its end (a window that closes
//                before 00:00 of the peak night)

import { VolcanoOversubscriptionFit, VolcanoOversubscriptionRoom, VolcanoTdm } from './plugin.ts';
import { TaintToleration } from '../taint-toleration.ts';
import { peakSpans } from '../foresight.ts';
import { TDM_ZONE, volcanoController } from './controller.ts';
import { NativeLeastAllocated } from '../native-least-allocated.ts';
import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { constantProfile, type Profile } from '../../../scheduler/core/profile.ts';
import { DEFAULT_USAGE } from '../../../scheduler/core/usage.ts';
import { parseDailyWindow, VOLCANO_DEFAULTS, VOLCANO_LEVEL, type DailyWindow } from './formula.ts';
import { DEFAULT_FILTERS } from '../../../scheduler/core/registry.ts';
import { peerScoreWeights, type SimPolicy } from '../../policies/types.ts';

export { TDM_ZONE };
export const DEFAULT_TDM_WINDOW = '00:00-08:00';

export const VOLCANO_CONFIG: PolicyConfig = {
  ...TIME_SHARING,
  name: 'volcano-tdm',
  // Learned usage curves are Tidal's own; the peer looks at current or percentile usage.
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  usage: { ...DEFAULT_USAGE, percentile: 1, windowMs: 0 },
  filters: [...DEFAULT_FILTERS.filter((f) => f !== 'BatchCapacityFit'), 'VolcanoTDM', 'VolcanoOversubscription', 'TaintToleration'],
  pluginArgs: { ...TIME_SHARING.pluginArgs, OnlineLoadThreshold: null },
  batch: { durationAware: false },
  scoreWeights: peerScoreWeights({ online: { NativeLeastAllocated: 1 }, batch: { VolcanoOversubscriptionRoom: 1 } }),
};

/** The revocable window an operator would configure for this profile (see the file comment). */
export function tdmWindowFor(profile: Profile): DailyWindow {
  let best: { share: number; w: DailyWindow } | null = null;
  for (const w of profile.windows) {
    if (!w.recurrence || w.recurrence.days.length < 7 || w.batchShare <= profile.default.batchShare) continue;
    if (best === null || w.batchShare > best.share) best = { share: w.batchShare, w: { startMinute: w.recurrence.startMinute, endMinute: w.recurrence.endMinute } };
  }
  if (!best) return parseDailyWindow(DEFAULT_TDM_WINDOW);
  const w = best.w;
  if (w.endMinute > w.startMinute) return w;
  // Crossing midnight: the longer side of it (TDM would open only start-24:00).
  return 24 * 60 - w.startMinute >= w.endMinute ? { startMinute: w.startMinute, endMinute: 0 } : { startMinute: 0, endMinute: w.endMinute };
}

/** The factory's parameters: the agent's oversubscription ratio (0.6) and the foresight option (off). */
export interface VolcanoKnobs {
  oversubscriptionRatio?: number;
  /** 1: the operator closes the revocable zone for the profile's peak (foresight.ts). */
  foresight?: number;
  /** 1 (default): the agent's eviction watermarks and evicting taint; 0: an operator who turned them off. */
  watermarks?: number;
}

/** volcano-tdm with other parameters (VOLCANO_TDM is this at the defaults). */
export function volcanoPolicy(k: VolcanoKnobs = {}): SimPolicy {
  const ratio = k.oversubscriptionRatio ?? VOLCANO_DEFAULTS.oversubscriptionRatio;
  const level = { ...VOLCANO_LEVEL, model: { ...VOLCANO_LEVEL.model, unusedFraction: ratio } };
  const closed = (p: Profile): Array<[number, number]> => (k.foresight ? peakSpans(p).map((s) => [s.start, s.end] as [number, number]) : []);
  return {
    definitions: [VolcanoTdm, VolcanoOversubscriptionFit, VolcanoOversubscriptionRoom, TaintToleration, NativeLeastAllocated],
    name: 'volcano-tdm',
    description:
      "Volcano TDM + volcano-agent: batch on revocable-zone nodes only inside the daily window, on 60% of what all pods leave unused (10-reading mean); evicted 1 pod/job/min when the window closes and past the 80/60% watermarks under a NoSchedule taint held until 30/30%",
    config: VOLCANO_CONFIG,
    planner: null,
    // The level is what the report shows as batch capacity; placement reads the agent's figure.
    profileFor: (p) => constantProfile(level, 'volcano-oversubscription', p.timeZone),
    pluginArgs: (p) => ({ VolcanoTDM: { windows: new Map([[TDM_ZONE, tdmWindowFor(p)]]), timeZone: p.timeZone, strict: false, closed: closed(p) } }),
    controller: (p) => volcanoController({ window: tdmWindowFor(p), timeZone: p.timeZone, ratio, closed: closed(p), watermarks: (k.watermarks ?? 1) !== 0 }),
  };
}

export const VOLCANO_TDM: SimPolicy = volcanoPolicy();

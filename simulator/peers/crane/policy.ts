// The `crane` policy: Crane's elastic resource, its Dynamic scheduler plugin and node annotator on the
// one core (formulas and defaults in formula.ts, what is and is not modelled in README.md).
//   batch capacity  gocrane.io/cpu|memory = A - A x reserve (0) - max(predicted usage, latest usage), the
//                   core's capacity formula at share 1, headroom 0, its prediction a p99 over 3 days of
//                   online-side samples (the stand-in for Crane's DSP predictor) or the latest sample
//                   when higher; batch pods request the elastic resource
//   placement       Dynamic filter (65 % / 75 %) and score (weight 3) for every pod, native
//                   LeastAllocated for online, most elastic room left for batch
//   eviction        none: Crane ships no NodeQOS; the documented eviction watermark is an example

import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { constantProfile, type Level } from '../../../scheduler/core/profile.ts';
import { DEFAULT_FILTERS } from '../../../scheduler/core/registry.ts';
import { DEFAULT_USAGE, type UsageConfig } from '../../../scheduler/core/usage.ts';
import { peerScoreWeights, type SimPolicy } from '../../policies/types.ts';
import { annotatorController } from './controller.ts';
import { CRANE_DEFAULTS } from './formula.ts';
import { CRANE_DEFINITIONS } from './plugin.ts';

/** Elastic resource as the core's level: A x (1 - reserve) - predicted, nothing else. */
export const CRANE_LEVEL: Level = { batchShare: 1, onlineHeadroom: CRANE_DEFAULTS.reservePercent.cpu };

/** The stand-in predictor: p99 of the last 3 days (at 5-minute samples, 864 of them). */
export const CRANE_USAGE: UsageConfig = { ...DEFAULT_USAGE, percentile: CRANE_DEFAULTS.percentile, windowMs: CRANE_DEFAULTS.historyMs, maxSamples: 1000 };

const W = CRANE_DEFAULTS.dynamic.pluginWeight;

export const CRANE_CONFIG: PolicyConfig = {
  ...TIME_SHARING,
  name: 'crane',
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  usage: CRANE_USAGE,
  filters: [...DEFAULT_FILTERS, 'CraneDynamic'],
  pluginArgs: { ...TIME_SHARING.pluginArgs, OnlineLoadThreshold: null },
  batch: { durationAware: false },
  scoreWeights: peerScoreWeights({ online: { CraneDynamic: W, NativeLeastAllocated: 1 }, batch: { CraneDynamic: W, BatchRoom: 1 } }),
};

export const CRANE: SimPolicy = {
  name: 'crane',
  description:
    "Crane: batch on gocrane.io elastic resource = allocatable - max(predicted, current) online usage (p99 over 3 days standing in for its DSP predictor), Dynamic load filter 65/75% and score; no eviction",
  config: CRANE_CONFIG,
  planner: null,
  profileFor: (p) => constantProfile(CRANE_LEVEL, 'crane-elastic', p.timeZone),
  controller: () => annotatorController(),
  definitions: CRANE_DEFINITIONS,
};

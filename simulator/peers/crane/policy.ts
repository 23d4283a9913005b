// The `crane` policy: Crane's elastic resource, its Dynamic scheduler plugin and node annotator on the
// one core (formulas and defaults in formula.ts, what is and is not modelled in README.md).
//   batch capacity  gocrane.io/cpu = A - A x reserve (0) - max(p99 over 3 days of the node's whole CPU
//                   usage, batch included (the stand-in for Crane's DSP predictor), latest non-batch
//                   usage); gocrane.io/memory = A - latest non-batch memory usage (the TSP predicts CPU
//                   only); published by the agent (controller.ts) when it moves by more than 10 %; batch
//                   pods request it (CraneElasticFit replaces BatchCapacityFit)
//   placement       Dynamic filter (65 % / 75 %) and score (weight 3) for every pod, native
//                   LeastAllocated for online, most elastic room left for batch
//   eviction        none: Crane ships no NodeQOS; the documented eviction watermark is an example

import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { DEFAULT_FILTERS } from '../../../scheduler/core/registry.ts';
import { DEFAULT_USAGE } from '../../../scheduler/core/usage.ts';
import { onKubeScheduler, type SimPolicy } from '../../policies/types.ts';
import { craneController } from './controller.ts';
import { CRANE_DEFAULTS, DEFAULT_PREDICTOR } from './formula.ts';
import { CRANE_DEFINITIONS } from './plugin.ts';

const W = CRANE_DEFAULTS.dynamic.pluginWeight;

export const CRANE_CONFIG: PolicyConfig = {
  ...TIME_SHARING,
  name: 'crane',
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  // Crane's figures come from its own controllers (controller.ts); the core's usage serves the rest.
  usage: DEFAULT_USAGE,
  filters: [...DEFAULT_FILTERS.filter((f) => f !== 'BatchCapacityFit'), 'CraneElasticFit', 'CraneDynamic'],
  pluginArgs: { ...TIME_SHARING.pluginArgs, OnlineLoadThreshold: null },
  batch: { durationAware: false },
  // Crane's scheduler is kube-scheduler with its Dynamic plugin: the default score set runs beside it.
  ...onKubeScheduler({ online: { CraneDynamic: W }, batch: { CraneDynamic: W, CraneElasticRoom: 1 } }),
};

/**
 * The factory's parameters: the stand-in predictor's percentile (0.99) and history (72 h). A percentile
 * is the same figure over any horizon, so its history is what stands for DSP's horizon here. Crane has
 * no foresight option: its predictor is its way of seeing a recurring peak.
 */
export interface CraneKnobs {
  percentile?: number;
  historyHours?: number;
}

/** crane with other predictor parameters (CRANE is this at the defaults). */
export function cranePolicy(k: CraneKnobs = {}): SimPolicy {
  const predictor = { percentile: k.percentile ?? DEFAULT_PREDICTOR.percentile, historyMs: k.historyHours !== undefined ? k.historyHours * 3_600_000 : DEFAULT_PREDICTOR.historyMs };
  return {
    name: 'crane',
    description:
      "Crane: batch on the gocrane.io elastic resource = allocatable - max(predicted whole-node CPU usage (p99 over 3 days standing in for its DSP predictor), current non-batch usage), Dynamic load filter 65/75% and score; no eviction",
    config: CRANE_CONFIG,
    planner: null,
    profileFor: (p) => constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'crane', p.timeZone),
    controller: () => craneController(predictor),
    definitions: CRANE_DEFINITIONS,
  };
}

export const CRANE: SimPolicy = cranePolicy();

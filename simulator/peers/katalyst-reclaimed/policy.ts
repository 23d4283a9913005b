// The `katalyst-reclaimed` policy: Katalyst's co-location product, reclaimed_cores on shared nodes with
// sysadvisor's utilisation-based headroom (formula.ts; what is and is not modelled in README.md).
//   batch capacity  reclaimed cpu = the util-based headroom (controller.ts): from supply = A - 4 cores -
//                   online usage it ratchets up by supply x (0.6 - util) per 5-s period while reclaimed
//                   pods use under 60 % of the supply, to at most min(1.2 x supply, A), at least 4 cores;
//                   memory max(A - 5 GiB - online usage, 5 GiB); online usage from the latest sample;
//                   batch pods request the reclaimed resource (KatalystReclaimedFit replaces BatchCapacityFit)
//   foresight       off by default; on, the reserve is doubled (8 cores / 10 GiB) from the profile's peak
//                   drain lead to its end (foresight.ts)
//   placement       online by native requests (LeastAllocated), batch by the most reclaimed room left
//   eviction        none modelled
// The `katalyst-tide` policy (Tide node pool) stays as it is.

import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { constantProfile, type Profile } from '../../../scheduler/core/profile.ts';
import { DEFAULT_FILTERS } from '../../../scheduler/core/registry.ts';
import { DEFAULT_USAGE, type UsageConfig } from '../../../scheduler/core/usage.ts';
import { onKubeScheduler, type SimPolicy } from '../../policies/types.ts';
import { KATALYST_RECLAIMED_DEFINITIONS, type KatalystReclaimedArgs } from './plugin.ts';
import { reclaimedController } from './controller.ts';
import { DEFAULT_HEADROOM_PARAMS } from './formula.ts';
import { peakSpans } from '../foresight.ts';

/** sysadvisor reads current metrics: the latest sample, no window. */
export const KATALYST_RECLAIMED_USAGE: UsageConfig = { ...DEFAULT_USAGE, percentile: 1, windowMs: 0 };

export const KATALYST_RECLAIMED_CONFIG: PolicyConfig = {
  ...TIME_SHARING,
  name: 'katalyst-reclaimed',
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  usage: KATALYST_RECLAIMED_USAGE,
  filters: [...DEFAULT_FILTERS.filter((f) => f !== 'BatchCapacityFit'), 'KatalystReclaimedFit'],
  pluginArgs: { ...TIME_SHARING.pluginArgs, OnlineLoadThreshold: null },
  batch: { durationAware: false },
  // Katalyst's scheduler is kube-scheduler with its plugins: the default score set runs beside them.
  ...onKubeScheduler({ online: {}, batch: { KatalystReclaimedRoom: 1 } }),
};

/** The factory's parameters (defaults: reclaimedresource_base.go, cpuheadroom/util_based.go). */
export interface KatalystReclaimedKnobs {
  /** ReservedResourceForAllocate CPU, cores (4). */
  reserveCores?: number;
  /** ReservedResourceForAllocate memory, GiB (5). */
  reserveMemoryGiB?: number;
  /** TargetReclaimedCoreUtilization (0.6). */
  headroomTarget?: number;
  /** 1: the operator doubles the reserve for the profile's peak, from its drain lead to its end (foresight.ts). */
  foresight?: number;
}

const GIB = 1024 ** 3;

/** katalyst-reclaimed with other parameters (KATALYST_RECLAIMED is this at the defaults). */
export function katalystReclaimedPolicy(k: KatalystReclaimedKnobs = {}): SimPolicy {
  const d = DEFAULT_HEADROOM_PARAMS;
  const reserve = { cpu: k.reserveCores !== undefined ? k.reserveCores * 1000 : d.reserve.cpu, memory: k.reserveMemoryGiB !== undefined ? k.reserveMemoryGiB * GIB : d.reserve.memory };
  const params = { reserve, target: k.headroomTarget ?? d.target };
  const argsFor = (p: Profile): KatalystReclaimedArgs => ({
    params,
    raised: k.foresight ? peakSpans(p).map((s) => [s.start - s.leadMs, s.end] as const) : [],
    raisedReserve: { cpu: 2 * reserve.cpu, memory: 2 * reserve.memory },
  });
  return {
    name: 'katalyst-reclaimed',
    description:
      "Katalyst reclaimed_cores on shared nodes: batch on sysadvisor's util-based headroom (target 0.6), ratcheting from A - 4 cores - online usage up to 1.2 x that (at most A), memory A - 5 GiB - online; each at least 4 cores / 5 GiB; no eviction",
    config: KATALYST_RECLAIMED_CONFIG,
    planner: null,
    profileFor: (p) => constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'katalyst-reclaimed', p.timeZone),
    pluginArgs: (p) => {
      const a = argsFor(p);
      return { KatalystReclaimedFit: a, KatalystReclaimedRoom: a };
    },
    controller: (p) => reclaimedController(argsFor(p)),
    definitions: KATALYST_RECLAIMED_DEFINITIONS,
  };
}

export const KATALYST_RECLAIMED: SimPolicy = katalystReclaimedPolicy();

// The `katalyst-reclaimed` policy: Katalyst's co-location product, reclaimed_cores on shared nodes with
// sysadvisor's utilisation-based headroom (formula.ts; what is and is not modelled in README.md).
//   batch capacity  reclaimed cpu = max(min(1.2 x (A - 4 cores - online usage), A), 4 cores), memory
//                   max(A - 5 GiB - online usage, 5 GiB), online usage from the latest sample; batch
//                   pods request the reclaimed resource (KatalystReclaimedFit replaces BatchCapacityFit)
//   placement       online by native requests (LeastAllocated), batch by the most reclaimed room left
//   eviction        none modelled
// The `katalyst-tide` policy (Tide node pool) stays as it is.

import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { DEFAULT_FILTERS } from '../../../scheduler/core/registry.ts';
import { DEFAULT_USAGE, type UsageConfig } from '../../../scheduler/core/usage.ts';
import { peerScoreWeights, type SimPolicy } from '../../policies/types.ts';
import { KATALYST_RECLAIMED_DEFINITIONS } from './plugin.ts';

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
  scoreWeights: peerScoreWeights({ online: { NativeLeastAllocated: 1 }, batch: { KatalystReclaimedRoom: 1 } }),
};

export const KATALYST_RECLAIMED: SimPolicy = {
  name: 'katalyst-reclaimed',
  description:
    "Katalyst reclaimed_cores on shared nodes: batch on sysadvisor's util-based headroom, min(1.2 x (A - 4 cores - online usage), A) cpu and A - 5 GiB - online memory, each at least 4 cores / 5 GiB; no eviction",
  config: KATALYST_RECLAIMED_CONFIG,
  planner: null,
  profileFor: (p) => constantProfile({ batchShare: 1, onlineHeadroom: 0 }, 'katalyst-reclaimed', p.timeZone),
  definitions: KATALYST_RECLAIMED_DEFINITIONS,
};

// The `koordinator` policy: Koordinator's defaults on the one core (formulas in
// simulator/peers/koordinator/formula.ts).
//   batch capacity  usage policy: A - A x (1 - 60 %|65 %) - systemUsed - HP used (latest metric; pods
//                   without a metric at their request; stale metric -> 0); no share cap, no windows,
//                   no durations; batch over a shrunk capacity is NOT evicted (Koordinator does not)
//   placement       online: requests fit (batch requests an extended resource), LoadAware filter
//                   65 % CPU / 95 % memory of estimated usage, LoadAware least-used score and native
//                   LeastAllocated; batch: batch-cpu/batch-memory fit, LoadAware filter and score
//   descheduler     LowNodeLoad every descheduler cycle: high 75/80 %, low 45/55 %, more than 5
//                   consecutive abnormal observations, 2 migrating pods per node, any evictable pod
//                   (batch first), evictions at QPS 10 / burst 1 one reconcile at a time (formula.ts)
//   foresight       off by default; on, a timed config change halves the reclaim thresholds from the
//                   profile's peak drain lead to its end (foresight.ts)
//   node agent      koordlet BE CPU suppression as the co-location guide turns it on (cpuset policy,
//                   65 % threshold: simulator/node/be-suppression.ts), run by the simulator each sample
//   not modelled    koordlet's BE memory eviction (off by default)

import { KoordLoadAwareFilter, KoordLoadAwareScore } from './plugin.ts';
import { NativeLeastAllocated } from '../native-least-allocated.ts';
import { TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { DEFAULT_FILTERS } from '../../../scheduler/core/registry.ts';
import { constantProfile, type Level, type WindowSpec } from '../../../scheduler/core/profile.ts';
import { peakSpans } from '../foresight.ts';
import { DEFAULT_LOW_NODE_LOAD, KOORDINATOR_DEFAULTS, KOORDINATOR_LEVEL, KOORDINATOR_USAGE, migrationBudget, planLowNodeLoad } from './formula.ts';
import { onKubeScheduler, type PeerController, type SimPolicy } from '../../policies/types.ts';
import { KOORDLET_BE_SUPPRESSION } from '../../node/be-suppression.ts';

export const KOORDINATOR_CONFIG: PolicyConfig = {
  ...TIME_SHARING,
  name: 'koordinator',
  // Learned usage curves are Tidal's own; the peer looks at current or percentile usage.
  complementaryPeak: { enabled: false, filter: false, batchCapacity: false },
  usage: KOORDINATOR_USAGE,
  filters: [...DEFAULT_FILTERS, 'KoordLoadAware'],
  pluginArgs: { ...TIME_SHARING.pluginArgs, OnlineLoadThreshold: null },
  batch: { durationAware: false },
  emptyRequestEstimate: { ...KOORDINATOR_DEFAULTS.loadAware.defaultEstimate },
  resourceWeights: { ...KOORDINATOR_DEFAULTS.loadAware.resourceWeights },
  // koord-scheduler is kube-scheduler with Koordinator's plugins: the default score set runs beside LoadAwareScheduling.
  ...onKubeScheduler({ online: { KoordLoadAware: 1 }, batch: { KoordLoadAware: 1 } }),
};

/** LowNodeLoad as a controller on the descheduler's cadence; its evictions within the migration controller's budget. */
export function lowNodeLoadController(): PeerController {
  let abnormal = new Map<string, number>();
  let last: number | null = null;
  return {
    intervalMs: null,
    tick(api, now) {
      const rateBudget = migrationBudget(last === null ? 0 : now - last);
      last = now;
      const plan = planLowNodeLoad({ state: api.state, now, config: DEFAULT_LOW_NODE_LOAD, abnormal, rateBudget, staleMs: KOORDINATOR_USAGE.staleAfterMs });
      abnormal = plan.abnormal;
      for (const e of plan.evictions) api.evict(e.pod.uid, e.reason);
    },
  };
}

export const KOORDINATOR: SimPolicy = {
  definitions: [KoordLoadAwareFilter, KoordLoadAwareScore, NativeLeastAllocated],
  name: 'koordinator',
  description: "Koordinator's defaults: batch = 60%/65% of a node minus online usage, LoadAware 65/95 filter, LowNodeLoad hot-node eviction (75/80, more than 5 abnormal cycles, 2 per node, batch first); no windows, no durations",
  config: KOORDINATOR_CONFIG,
  planner: null,
  profileFor: (p) => constantProfile(KOORDINATOR_LEVEL, 'koordinator-usage', p.timeZone),
  controller: lowNodeLoadController,
  nodeAgent: { beSuppression: KOORDLET_BE_SUPPRESSION },
};

/** The sweep's knobs for koordinator: the reclaim thresholds of its batch formula and koordlet's suppression threshold (percent of the node). */
export interface KoordinatorKnobs {
  /** cpuReclaimThresholdPercent (default 60). */
  reclaimCpuPercent?: number;
  /** memoryReclaimThresholdPercent (default 65). */
  reclaimMemoryPercent?: number;
  /** 1: the thresholds are halved from the profile's peak drain lead to its end (foresight.ts). */
  foresight?: number;
  /** koordlet's CPUSuppressThresholdPercent (default 65, nodeslo_config.go): batch + non-batch usage held to this % of the node. */
  suppressPercent?: number;
}

const levelAt = (cpu: number, memory: number): Level => ({ ...KOORDINATOR_LEVEL, onlineHeadroom: 1 - cpu / 100, model: { ...KOORDINATOR_LEVEL.model, headroom: { cpu: 1 - cpu / 100, memory: 1 - memory / 100 } } });

/** koordinator with other reclaim thresholds (at the defaults its results are byte-identical to KOORDINATOR's: test/unit/sweep). */
export function koordinatorPolicy(k: KoordinatorKnobs = {}): SimPolicy {
  const cpu = k.reclaimCpuPercent ?? KOORDINATOR_DEFAULTS.reclaimThresholdPercent.cpu;
  const memory = k.reclaimMemoryPercent ?? KOORDINATOR_DEFAULTS.reclaimThresholdPercent.memory;
  const level = levelAt(cpu, memory);
  const lowered = levelAt(cpu / 2, memory / 2);
  const suppress = k.suppressPercent ?? KOORDLET_BE_SUPPRESSION.thresholdPercent;
  return {
    ...KOORDINATOR,
    nodeAgent: { beSuppression: { ...KOORDLET_BE_SUPPRESSION, thresholdPercent: suppress } },
    profileFor: (p) => {
      const base = constantProfile(level, 'koordinator-usage', p.timeZone);
      if (!k.foresight) return base;
      // The operator's timed ColocationStrategy change: in force from the peak's drain lead to its end, at once.
      const windows = peakSpans(p).map((s, index): WindowSpec => ({ ...lowered, name: `foresight-${index}`, priority: 0, start: s.start - s.leadMs, end: s.end, index, drainLeadMs: 0, rampMs: 0 }));
      return { ...base, windows };
    },
  };
}

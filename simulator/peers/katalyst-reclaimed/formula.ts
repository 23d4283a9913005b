// Katalyst's reclaimed_cores on shared nodes (kubewharf/katalyst-core), reimplemented from the source
// (no code copied). Pure functions, no I/O.
//
// CPU headroom, utilisation based (sysadvisor pkg/agent/sysadvisor/plugin/qosaware/resource/helper/
// estimation_canonical.go EstimateUtilBasedCapacity; defaults cmd/katalyst-agent/app/options/dynamic/
// adminqos/reclaimedresource/cpuheadroom/util_based.go):
//   supply   = max(cpus of the reclaim pool - their usage, 0) + usage of reclaimed pods
//              (pkg/metaserver/agent/metric/helper/reclaim.go GetReclaimMetrics); on a shared node the
//              reclaim pool is the node less the shared pool's needs and the reserve for allocation
//              (reclaimedresource_base.go ReservedResourceForAllocate: 4 cores, 5 GiB), so
//              supply = max(0, A - reserve - online usage)
//   util     = reclaimed usage / supply
//   oversold = supply x (target - util) when util < target (TargetReclaimedCoreUtilization 0.6), else
//              0 (MaxReclaimedCoreUtilization 0: never negative)
//   headroom = min(max(last + oversold, supply), supply x MaxOversoldRate 1.2, A x MaxHeadroomCapacityRate 1)
// last is the headroom reported before (the node's CNR, assembler_common_util.go getUtilBasedHeadroom),
// so the figure ratchets up to 1.2 x supply while reclaimed pods use less than 60 % of the supply and
// never falls below supply; it is re-estimated every 5 s (QoS-aware sync period).
// Report (reporter/manager/resource/generic.go): max(headroom - ReservedResourceForReport (0),
// MinReclaimedResourceForReport: 4 cores, 5 GiB): a node reports at least that much, however busy.
// Memory: the canonical policy, A - reserve (5 GiB) - online usage, with the same floor (the util-based
// memory policy, 0.6 x free + 20 GB static, is off by default and not modelled).
// Reclaim is off by default (EnableReclaim false, cpu-headroom-util-based-enable false): the baseline
// stands for an operator who turned both on.

const GIB = 1024 ** 3;

export const KATALYST_RECLAIMED_DEFAULTS = {
  targetReclaimedCoreUtilization: 0.6,
  maxReclaimedCoreUtilization: 0,
  maxOversoldRate: 1.2,
  maxHeadroomCapacityRate: 1,
  /** ReservedResourceForAllocate (millicores, bytes). */
  reserveForAllocate: { cpu: 4000, memory: 5 * GIB },
  /** ReservedResourceForReport. */
  reserveForReport: { cpu: 0, memory: 0 },
  /** MinReclaimedResourceForReport. */
  minForReport: { cpu: 4000, memory: 5 * GIB },
} as const;

export interface UtilBasedInput {
  /** The node's CPU (capacity). */
  allocatable: number;
  /** CPU the reclaim pool can supply (supply above). */
  supply: number;
  /** CPU used by reclaimed pods. */
  reclaimedUsage: number;
  /** The headroom reported last (0 at first). */
  last: number;
  target?: number;
  maxUtilization?: number;
  maxOversoldRate?: number;
  maxCapacityRate?: number;
}

/** EstimateUtilBasedCapacity: the CPU headroom for reclaimed pods. */
export function utilBasedHeadroom(input: UtilBasedInput): number {
  const d = KATALYST_RECLAIMED_DEFAULTS;
  const target = input.target ?? d.targetReclaimedCoreUtilization;
  const maxUtil = input.maxUtilization ?? d.maxReclaimedCoreUtilization;
  if (input.supply === 0) return 0;
  const util = input.reclaimedUsage / input.supply;
  let oversold = 0;
  if (target > util) oversold = input.supply * (target - util);
  else if (maxUtil > 0 && util > maxUtil) oversold = input.supply * (maxUtil - util);
  let result = Math.max(input.last + oversold, input.supply);
  result = Math.min(result, input.supply * (input.maxOversoldRate ?? d.maxOversoldRate));
  const maxCap = (input.maxCapacityRate ?? d.maxHeadroomCapacityRate) * input.allocatable;
  if (maxCap > 0) result = Math.min(result, maxCap);
  return result;
}

/** supply on a shared node: max(0, A - reserve - online usage). */
export function reclaimSupply(allocatable: number, reserve: number, onlineUsage: number): number {
  return Math.max(0, allocatable - reserve - onlineUsage);
}

/** What the reporter publishes: max(headroom - reserveForReport, floor). */
export function reported(headroom: number, reserveForReport: number, floor: number): number {
  return Math.max(headroom - reserveForReport, floor);
}

/**
 * The reclaimed CPU a node offers once the ratchet has settled: with last at its cap, the headroom is
 * min(1.2 x supply, A) whatever the utilisation (it reaches the cap on the first report on which
 * reclaimed pods use under 60 % of the supply, an empty node's first report included), then the floor.
 */
export function reclaimedCpu(allocatable: number, onlineUsage: number): number {
  const d = KATALYST_RECLAIMED_DEFAULTS;
  const supply = reclaimSupply(allocatable, d.reserveForAllocate.cpu, onlineUsage);
  const settled = Math.min(supply * d.maxOversoldRate, allocatable * d.maxHeadroomCapacityRate);
  return reported(settled, d.reserveForReport.cpu, d.minForReport.cpu);
}

/** sysadvisor's QoS-aware sync period: the headroom is re-estimated this often (qos_aware_plugin.go). */
export const QOS_AWARE_SYNC_MS = 5_000;

export interface HeadroomParams {
  /** ReservedResourceForAllocate (millicores, bytes). */
  reserve: { cpu: number; memory: number };
  /** TargetReclaimedCoreUtilization. */
  target: number;
}

export const DEFAULT_HEADROOM_PARAMS: HeadroomParams = { reserve: { ...KATALYST_RECLAIMED_DEFAULTS.reserveForAllocate }, target: KATALYST_RECLAIMED_DEFAULTS.targetReclaimedCoreUtilization };

/**
 * `steps` sync periods of the util-based estimate with inputs that hold meanwhile (between two usage
 * samples): each adds supply x (target - util) to the last headroom while util < target, within
 * [supply, min(1.2 x supply, A)]. `last` is what the node reported before (CNR), 0 at first.
 */
export function ratchet(last: number, allocatable: number, supply: number, reclaimedUsage: number, steps: number, target: number): number {
  let h = last;
  for (let k = 0; k < steps; k++) h = utilBasedHeadroom({ allocatable, supply, reclaimedUsage, last: h, target });
  return h;
}

/** The reclaimed CPU the node offers now: the last headroom clamped to the current supply, then the report floor. */
export function reclaimedCpuNow(allocatable: number, onlineUsage: number, last: number, reserve: number): number {
  const d = KATALYST_RECLAIMED_DEFAULTS;
  const supply = reclaimSupply(allocatable, reserve, onlineUsage);
  // The estimate with nothing oversold: max(last, supply), capped at 1.2 x supply and the node.
  const h = supply === 0 ? 0 : Math.min(Math.max(last, supply), supply * d.maxOversoldRate, allocatable * d.maxHeadroomCapacityRate);
  return reported(h, d.reserveForReport.cpu, d.minForReport.cpu);
}

/** Reclaimed memory: A - reserve - online usage, then the floor. */
export function reclaimedMemory(allocatable: number, onlineUsage: number, reserve: number = KATALYST_RECLAIMED_DEFAULTS.reserveForAllocate.memory): number {
  const d = KATALYST_RECLAIMED_DEFAULTS;
  return reported(Math.max(0, allocatable - reserve - onlineUsage), d.reserveForReport.memory, d.minForReport.memory);
}

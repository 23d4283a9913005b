// koordlet's BE CPU suppression: the node agent caps the CPU of batch (BE) pods so that online pods keep
// headroom, whatever the scheduler placed. Follows koordinator-sh/koordinator
// pkg/koordlet/qosmanager/plugins/cpusuppress/cpu_suppress.go (calculateBESuppressCPU, adjustByCPUSet,
// adjustByCfsQuota) with the defaults of pkg/util/sloconfig/nodeslo_config.go
// (DefaultResourceThresholdStrategy: CPUSuppressThresholdPercent 65, CPUSuppressPolicy cpuset; Enable is
// false by default and the co-location guide turns it on) and qosmanager/framework/config.go
// (CPUSuppressIntervalSeconds 1).
//
// Each koordlet step (every second):
//   suppress = capacity x threshold% - usage of non-BE pods - max(non-pod usage, node reserved)
//   cpuset policy:   cores = max(2, ceil(suppress)); growth per step at most ceil(10% of the node's
//                    logical CPUs) over the current cpuset; shrinking is immediate. The BE cgroup starts
//                    with every CPU.
//   cfsQuota policy: quota = max(suppress, 2000 us per 100 ms period = 0.02 cores); a change smaller than
//                    1% of capacity is skipped unless the target is the minimum; growth per step at most
//                    10% of capacity; shrinking is immediate. The BE cgroup starts unlimited (-1), which
//                    the source compares as -1 us, so the first step lands at about 10% of capacity.
// Not modelled: the cpuset's NUMA/SMT placement and LSE/LSR exclusive cores (the cap is a core count,
// shared with online pods on those cores, which CFS shares then favour), the metric lag of the 1-s
// collector (the step sees this interval's usage), and host applications.

export type BeSuppressionPolicy = 'cpuset' | 'cfsQuota';

export interface BeSuppressionConfig {
  /** CPUSuppressThresholdPercent: batch plus non-batch usage held to this share of capacity. */
  thresholdPercent: number;
  policy: BeSuppressionPolicy;
  /** CPUSuppressIntervalSeconds in ms: one koordlet step. */
  stepMs: number;
}

export const KOORDLET_BE_SUPPRESSION: Readonly<BeSuppressionConfig> = { thresholdPercent: 65, policy: 'cpuset', stepMs: 1000 };

const CFS_PERIOD_US = 100_000;
const BE_MIN_QUOTA_US = 2000;
const SUPPRESS_BYPASS_QUOTA_DELTA_RATIO = 0.01;
const BE_MAX_INCREASE_CPU_PERCENT = 0.1;
const CPUSET_MIN_CORES = 2;
const UNLIMITED_QUOTA_US = -1;

/**
 * The target before the policy's floor and ramp (millicores, may be < 0):
 * capacity x threshold% - non-batch pods' usage - max(non-pod usage, reserved).
 * capacity is node.status.capacity; reserved the kubelet's or the node annotation's reservation, and
 * nonPodUsed the CPU used outside pods (node used - pods used): pass 0 for what the caller does not know.
 */
export function suppressTarget(thresholdPercent: number, capacity: number, nonBatchUsed: number, reserved = 0, nonPodUsed = 0): number {
  return (capacity * thresholdPercent) / 100 - nonBatchUsed - Math.max(nonPodUsed, reserved, 0);
}

/**
 * One node's suppression state across samples. `current` is the cap in force (millicores; Infinity
 * while the cfsQuota policy is still unlimited).
 */
export class BeSuppression {
  /** cpuset: cores in the BE cpuset; cfsQuota: cfs_quota_us (-1 unlimited). */
  private state: number;
  readonly cfg: BeSuppressionConfig;
  /** node.status.capacity cpu, millicores. */
  readonly capacity: number;

  constructor(cfg: BeSuppressionConfig, capacity: number) {
    this.cfg = cfg;
    this.capacity = capacity;
    if (!(cfg.thresholdPercent >= 0 && cfg.thresholdPercent <= 100)) throw new RangeError(`BeSuppression: thresholdPercent must be in [0, 100], got ${cfg.thresholdPercent}`);
    if (!(cfg.stepMs > 0)) throw new RangeError(`BeSuppression: stepMs must be > 0, got ${cfg.stepMs}`);
    if (cfg.policy !== 'cpuset' && cfg.policy !== 'cfsQuota') throw new RangeError(`BeSuppression: policy must be cpuset or cfsQuota, got ${String(cfg.policy)}`);
    if (!(capacity > 0)) throw new RangeError(`BeSuppression: capacity must be > 0, got ${capacity}`);
    this.state = cfg.policy === 'cpuset' ? this.logicalCpus() : UNLIMITED_QUOTA_US;
  }

  /** The batch CPU cap now in force, millicores. */
  get current(): number {
    if (this.cfg.policy === 'cpuset') return this.state * 1000;
    return this.state === UNLIMITED_QUOTA_US ? Infinity : (this.state * 1000) / CFS_PERIOD_US;
  }

  /** One koordlet step with the given target (millicores); returns the new cap. */
  step(target: number): number {
    this.state = this.cfg.policy === 'cpuset' ? this.cpusetStep(target) : this.cfsQuotaStep(target);
    return this.current;
  }

  /**
   * Runs the koordlet steps that fall in one sample interval with this interval's usage, and returns
   * the mean cap over them (millicores): the batch tier's CPU bound for the interval, since the cap ramps
   * within it. Stops early once the cap no longer changes.
   */
  advance(intervalMs: number, nonBatchUsed: number, reserved = 0, nonPodUsed = 0): number {
    const steps = Math.max(1, Math.round(intervalMs / this.cfg.stepMs));
    const target = suppressTarget(this.cfg.thresholdPercent, this.capacity, nonBatchUsed, reserved, nonPodUsed);
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const before = this.state;
      const cap = this.step(target);
      if (this.state === before) {
        sum += cap * (steps - s);
        break;
      }
      sum += cap;
    }
    return sum / steps;
  }

  private logicalCpus(): number {
    return Math.floor(this.capacity / 1000);
  }

  private cpusetStep(target: number): number {
    const all = this.logicalCpus();
    let cpus = Math.ceil(target / 1000);
    if (cpus < CPUSET_MIN_CORES) cpus = CPUSET_MIN_CORES;
    const maxIncrease = Math.ceil(all * BE_MAX_INCREASE_CPU_PERCENT);
    if (cpus - this.state > maxIncrease) cpus = this.state + maxIncrease;
    // calculateBESuppressCPUSetPolicy picks nothing when asked for more CPUs than there are, and an
    // empty cpuset is not applied: the cpuset stays as it was.
    if (cpus > all) return this.state;
    return cpus;
  }

  private cfsQuotaStep(target: number): number {
    const capacityCores = Math.floor(this.capacity / 1000);
    let quota = Math.trunc(target) * CFS_PERIOD_US / 1000;
    quota = Math.trunc(Math.max(quota, BE_MIN_QUOTA_US));
    const current = this.state;
    const minDelta = capacityCores * CFS_PERIOD_US * SUPPRESS_BYPASS_QUOTA_DELTA_RATIO;
    if (Math.abs(quota - current) < minDelta && quota !== BE_MIN_QUOTA_US) return current;
    const maxIncrease = capacityCores * CFS_PERIOD_US * BE_MAX_INCREASE_CPU_PERCENT;
    if (quota - current > maxIncrease) quota = current + Math.trunc(maxIncrease);
    return quota;
  }
}

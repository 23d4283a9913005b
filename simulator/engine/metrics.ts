// What a simulation measures, per policy: a time series sampled on the virtual clock and totals.
// Distributions (pending times, completion delays) go into log-bucketed histograms so that memory
// stays bounded however long the trace.

/** Log-bucketed histogram of non-negative values (ms): ~4% relative error on quantiles. */
export class Histogram {
  static readonly #PER_DOUBLING = 16;
  readonly #buckets = new Map<number, number>();
  count = 0;
  sum = 0;
  max = 0;

  add(v: number): void {
    const x = Math.max(0, v);
    const b = x < 1 ? -1 : Math.floor(Math.log2(x) * Histogram.#PER_DOUBLING);
    this.#buckets.set(b, (this.#buckets.get(b) ?? 0) + 1);
    this.count++;
    this.sum += x;
    if (x > this.max) this.max = x;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (const b of [...this.#buckets.keys()].sort((x, y) => x - y)) {
      seen += this.#buckets.get(b)!;
      if (seen >= rank) return b < 0 ? 0 : Math.min(this.max, 2 ** ((b + 1) / Histogram.#PER_DOUBLING));
    }
    return this.max;
  }

  summary(): DistributionSummary {
    return { count: this.count, mean: this.mean(), p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99), max: this.max };
  }
}

export interface DistributionSummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One sample of the cluster on the virtual clock. Fractions are of total allocatable. */
export interface SeriesPoint {
  time: number;
  nodes: number;
  nodesInUse: number;
  cpuUsedOnline: number;
  cpuUsedBatch: number;
  cpuRequestedOnline: number;
  cpuRequestedBatch: number;
  memUsedOnline: number;
  memUsedBatch: number;
  memRequestedOnline: number;
  memRequestedBatch: number;
  /** Nodes whose usage is above the risk threshold at this sample. */
  hotNodes: number;
  pendingOnline: number;
  pendingBatch: number;
  runningBatch: number;
  /** Evictions since the previous sample. */
  evictions: number;
  /** The effective batch share the policy's profile gives now. */
  batchShare: number;
  /** Nodes where CPU granted exceeds the interference threshold while an online pod runs. */
  interferenceNodes: number;
  /** Online (and system) CPU demand the nodes could not serve over the interval, core-seconds. */
  unmetOnlineCpu: number;
  /** Batch CPU demand denied over the interval (shared node or a node agent's cap), core-seconds. */
  batchCpuDenied: number;
  /** Pods OOM-killed at this sample (any class). */
  oomKills: number;
}

export interface PolicyTotals {
  policy: string;
  /** Time-weighted means over the run, as fractions of allocatable. */
  utilisation: {
    cpuUsed: number;
    cpuUsedOnline: number;
    cpuUsedBatch: number;
    cpuRequested: number;
    memUsed: number;
    memRequested: number;
  };
  onlineRisk: {
    /** Node-minutes with usage above the risk threshold. */
    hotNodeMinutes: number;
    /** As a fraction of all node-minutes. */
    hotFraction: number;
    /** Online pods that waited longer than the online wait limit, or were never placed. */
    onlinePodsDelayed: number;
    onlinePodsUnplaced: number;
    onlinePending: DistributionSummary;
    /** Online pods placed by preempting batch. */
    onlinePreemptions: number;
    /** Online pods that waited past the limit and were scaled away (pod-end) before they got a node. */
    onlinePodsEndedPending: number;
    /** Online-side risk (what a service owner sees), simulator/node/contention.ts's model. */
    unmetOnlineCpuCoreSeconds: number;
    /** Node-minutes with CPU granted above the interference threshold while online pods ran. */
    interferenceNodeMinutes: number;
    /** As a fraction of all node-minutes. */
    interferenceFraction: number;
    /** Online (and system) pods OOM-killed: the worst outcome; the container restarts on its node. */
    onlineOomKills: number;
    /** Online (and system) pods evicted by a descheduler or a peer controller. */
    onlineEvictions: number;
    /** The one scalar plans and sweeps bound (engine/risk.ts). */
    score: number;
  };
  batch: {
    arrived: number;
    completed: number;
    /** Completed batch pods per hour of simulated time. */
    throughputPerHour: number;
    /** Completion delay: finish - arrival - runtime (waiting plus work redone after evictions). */
    completionDelay: DistributionSummary;
    pending: DistributionSummary;
    jobsCompleted: number;
    jobCompletionTime: DistributionSummary;
    /** Batch pods still pending or running when the trace ended. */
    unfinished: number;
    /** Useful work of the completed batch pods: CPU request x runtime, core-hours. */
    completedCoreHours: number;
    /** Batch CPU demand the nodes denied (shared CPU, a node agent's cap), core-hours. */
    cpuDeniedCoreHours: number;
    /** Batch pods OOM-killed (their work lost, recreated by their controller). */
    oomKills: number;
  };
  evictions: {
    total: number;
    byReason: Record<string, number>;
    /** CPU core-hours of batch work lost to evictions (not checkpointed). */
    workLostCoreHours: number;
    /** CPU core-hours of batch work lost to OOM kills and to nodes leaving. */
    workLostOomCoreHours: number;
    workLostNodeLossCoreHours: number;
  };
  /** Most nodes holding at least one pod at any sample. */
  peakNodesInUse: number;
  placements: number;
  failedAttempts: number;
  /** Wall-clock seconds spent in this policy's placement and planning. */
  cpuSeconds: { placement: number; planning: number };
}

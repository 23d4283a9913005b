// One policy's running totals over a replay (what the report's totals.csv holds): counters bumped as
// pods are placed, completed and evicted, distributions of waiting and completion times, and sums over
// the usage samples; summarize() turns them into PolicyTotals at the end of the run.

import { Histogram, type PolicyTotals, type SeriesPoint } from './metrics.ts';
import { onlineRiskScore } from './risk.ts';
import type { SimPod } from './sim-pod.ts';

export class RunTotals {
  batchArrived = 0;
  batchCompleted = 0;
  jobsCompleted = 0;
  /** Online pods placed after waiting longer than SimOptions.onlineWaitLimitMs. */
  onlineDelayed = 0;
  /** Online pods that ended (scaled away) while pending, after waiting longer than the limit. */
  onlineEndedPending = 0;
  onlinePreemptions = 0;
  onlineEvictions = 0;
  onlineOomKills = 0;
  batchOomKills = 0;
  unmetOnlineCpuCoreSeconds = 0;
  batchCpuDeniedCoreSeconds = 0;
  interferenceNodeMs = 0;
  /** CPU request x runtime of the batch pods completed, core-ms. */
  completedCoreMs = 0;
  /** Work lost by cause, core-ms (ms of work x cores requested). */
  readonly workLost = { eviction: 0, oom: 0, nodeLoss: 0 };
  readonly evictions = new Map<string, number>();
  /** Evictions since the last usage sample (the series' per-sample count). */
  evictionsSinceSample = 0;
  hotNodeMs = 0;
  nodeMs = 0;
  peakNodesInUse = 0;
  placements = 0;
  failedAttempts = 0;
  /** Wall-clock time spent deciding (not part of the replay's results: it varies run to run). */
  placementMs = 0;
  planningMs = 0;
  readonly onlinePending = new Histogram();
  readonly batchPending = new Histogram();
  readonly completionDelay = new Histogram();
  readonly jobTime = new Histogram();

  /** A pod was bound after waiting `waited` ms since it became pending. */
  bound(batch: boolean, waited: number, onlineWaitLimitMs: number): void {
    if (batch) this.batchPending.add(waited);
    else {
      this.onlinePending.add(waited);
      if (waited > onlineWaitLimitMs) this.onlineDelayed++;
    }
    this.placements++;
  }

  /** An online pod ended (its controller scaled it away) while it was still waiting for a node. */
  endedPending(waited: number, onlineWaitLimitMs: number): void {
    this.onlinePending.add(waited);
    if (waited > onlineWaitLimitMs) this.onlineEndedPending++;
  }

  evicted(reason: string, batch: boolean): void {
    if (!batch) this.onlineEvictions++;
    this.evictionsSinceSample++;
    this.evictions.set(reason, (this.evictions.get(reason) ?? 0) + 1);
  }

  /** A usage sample was taken: node-time, hot node-time and the peak of nodes in use. */
  sampled(pt: SeriesPoint, sampleIntervalMs: number): void {
    this.hotNodeMs += pt.hotNodes * sampleIntervalMs;
    this.nodeMs += pt.nodes * sampleIntervalMs;
    this.interferenceNodeMs += pt.interferenceNodes * sampleIntervalMs;
    this.unmetOnlineCpuCoreSeconds += pt.unmetOnlineCpu;
    this.batchCpuDeniedCoreSeconds += pt.batchCpuDenied;
    if (pt.nodesInUse > this.peakNodesInUse) this.peakNodesInUse = pt.nodesInUse;
  }

  /**
   * Totals over [start, end]. Online pods still waiting at `end` count as unplaced, with the time
   * they have waited so far in the pending distribution. Call once, at the end of the run.
   */
  summarize(policy: string, series: readonly SeriesPoint[], live: Iterable<SimPod>, start: number, end: number): PolicyTotals {
    const totals = this.#summarize(policy, series, live, start, end);
    totals.onlineRisk.score = onlineRiskScore(totals);
    return totals;
  }

  #summarize(policy: string, series: readonly SeriesPoint[], live: Iterable<SimPod>, start: number, end: number): PolicyTotals {
    const hours = Math.max(1e-9, (end - start) / 3_600_000);
    let onlineUnplaced = 0;
    let batchUnfinished = 0;
    for (const p of live) {
      if (p.gone) continue;
      if (p.spec.class === 'batch') batchUnfinished++;
      else if (!p.running) {
        onlineUnplaced++;
        this.onlinePending.add(end - p.queuedAt);
      }
    }
    const mean = (k: keyof SeriesPoint): number => (series.length === 0 ? 0 : series.reduce((s, x) => s + (x[k] as number), 0) / series.length);
    return {
      policy,
      utilisation: {
        cpuUsed: mean('cpuUsedOnline') + mean('cpuUsedBatch'),
        cpuUsedOnline: mean('cpuUsedOnline'),
        cpuUsedBatch: mean('cpuUsedBatch'),
        cpuRequested: mean('cpuRequestedOnline') + mean('cpuRequestedBatch'),
        memUsed: mean('memUsedOnline') + mean('memUsedBatch'),
        memRequested: mean('memRequestedOnline') + mean('memRequestedBatch'),
      },
      onlineRisk: {
        hotNodeMinutes: this.hotNodeMs / 60_000,
        hotFraction: this.nodeMs > 0 ? this.hotNodeMs / this.nodeMs : 0,
        onlinePodsDelayed: this.onlineDelayed + this.onlineEndedPending + onlineUnplaced,
        onlinePodsUnplaced: onlineUnplaced,
        onlinePending: this.onlinePending.summary(),
        onlinePreemptions: this.onlinePreemptions,
        onlinePodsEndedPending: this.onlineEndedPending,
        unmetOnlineCpuCoreSeconds: this.unmetOnlineCpuCoreSeconds,
        interferenceNodeMinutes: this.interferenceNodeMs / 60_000,
        interferenceFraction: this.nodeMs > 0 ? this.interferenceNodeMs / this.nodeMs : 0,
        onlineOomKills: this.onlineOomKills,
        onlineEvictions: this.onlineEvictions,
        score: 0,
      },
      batch: {
        arrived: this.batchArrived,
        completed: this.batchCompleted,
        throughputPerHour: this.batchCompleted / hours,
        completionDelay: this.completionDelay.summary(),
        pending: this.batchPending.summary(),
        jobsCompleted: this.jobsCompleted,
        jobCompletionTime: this.jobTime.summary(),
        unfinished: batchUnfinished,
        completedCoreHours: this.completedCoreMs / 3_600_000,
        cpuDeniedCoreHours: this.batchCpuDeniedCoreSeconds / 3600,
        oomKills: this.batchOomKills,
      },
      evictions: {
        total: [...this.evictions.values()].reduce((s, n) => s + n, 0),
        byReason: Object.fromEntries([...this.evictions].sort()),
        workLostCoreHours: this.workLost.eviction / 3_600_000,
        workLostOomCoreHours: this.workLost.oom / 3_600_000,
        workLostNodeLossCoreHours: this.workLost.nodeLoss / 3_600_000,
      },
      peakNodesInUse: this.peakNodesInUse,
      placements: this.placements,
      failedAttempts: this.failedAttempts,
      cpuSeconds: { placement: this.placementMs / 1000, planning: this.planningMs / 1000 },
    };
  }
}

// The simulation's knobs, shared by every policy's virtual cluster, and the trace's usage that every
// policy's cluster reads (the workload is the same for all of them).

import type { Resources } from '../../scheduler/core/model.ts';

export interface SimOptions {
  /** How often usage is sampled into the core (as a metrics source would) and into the report. */
  sampleIntervalMs: number;
  deschedulerIntervalMs: number;
  /** Unschedulable pods are all retried this often (kube-scheduler's podMaxInUnschedulablePodsDuration). */
  retryIntervalMs: number;
  /** Unschedulable pods that would fit on a node freed since are requeued at most this often. */
  hintIntervalMs: number;
  /** Delay before an evicted pod's controller has recreated it and it is pending again. */
  recreateDelayMs: number;
  /** A checkpointable pod loses at most this much work when evicted. */
  checkpointIntervalMs: number;
  /** A node whose usage exceeds this fraction of allocatable counts towards online risk. */
  riskThreshold: number;
  /** Online pods pending longer than this count as delayed. */
  onlineWaitLimitMs: number;
  /** Usage as a fraction of requests where the trace says nothing. */
  defaultUsage: { online: number; batch: number };
  /** The descheduler's rate limit across cycles. */
  evictionRate: { perMinute: number; burst: number };
  /** kube-scheduler's percentageOfNodesToScore; 0 = adaptive. */
  percentageOfNodesToScore: number;
  /** How the core breaks ties among equal top scores: 'hash' (deterministic) or 'random' as kube-scheduler (seeded by tieSeed). */
  tieBreak: 'hash' | 'random';
  tieSeed: number;
  /** Safety valve: stop trying a class in one scheduling pass after this many failures. */
  maxFailuresPerPass: number;
  /** Interference: CPU granted above this fraction of a node while online pods run on it. */
  interferenceFraction: number;
  /**
   * A node's usage sample (node-usage) older than this is stale: the node's usage is unknown (left out
   * of the report's utilisation, not fed to the core) until a new one arrives. Applies only to traces
   * that give node usage at all; a node with no sample yet in such a trace is unknown too.
   */
  nodeUsageStaleMs: number;
}

export const DEFAULT_SIM_OPTIONS: SimOptions = {
  sampleIntervalMs: 5 * 60_000,
  deschedulerIntervalMs: 2 * 60_000,
  retryIntervalMs: 5 * 60_000,
  hintIntervalMs: 10_000,
  recreateDelayMs: 10_000,
  checkpointIntervalMs: 10 * 60_000,
  riskThreshold: 0.9,
  onlineWaitLimitMs: 60_000,
  defaultUsage: { online: 0.4, batch: 0.9 },
  evictionRate: { perMinute: 30, burst: 60 },
  percentageOfNodesToScore: 0,
  tieBreak: 'hash',
  tieSeed: 1,
  maxFailuresPerPass: 500,
  interferenceFraction: 0.8,
  nodeUsageStaleMs: 15 * 60_000,
};

/**
 * Usage the trace describes per app and per node, shared by every policy's simulation (the workload
 * is the same). Per-pod usage lives with each policy's pod, so that it goes when the pod does.
 */
export interface TraceUsage {
  /** Fraction of requests per app (app-usage events). */
  app: Map<string, Resources>;
  /** Usage on a node not explained by traced pods (node-usage events). */
  node: Map<string, Resources>;
  /** When each node's last node-usage event was. */
  nodeTime: Map<string, number>;
}

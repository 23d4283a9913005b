// The simulator's input: a time-ordered stream of trace events. Every trace reader (Alibaba 2018 and
// 2017, Tidal's native JSON Lines, the synthetic generator) produces this stream; the engine consumes
// it without knowing the source. Times are ms since the Unix epoch (readers of relative-time traces
// map them onto a chosen start date); resources use the core's units (CPU millicores, memory bytes).

import type { NodeInfo, WorkloadClass } from '../../scheduler/core/model.ts';

export interface TracePod {
  /** Unique within the trace. */
  uid: string;
  namespace: string;
  name: string;
  class: Exclude<WorkloadClass, 'system'>;
  app: string;
  priority: number;
  requests: { cpu: number; memory: number };
  /**
   * Batch: the work the pod needs, as running time (ms) from its start; it completes after running
   * this long in total (an eviction loses the work since its last checkpoint, see checkpointable).
   * Online: 0 (runs until a pod-end event or the end of the trace).
   */
  runtimeMs: number;
  /** Declared to the scheduler (the tidal.io/expected-runtime annotation); 0 when the pod does not declare it. */
  declaredRuntimeMs: number;
  /** An evicted checkpointable pod resumes with its progress kept; others restart from zero. */
  checkpointable: boolean;
  /** Batch job this pod belongs to (completion delay is reported per job), or "" for online pods. */
  job: string;
  /** Pin to a node (traces that record placement and replay it as is); "" lets the policy place it. */
  nodeName?: string;
  /**
   * metadata.creationTimestamp (ms; second resolution) of a pod recorded from a cluster (`tidal trace
   * record`); absent in other traces. Calibration takes pods of one shape created in the same second
   * as interchangeable, in an order it cannot know (simulator/calibrate).
   */
  createdAt?: number;
  /**
   * When kube-scheduler reported the pod bound (ms): the eventTime of its `Scheduled` event, as `tidal
   * trace record` reads it; absent where the cluster kept no such event (pending pods, events past the
   * apiserver's TTL) and in other traces. The recording writes a look's arrivals in this order, which is
   * the order kube-scheduler decided them in (creationTimestamp has second resolution); calibration then
   * keeps it (simulator/calibrate).
   */
  scheduledAt?: number;
}

export type TraceEvent =
  | { type: 'node-add'; time: number; node: NodeInfo }
  | { type: 'node-remove'; time: number; name: string }
  | { type: 'pod-arrival'; time: number; pod: TracePod }
  /** An online pod is scaled away or a batch pod is cancelled (batch completion follows from runtimeMs). */
  | { type: 'pod-end'; time: number; uid: string }
  /** Observed usage of one pod from this time on (absolute: millicores, bytes). */
  | { type: 'pod-usage'; time: number; uid: string; cpu: number; memory: number }
  /**
   * Usage of every pod of an app from this time on, as a fraction of its requests (synthetic traces
   * describe curves per app instead of per pod, which keeps them small).
   */
  | { type: 'app-usage'; time: number; app: string; cpu: number; memory: number }
  /** Usage on a node not explained by the trace's pods (daemons, untraced tenants); counted as online side. */
  | { type: 'node-usage'; time: number; name: string; cpu: number; memory: number };

export type TraceEventType = TraceEvent['type'];

/** What a reader says about the trace besides its events. */
export interface TraceInfo {
  format: string;
  /** Where the events come from (folder or files). */
  source: string;
  /** First and last event times when known in advance (the synthetic generator knows; streaming readers may not). */
  start?: number;
  end?: number;
  /** Rows skipped in lenient mode, by file: the report must say how many. */
  skipped: Map<string, number>;
  /**
   * What the reader read but left out or changed, by reason (a batch task that ends before it
   * starts, a lenient skip's cause, a pin to an unknown node dropped): the report shows each reason.
   * Filled while events() runs; describes the last (or current) iteration.
   */
  dropped?: Map<string, number>;
}

/** Count one more of `reason` in a reader's dropped map. */
export function countDropped(info: TraceInfo, reason: string, n = 1): void {
  info.dropped ??= new Map();
  info.dropped.set(reason, (info.dropped.get(reason) ?? 0) + n);
}

/** The latest instant a JavaScript Date can hold (ms since the epoch): later "times" are not instants. */
export const MAX_TIME = 8.64e15;

export interface Trace {
  info: TraceInfo;
  /** Events in non-decreasing time order. Iterating twice re-reads the source. */
  events(): AsyncIterable<TraceEvent>;
}

/** A bad row in strict mode: names file, line and column (1-based) so that it can be fixed. */
export class TraceError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(file: string, line: number, column: number, message: string) {
    super(`${file}:${line}:${column}: ${message}`);
    this.name = 'TraceError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

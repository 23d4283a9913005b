// A traced pod as one policy's virtual cluster holds it: the core's PodInfo (what decisions read) plus
// what the simulation tracks about it (arrival, run time done, the version that makes a stale timer
// harmless, current usage).

import type { PolicyConfig } from '../../scheduler/core/config.ts';
import type { PodInfo, Resources } from '../../scheduler/core/model.ts';
import type { TracePod } from '../traces/events.ts';
import type { ShapeBucket } from './queue.ts';

export interface SimPod {
  trace: TracePod;
  /** Arrival order (ties of priority in the active queue go to the earlier pod). */
  seq: number;
  spec: PodInfo;
  arrival: number;
  /** When the pod last became pending (arrival or recreation). */
  queuedAt: number;
  running: boolean;
  startedAt: number;
  /** Work done before the current run, ms (batch). */
  workDone: number;
  /** When the current run completes (its timer), Infinity when it does not on its own. */
  completeAt: number;
  /** Time of the current run without progress (CPU denied), ms: moves completeAt later. */
  throttledMs: number;
  /** Bumped when a scheduled completion becomes stale (eviction, removal). */
  version: number;
  /** Usage right now, updated at each sample (the state's podUsage map holds this object). */
  usage: Resources;
  /** Observed absolute usage from pod-usage events, when the trace gives it. */
  observed: Resources | null;
  gone: boolean;
  /** What the queueing hint judges the pod by (queue.ts shapeKeyOf), built once: hint passes visit every unschedulable pod. */
  shapeKey: string | undefined;
  /**
   * The queue's bucket of the pod's shape when it was last parked (queue.ts): a pass parks most of a
   * long backlog again, and finds the bucket here rather than by its key while the bucket lives.
   */
  bucket: ShapeBucket | undefined;
  /** When it was last parked among the unschedulable pods (queue.ts: the order they are read in). */
  parkSeq: number;
  /**
   * The spec's class, priority and requests, which never change over the pod's life (spec is replaced
   * on bind and unbind, these stay): the queue and the scheduling pass visit every waiting pod, and
   * read them here rather than through spec and requests.
   */
  readonly cls: PodInfo['class'];
  readonly priority: number;
  readonly cpu: number;
  readonly memory: number;
}

export function newSimPod(trace: TracePod, seq: number, config: PolicyConfig, now: number): SimPod {
  return {
    trace,
    seq,
    spec: toSpec(trace, config, now),
    arrival: now,
    queuedAt: now,
    running: false,
    startedAt: 0,
    workDone: 0,
    completeAt: Infinity,
    throttledMs: 0,
    version: 0,
    usage: { cpu: 0, memory: 0 },
    observed: null,
    gone: false,
    shapeKey: undefined,
    bucket: undefined,
    parkSeq: -1,
    cls: trace.class,
    priority: trace.priority,
    cpu: trace.requests.cpu,
    memory: trace.requests.memory,
  };
}

/**
 * The end of the span over which a pod needs its capacity, if it started at `now`: a batch pod that
 * declares its runtime and cannot checkpoint must survive to its end; 0 for every other pod (it needs
 * capacity now only).
 */
export function spanEndOf(p: SimPod, now: number): number {
  return p.spec.class === 'batch' && p.spec.expectedRuntimeMs > 0 && !p.spec.checkpointable ? now + p.spec.expectedRuntimeMs : 0;
}

function toSpec(t: TracePod, config: PolicyConfig, now: number): PodInfo {
  return {
    uid: t.uid,
    namespace: t.namespace,
    name: t.name,
    nodeName: '',
    class: t.class,
    app: t.app,
    priority: t.priority,
    labels: {},
    requests: { cpu: t.requests.cpu, memory: t.requests.memory },
    limits: { cpu: 0, memory: 0 },
    // With co-location, batch pods ask for Tidal's extended resources (the recommended deployment).
    extendedBatchResources: t.class === 'batch' && config.colocation,
    createdAt: now,
    startedAt: 0,
    expectedRuntimeMs: t.class === 'batch' ? t.declaredRuntimeMs : 0,
    checkpointable: t.checkpointable,
    progress: -1,
    ownerKind: t.class === 'batch' ? 'Job' : 'ReplicaSet',
    ownerName: t.job || t.app,
    isMirror: false,
    terminating: false,
    hasLocalStorage: false,
  };
}

// Records a live cluster into Tidal's trace format: a snapshot of its nodes and pods (bound pods
// pinned where they run, so that a replay starts from the cluster as it is), then, for a chosen
// duration, what changes (nodes and pods coming and going) and usage samples from metrics.k8s.io.
// It reads the cluster through the same informers and classification as the extender, so a recorded
// trace replays the cluster as Tidal sees it.
//
// Limits: a batch pod's total runtime is not known when it is first seen; it is its declared
// expected runtime (tidal.io/expected-runtime) or the default given, less what it has already run.
// Events are kept in memory until the recording ends (a snapshot plus samples, not a long trace).

import type { NodeInfo, PodInfo } from '../../scheduler/core/model.ts';
import type { ClusterState } from '../../scheduler/core/state.ts';
import type { Trace, TraceEvent, TracePod } from './events.ts';

export interface RecordOptions {
  /** Runtime assumed for a batch pod that declares none (ms). */
  defaultBatchRuntimeMs: number;
  /** Pin bound pods to their nodes in the replay (true), or let the replayed policy place them. */
  pin: boolean;
}

export const DEFAULT_RECORD: RecordOptions = { defaultBatchRuntimeMs: 3_600_000, pin: true };

/** Turns successive looks at a ClusterState into trace events. */
export class ClusterRecorder {
  readonly events: TraceEvent[] = [];
  readonly #o: RecordOptions;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Set<string>();
  #start = Infinity;
  #last = -Infinity;

  constructor(options: Partial<RecordOptions> = {}) {
    this.#o = { ...DEFAULT_RECORD, ...options };
  }

  /**
   * Records what changed since the previous look, and the usage now. `scheduled`: when kube-scheduler
   * reported each pod bound (uid -> ms, its Scheduled events), ties in that map's insertion order;
   * the pods in it are written in that order (see below) and carry it as scheduledAt.
   */
  observe(state: ClusterState, now: number, scheduled: ReadonlyMap<string, number> = new Map()): void {
    this.#start = Math.min(this.#start, now);
    this.#last = now;
    const push = (e: TraceEvent): void => void this.events.push(e);
    for (const node of state.nodeList) {
      const known = this.#nodes.get(node.name);
      if (!known) push({ type: 'node-add', time: now, node: node.spec });
      this.#nodes.set(node.name, node.spec);
    }
    const podsNow = new Set<string>();
    const arrived: PodInfo[] = [];
    for (const pod of state.pods.values()) {
      if (pod.terminating) continue;
      podsNow.add(pod.uid);
      if (this.#pods.has(pod.uid)) continue;
      // A pod bound to a node the trace does not have yet would break the format's rule 2.
      if (pod.nodeName && !this.#nodes.has(pod.nodeName)) continue;
      this.#pods.add(pod.uid);
      arrived.push(pod);
    }
    // In the order the scheduler decided them, so that a replay, and a calibration against the
    // recorded nodes, decide them in that order too: by when kube-scheduler reported each bound (its
    // Scheduled event, millisecond resolution, ties in the events' order), else by creation (second
    // resolution; the informer's order is the apiserver's, by name). A pod without an event (pending, or
    // its event expired) sorts by its creation time among the others.
    const rank = new Map<string, number>();
    for (const uid of scheduled.keys()) rank.set(uid, rank.size);
    const key = (p: PodInfo) => scheduled.get(p.uid) ?? p.createdAt;
    arrived.sort((a, b) => key(a) - key(b) || (rank.get(a.uid) ?? Infinity) - (rank.get(b.uid) ?? Infinity) || a.createdAt - b.createdAt || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const pod of arrived) push({ type: 'pod-arrival', time: now, pod: this.#tracePod(pod, now, scheduled.get(pod.uid)) });
    for (const node of state.nodeList) {
      let podCpu = 0;
      let podMem = 0;
      for (const pod of node.pods.values()) {
        const u = state.podUsage.get(pod.uid);
        if (!u || !this.#pods.has(pod.uid)) continue;
        push({ type: 'pod-usage', time: now, uid: pod.uid, cpu: Math.round(u.cpu), memory: Math.round(u.memory) });
        podCpu += u.cpu;
        podMem += u.memory;
      }
      // What the node uses beyond its pods (daemons, the OS): the trace's node-usage.
      const s = node.usage.latest();
      if (s) {
        const cpu = Math.max(0, s.online.cpu + s.batch.cpu - podCpu);
        const memory = Math.max(0, s.online.memory + s.batch.memory - podMem);
        push({ type: 'node-usage', time: now, name: node.name, cpu: Math.round(cpu), memory: Math.round(memory) });
      }
    }
    for (const uid of [...this.#pods]) {
      if (podsNow.has(uid)) continue;
      this.#pods.delete(uid);
      push({ type: 'pod-end', time: now, uid });
    }
    for (const name of [...this.#nodes.keys()]) {
      if (state.nodes.has(name)) continue;
      this.#nodes.delete(name);
      push({ type: 'node-remove', time: now, name });
    }
  }

  /** The recording as a Trace (to write with writeTrace). */
  trace(source: string): Trace {
    const events = this.events;
    return {
      info: { format: 'tidal-trace', source, start: this.#start, end: this.#last + 1, skipped: new Map() },
      async *events() {
        yield* events;
      },
    };
  }

  #tracePod(p: PodInfo, now: number, scheduledAt: number | undefined): TracePod {
    const batch = p.class === 'batch';
    const ran = p.startedAt > 0 ? Math.max(0, now - p.startedAt) : 0;
    const total = p.expectedRuntimeMs > 0 ? p.expectedRuntimeMs : this.#o.defaultBatchRuntimeMs;
    const out: TracePod = {
      uid: p.uid,
      namespace: p.namespace,
      name: p.name,
      // System pods occupy nodes like online ones and are never Tidal's to move.
      class: batch ? 'batch' : 'online',
      app: p.app,
      priority: p.priority,
      requests: { cpu: p.requests.cpu, memory: p.requests.memory },
      runtimeMs: batch ? Math.max(60_000, total - ran) : 0,
      declaredRuntimeMs: batch ? p.expectedRuntimeMs : 0,
      checkpointable: p.checkpointable,
      job: batch ? p.ownerName || p.app : '',
    };
    if (this.#o.pin && p.nodeName) out.nodeName = p.nodeName;
    if (p.createdAt > 0) out.createdAt = p.createdAt;
    if (scheduledAt !== undefined && p.nodeName) out.scheduledAt = scheduledAt;
    return out;
  }
}

// Pods' lives on one policy's virtual cluster, as the kubelet and the pods' controllers would live
// them: arrival (pending, or bound at once when the trace pins it to a node), bind, completion after
// its remaining runtime, the trace's end of the pod, and eviction or loss of its node, after which the
// controller (Job, ReplicaSet) recreates it, pending again, after recreateDelayMs. A batch pod's work
// survives a restart only up to its last checkpoint; the rest is the work lost the report counts.
// Completions and recreations are timers; a pod's version makes a timer that went stale harmless.

import type { PolicyConfig } from '../../scheduler/core/config.ts';
import type { ClusterState } from '../../scheduler/core/state.ts';
import type { TracePod } from '../traces/events.ts';
import { TimerHeap } from './heap.ts';
import type { SimOptions } from './options.ts';
import type { SchedulingQueue } from './queue.ts';
import { newSimPod, type SimPod } from './sim-pod.ts';
import type { RunTotals } from './totals.ts';

interface Timer {
  time: number;
  seq: number;
  kind: 'complete' | 'recreate';
  pod: SimPod;
  version: number;
}

/** A job's pods as far as the trace has shown them. */
interface JobState {
  arrived: number;
  completed: number;
  firstArrival: number;
}

export class PodLifecycle {
  /** Every pod that arrived and has not completed or ended: running, pending or being recreated. */
  readonly pods = new Map<string, SimPod>();
  /** Where pods went, for the conservation check (PolicySim.census). */
  readonly census = { arrived: 0, completed: 0, ended: 0 };
  readonly #state: ClusterState;
  readonly #config: PolicyConfig;
  readonly #queue: SchedulingQueue;
  readonly #totals: RunTotals;
  readonly #opts: SimOptions;
  readonly #timers = new TimerHeap<Timer>();
  readonly #jobs = new Map<string, JobState>();
  /** One sequence for pods' arrival order and timers' insertion order (ties resolve by it). */
  #seq = 0;

  constructor(state: ClusterState, config: PolicyConfig, queue: SchedulingQueue, totals: RunTotals, opts: SimOptions) {
    this.#state = state;
    this.#config = config;
    this.#queue = queue;
    this.#totals = totals;
    this.#opts = opts;
  }

  arrive(trace: TracePod, now: number): void {
    if (this.pods.has(trace.uid)) return;
    const pod = newSimPod(trace, this.#seq++, this.#config, now);
    this.pods.set(trace.uid, pod);
    this.census.arrived++;
    if (trace.class === 'batch') {
      this.#totals.batchArrived++;
      if (trace.job) {
        const j = this.#jobs.get(trace.job);
        if (j) j.arrived++;
        else this.#jobs.set(trace.job, { arrived: 1, completed: 0, firstArrival: now });
      }
    }
    if (trace.nodeName && this.#state.nodes.has(trace.nodeName)) {
      this.bind(pod, trace.nodeName, now);
      return;
    }
    this.#queue.add(pod);
  }

  /** The trace says the pod is gone (deleted, or finished outside what the simulation models). */
  end(uid: string, now: number): void {
    const p = this.pods.get(uid);
    if (!p) return;
    const queued = !p.running;
    // Scaled away while still waiting for a node: a delayed online pod if it waited past the limit.
    if (queued && p.spec.class !== 'batch' && now >= p.queuedAt) this.#totals.endedPending(now - p.queuedAt, this.#opts.onlineWaitLimitMs);
    if (p.running) {
      this.#queue.nodeChanged(p.spec.nodeName);
      this.#unbind(p, now);
    }
    p.gone = true;
    p.version++;
    this.pods.delete(uid);
    this.census.ended++;
    if (queued) this.#queue.remove(p);
  }

  /** The node is gone: its pods are recreated elsewhere by their controllers, their work lost. */
  stopPodsOn(nodeName: string, now: number): void {
    const node = this.#state.nodes.get(nodeName);
    if (!node) return;
    for (const spec of [...node.pods.values()]) {
      const p = this.pods.get(spec.uid);
      if (p) this.#stop(p, now, 'nodeLoss');
    }
  }

  /** The next timer (completion, recreation), or Infinity. */
  nextTimer(): number {
    return this.#timers.peek()?.time ?? Infinity;
  }

  runTimers(now: number): void {
    for (let t = this.#timers.peek(); t && t.time <= now; t = this.#timers.peek()) {
      this.#timers.pop();
      const p = t.pod;
      if (t.version !== p.version || p.gone) continue;
      if (t.kind === 'complete') this.#complete(p, now);
      else {
        p.queuedAt = now;
        this.#queue.add(p);
      }
    }
  }

  bind(p: SimPod, nodeName: string, now: number): void {
    this.#totals.bound(p.spec.class === 'batch', now - p.queuedAt, this.#opts.onlineWaitLimitMs);
    p.spec = { ...p.spec, nodeName, startedAt: now, createdAt: p.arrival };
    p.running = true;
    p.startedAt = now;
    this.#state.upsertPod(p.spec, now);
    // Per-pod usage, as metrics.k8s.io gives it: batch for the node's split, online for the apps' curves.
    this.#state.recordPodUsage(p.spec.uid, p.usage);
    p.throttledMs = 0;
    p.completeAt = Infinity;
    if (p.trace.class === 'batch' && p.trace.runtimeMs > 0) {
      const left = Math.max(0, p.trace.runtimeMs - p.workDone);
      p.completeAt = now + left;
      this.#timers.push({ time: p.completeAt, seq: this.#seq++, kind: 'complete', pod: p, version: p.version });
    }
  }

  /**
   * The running batch pod got `rate` (in [0, 1]) of the CPU it wanted over [from, from + intervalMs):
   * it did rate x the interval's work, so its completion moves later by (1 - rate) x the interval, or
   * lands inside the interval at from + remaining / rate (simulator/node/progress.ts's rule).
   */
  throttle(p: SimPod, from: number, intervalMs: number, rate: number): void {
    if (!p.running || rate >= 1 || !(p.completeAt < Infinity) || p.completeAt <= from) return;
    const remaining = p.completeAt - from;
    const at = rate > 0 && rate * intervalMs >= remaining ? from + remaining / rate : p.completeAt + (1 - rate) * intervalMs;
    p.throttledMs += at - p.completeAt;
    p.completeAt = at;
    p.version++;
    this.#timers.push({ time: at, seq: this.#seq++, kind: 'complete', pod: p, version: p.version });
  }

  /**
   * The node's kernel OOM-killed the pod. A batch pod's work since its last checkpoint is lost and its
   * controller recreates it (pending again); an online container restarts in place on its node
   * (restartPolicy Always), so the pod stays where it is and only the kill is counted.
   */
  oomKill(p: SimPod, now: number): void {
    if (!p.running) return;
    if (p.trace.class === 'batch') {
      this.#stop(p, now, 'oom');
      this.#totals.batchOomKills++;
    } else this.#totals.onlineOomKills++;
  }

  /** Takes a running pod off its node; its controller recreates it after a delay (pending again). */
  evict(p: SimPod, now: number, reason: string): void {
    this.#stop(p, now, 'eviction');
    this.#totals.evicted(reason, p.trace.class === 'batch');
  }

  #unbind(p: SimPod, now: number): void {
    this.#state.removePod(p.spec.uid);
    p.running = false;
    p.version++;
    p.spec = { ...p.spec, nodeName: '', startedAt: 0 };
    // Time throttled (CPU denied) is time on the node without progress.
    if (p.trace.class === 'batch') p.workDone += Math.max(0, now - p.startedAt - p.throttledMs);
  }

  #complete(p: SimPod, now: number): void {
    this.#queue.nodeChanged(p.spec.nodeName);
    this.#state.completePod(p.spec.uid, now);
    p.running = false;
    p.gone = true;
    this.pods.delete(p.trace.uid);
    this.census.completed++;
    this.#totals.batchCompleted++;
    this.#totals.completedCoreMs += p.trace.runtimeMs * (p.trace.requests.cpu / 1000);
    this.#totals.completionDelay.add(now - p.arrival - p.trace.runtimeMs);
    const j = p.trace.job ? this.#jobs.get(p.trace.job) : undefined;
    if (j && ++j.completed === j.arrived) {
      // Finished as far as the trace has shown; a later pod of the job would start a new entry.
      this.#totals.jobsCompleted++;
      this.#totals.jobTime.add(now - j.firstArrival);
      this.#jobs.delete(p.trace.job);
    }
  }

  #stop(p: SimPod, now: number, cause: keyof RunTotals['workLost']): void {
    if (!p.running) return;
    this.#queue.nodeChanged(p.spec.nodeName);
    this.#unbind(p, now);
    if (p.trace.class === 'batch') {
      // Work since the last checkpoint is lost; a pod that cannot checkpoint loses all of it.
      const kept = p.trace.checkpointable ? Math.floor(p.workDone / this.#opts.checkpointIntervalMs) * this.#opts.checkpointIntervalMs : 0;
      this.#totals.workLost[cause] += (p.workDone - kept) * (p.trace.requests.cpu / 1000);
      p.workDone = kept;
    }
    // Pending again once the controller has recreated it (the recreate timer sets it to that time).
    p.queuedAt = now + this.#opts.recreateDelayMs;
    this.#timers.push({ time: now + this.#opts.recreateDelayMs, seq: this.#seq++, kind: 'recreate', pod: p, version: p.version });
  }
}

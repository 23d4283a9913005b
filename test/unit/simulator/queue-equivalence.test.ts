// The scheduling queue indexes its unschedulable pods by shape (queue.ts) and rules out, without
// judging them, batch shapes larger than any changed node could give. Replayed against the plain
// list it replaced (ReferenceQueue below: every unschedulable pod visited by every hint pass), random
// sequences of arrivals, passes, hints, flushes, removals and cluster changes must give the same
// pods in the same order at every read (takeActive, pending, size, countPending).

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT, TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import type { PodInfo } from '../../../scheduler/core/model.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { SchedulingQueue, shapeKeyOf } from '../../../simulator/engine/queue.ts';
import { newSimPod, type SimPod } from '../../../simulator/engine/sim-pod.ts';
import type { TracePod } from '../../../simulator/traces/events.ts';
import { GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');

/** The queue before the shape index: one list of unschedulable pods, visited pod by pod. */
class ReferenceQueue {
  readonly #engine: PolicyEngine;
  readonly #active: SimPod[] = [];
  #unschedulable: SimPod[] = [];
  readonly #changed = new Set<string>();
  #lastHint = -Infinity;
  constructor(engine: PolicyEngine) {
    this.#engine = engine;
  }
  add(p: SimPod): void {
    this.#active.push(p);
  }
  park(p: SimPod): void {
    this.#unschedulable.push(p);
  }
  nodeChanged(name: string): void {
    this.#changed.add(name);
  }
  flushUnschedulable(): void {
    this.#changed.clear();
    for (const p of this.#unschedulable) this.#active.push(p);
    this.#unschedulable = [];
  }
  requeueHinted(now: number): void {
    if (this.#changed.size === 0 || now - this.#lastHint < 10_000) return;
    this.#lastHint = now;
    const names = [...this.#changed].filter((n) => this.#engine.state.rows.has(n));
    this.#changed.clear();
    if (names.length === 0 || this.#unschedulable.length === 0) return;
    const byShape = new Map<string, boolean>();
    const keep: SimPod[] = [];
    for (const p of this.#unschedulable) {
      const shape = shapeKeyOf(p);
      let fits = byShape.get(shape);
      if (fits === undefined) byShape.set(shape, (fits = this.#engine.verdicts(this.#engine.context(p.spec, now), names).passed > 0));
      (fits ? this.#active : keep).push(p);
    }
    this.#unschedulable = keep;
  }
  takeActive(): SimPod[] {
    return this.#active.splice(0).sort((a, b) => b.spec.priority - a.spec.priority || a.seq - b.seq);
  }
  get size(): number {
    return this.#active.length + this.#unschedulable.length;
  }
  remove(p: SimPod): void {
    const i = this.#active.indexOf(p);
    if (i >= 0) this.#active.splice(i, 1);
    const j = this.#unschedulable.indexOf(p);
    if (j >= 0) this.#unschedulable.splice(j, 1);
  }
  pending(cls: PodInfo['class']): PodInfo[] {
    return [...this.#active, ...this.#unschedulable].filter((p) => !p.gone && p.spec.class === cls).map((p) => p.spec);
  }
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function replay(config: PolicyConfig, seed: number): void {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const state = new ClusterState();
  const names = ['n1', 'n2', 'n3', 'n4'];
  for (const name of names) state.upsertNode(node(name, { allocatable: { cpu: 8000, memory: 32 * GiB } }), NOW);
  const engine = new PolicyEngine({ config, state, profile: constantProfile({ batchShare: 0.6, onlineHeadroom: 0.1 }) });
  const queue = new SchedulingQueue(engine, 10_000);
  const ref = new ReferenceQueue(engine);
  const both = [queue, ref] as const;
  let seq = 0;
  let now = NOW;
  const waiting: SimPod[] = [];
  const bound: string[] = [];
  for (let step = 0; step < 400; step++) {
    const op = r();
    if (op < 0.3) {
      const cls = r() < 0.7 ? 'batch' : 'online';
      const trace: TracePod = { uid: `p${seq}`, namespace: 'default', name: `p${seq}`, class: cls, app: pick(['a', 'b', 'c']), priority: pick([0, 0, 5]), requests: { cpu: pick([500, 1000, 3000, 6000, 9000]), memory: pick([1, 4, 16]) * GiB }, runtimeMs: 3_600_000, declaredRuntimeMs: pick([0, 3_600_000]), checkpointable: r() < 0.3, job: 'j' };
      const p = newSimPod(trace, seq++, config, now);
      waiting.push(p);
      for (const q of both) q.add(p);
    } else if (op < 0.5) {
      // A pass that places nothing: every active pod is parked (the same pods in the same order).
      const a = queue.takeActive();
      expect(ref.takeActive()).toEqual(a);
      for (const p of a) for (const q of both) q.park(p);
    } else if (op < 0.6) {
      // A pass that binds the first pod it is handed (capacity taken on a node), parks the rest.
      const a = queue.takeActive();
      expect(ref.takeActive()).toEqual(a);
      if (a.length > 0) {
        const name = pick(names);
        state.upsertPod(pod({ uid: a[0]!.spec.uid, class: a[0]!.spec.class, requests: a[0]!.spec.requests, nodeName: name }), now);
        bound.push(a[0]!.spec.uid);
        waiting.splice(waiting.indexOf(a[0]!), 1);
      }
      for (const p of a.slice(1)) for (const q of both) q.park(p);
    } else if (op < 0.75) {
      // Capacity freed on a node (a bound pod left): a hint.
      const uid = bound.length > 0 ? bound.splice(Math.floor(r() * bound.length), 1)[0]! : null;
      const name = uid ? state.pods.get(uid)!.nodeName : pick(names);
      if (uid) state.removePod(uid);
      for (const q of both) q.nodeChanged(name);
    } else if (op < 0.85) {
      now += pick([1_000, 5_000, 10_000, 30_000]);
      for (const q of both) q.requeueHinted(now);
    } else if (op < 0.9) {
      for (const q of both) q.flushUnschedulable();
    } else if (waiting.length > 0) {
      const p = waiting.splice(Math.floor(r() * waiting.length), 1)[0]!;
      p.gone = true;
      for (const q of both) q.remove(p);
    }
    expect(queue.size).toBe(ref.size);
    for (const cls of ['online', 'batch', 'system'] as const) expect(queue.pending(cls)).toEqual(ref.pending(cls));
  }
  expect(queue.takeActive()).toEqual(ref.takeActive());
}

describe('scheduling queue: the shape index', () => {
  for (const [name, config] of [['kube-default', KUBE_DEFAULT], ['time-sharing-timetable', TIME_SHARING]] as const) {
    it(`reads the same pods in the same order as the plain list (${name}, random sequences)`, () => {
      for (let seed = 1; seed <= 6; seed++) replay(config, seed);
    });
  }
});

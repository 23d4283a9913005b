import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { FailedShapes } from '../../../simulator/engine/dominance.ts';
import { SchedulingQueue, shapeKeyOf } from '../../../simulator/engine/queue.ts';
import { newSimPod, type SimPod } from '../../../simulator/engine/sim-pod.ts';
import type { TracePod } from '../../../simulator/traces/events.ts';
import { GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
let seq = 0;

function simPod(over: Partial<TracePod> = {}): SimPod {
  const uid = over.uid ?? `p${seq}`;
  const trace: TracePod = { uid, namespace: 'default', name: uid, class: 'online', app: 'web', priority: 0, requests: { cpu: 1000, memory: GiB }, runtimeMs: 0, declaredRuntimeMs: 0, checkpointable: false, job: '', ...over };
  return newSimPod(trace, seq++, KUBE_DEFAULT, NOW);
}

/** Two nodes of 4 cores; n1 is full, n2 has 2 cores free. */
function setup(hintIntervalMs = 10_000) {
  const state = new ClusterState();
  for (const name of ['n1', 'n2']) state.upsertNode(node(name, { allocatable: { cpu: 4000, memory: 16 * GiB } }), NOW);
  state.upsertPod(pod({ uid: 'f1', nodeName: 'n1', requests: { cpu: 4000, memory: GiB } }), NOW);
  state.upsertPod(pod({ uid: 'f2', nodeName: 'n2', requests: { cpu: 2000, memory: GiB } }), NOW);
  const engine = new PolicyEngine({ config: KUBE_DEFAULT, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }) });
  return { state, queue: new SchedulingQueue(engine, hintIntervalMs) };
}

describe('scheduling queue', () => {
  it('hands a pass its pods by priority, then arrival', () => {
    const { queue } = setup();
    const [a, b, c, d] = [simPod({ priority: 1 }), simPod({ priority: 5 }), simPod({ priority: 1 }), simPod({ priority: 5 })];
    for (const p of [a, b, c, d]) queue.add(p);
    expect(queue.takeActive()).toEqual([b, d, a, c]);
    expect(queue.activeCount).toBe(0);
  });

  it('requeues only the unschedulable pods that now fit on a changed node, at most once per hint interval', () => {
    const { queue } = setup();
    const small = simPod({ requests: { cpu: 2000, memory: GiB } });
    const big = simPod({ requests: { cpu: 3000, memory: GiB } });
    queue.park(small);
    queue.park(big);
    // No node changed: nothing moves.
    queue.requeueHinted(NOW);
    expect(queue.activeCount).toBe(0);
    // n1 changed, but it is full: neither fits there.
    queue.nodeChanged('n1');
    queue.requeueHinted(NOW);
    expect(queue.activeCount).toBe(0);
    // n2 changed within the hint interval: not looked at yet; after it, the pod that fits moves.
    queue.nodeChanged('n2');
    queue.requeueHinted(NOW + 5_000);
    expect(queue.activeCount).toBe(0);
    queue.requeueHinted(NOW + 10_000);
    expect(queue.takeActive()).toEqual([small]);
    expect(queue.pending('online')).toEqual([big.spec]);
    // The periodic flush moves the rest regardless.
    queue.flushUnschedulable();
    expect(queue.takeActive()).toEqual([big]);
    expect(queue.size).toBe(0);
  });

  it('judges pods of one shape once, and counts only the pods still there', () => {
    const a = simPod({ requests: { cpu: 1000, memory: GiB } });
    const b = simPod({ requests: { cpu: 1000, memory: GiB } });
    const c = simPod({ requests: { cpu: 1000, memory: GiB }, app: 'shop' });
    expect(shapeKeyOf(a)).toBe(shapeKeyOf(b));
    expect(shapeKeyOf(a)).not.toBe(shapeKeyOf(c));
    const { queue } = setup();
    queue.add(a);
    queue.park(b);
    b.gone = true;
    expect(queue.countPending()).toEqual({ batch: 0, other: 1 });
    queue.remove(a);
    expect(queue.size).toBe(1);
  });
});

describe('failure dominance', () => {
  it('a failed pod implies failure of pods asking at least as much, over at least as long a span', () => {
    const failed = new FailedShapes();
    const job = (cpu: number, declaredRuntimeMs: number, checkpointable = false) => simPod({ class: 'batch', app: `job-${seq}`, requests: { cpu, memory: GiB }, declaredRuntimeMs, checkpointable, job: 'j' });
    failed.add(job(2000, 3_600_000), NOW);
    expect(failed.dominates(job(2000, 3_600_000), NOW)).toBe(true);
    expect(failed.dominates(job(3000, 7_200_000), NOW)).toBe(true);
    // Asks less, or needs its capacity over a shorter span (a checkpointable pod: now only).
    expect(failed.dominates(job(1000, 3_600_000), NOW)).toBe(false);
    expect(failed.dominates(job(2000, 1_800_000), NOW)).toBe(false);
    expect(failed.dominates(job(2000, 3_600_000, true), NOW)).toBe(false);
    // A span-free failure implies every span; it also replaces the entry it implies.
    failed.add(job(2000, 0), NOW);
    expect(failed.dominates(job(2000, 1_800_000), NOW)).toBe(true);
    // Online pods: only the same app (per-app limits differ between apps).
    failed.add(simPod({ app: 'web', requests: { cpu: 1000, memory: GiB } }), NOW);
    expect(failed.dominates(simPod({ app: 'web', requests: { cpu: 1500, memory: GiB } }), NOW)).toBe(true);
    expect(failed.dominates(simPod({ app: 'shop', requests: { cpu: 1500, memory: GiB } }), NOW)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { KUBE_DEFAULT } from '../../../scheduler/core/config.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { calibrate, formatCalibration, nodeShapes, sameGroup } from '../../../simulator/calibrate/index.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import type { Trace, TraceEvent, TracePod } from '../../../simulator/traces/events.ts';
import { GiB, node, pod } from '../../helpers/core.ts';

const T0 = Date.parse('2026-11-10T12:00:00Z');
const profile = constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }, 'test');

function tracePod(uid: string, cpu: number, memGi: number, nodeName: string | undefined, cls: 'online' | 'batch' = 'online'): TracePod {
  const p: TracePod = { uid, namespace: 'calib', name: uid, class: cls, app: `calib/${uid}`, priority: 0, requests: { cpu, memory: memGi * GiB }, runtimeMs: cls === 'batch' ? 600_000 : 0, declaredRuntimeMs: 0, checkpointable: false, job: cls === 'batch' ? uid : '' };
  if (nodeName !== undefined) p.nodeName = nodeName;
  return p;
}

function traceOf(events: TraceEvent[]): Trace {
  return { info: { format: 'tidal-trace', source: 'hand-made', start: T0, end: T0 + 1, skipped: new Map() }, async *events() { yield* events; } };
}

/**
 * Two big nodes that tie for an empty cluster and a small one. p1 goes to either big one (a tie), p2 to
 * the other (the best then), p3 to the small node where both big ones score higher, p4 to the small
 * node it does not fit (the cluster knew something the trace does not say).
 */
const RECORDED: TraceEvent[] = [
  { type: 'node-add', time: T0, node: node('big-a', { zone: 'zone-a' }) },
  { type: 'node-add', time: T0, node: node('big-b', { zone: 'zone-b' }) },
  { type: 'node-add', time: T0, node: node('small', { zone: 'zone-a', allocatable: { cpu: 4000, memory: 16 * GiB } }) },
  { type: 'pod-arrival', time: T0, pod: tracePod('p1', 2000, 4, 'big-b') },
  { type: 'pod-arrival', time: T0, pod: tracePod('p2', 2000, 4, 'big-a') },
  { type: 'pod-arrival', time: T0, pod: tracePod('p3', 2000, 4, 'small') },
  { type: 'pod-arrival', time: T0, pod: tracePod('p4', 6000, 4, 'small', 'batch') },
];

describe('calibration against a recorded trace', () => {
  it('takes pods of one shape created in the same second as interchangeable, and only those', async () => {
    // Two identical pods of one app; the cluster bound the name-first to the small node, the other to the big one.
    // With the same createdAt the order is unknown: the big node's pod is decided first and both agree.
    // With createdAt a second apart, the name order stands: the small node's pod first, where the big one scores higher
    // (then the other pod's big node is the best).
    const events = (secondApart: boolean): TraceEvent[] => [
      { type: 'node-add', time: T0, node: node('big', { allocatable: { cpu: 16_000, memory: 64 * GiB } }) },
      { type: 'node-add', time: T0, node: node('small', { allocatable: { cpu: 4000, memory: 16 * GiB } }) },
      { type: 'pod-arrival', time: T0, pod: { ...tracePod('web-a', 2000, 4, 'small'), app: 'calib/web', createdAt: T0 } },
      { type: 'pod-arrival', time: T0, pod: { ...tracePod('web-b', 2000, 4, 'big'), app: 'calib/web', createdAt: T0 + (secondApart ? 1000 : 0) } },
    ];
    const [same] = await calibrate({ trace: traceOf(events(false)), profile, policies: [policyByName('kube-default')] });
    expect(same!.decisions.map((d) => [d.uid, d.outcome])).toEqual([
      ['web-b', 'same-node'],
      ['web-a', 'same-node'],
    ]);
    const [apart] = await calibrate({ trace: traceOf(events(true)), profile, policies: [policyByName('kube-default')] });
    expect(apart!.decisions.map((d) => [d.uid, d.outcome])).toEqual([
      ['web-a', 'different'],
      ['web-b', 'same-node'],
    ]);
  });

  it('keeps the order kube-scheduler bound pods in where the recording has it (scheduledAt), grouping only interchangeable pods', async () => {
    // One second, two apps: b-first bound first (to the small node, not a top node), then a-second (to the big one).
    const events = (scheduled: boolean): TraceEvent[] => [
      { type: 'node-add', time: T0, node: node('big', { allocatable: { cpu: 16_000, memory: 64 * GiB } }) },
      { type: 'node-add', time: T0, node: node('small', { allocatable: { cpu: 4000, memory: 16 * GiB } }) },
      { type: 'pod-arrival', time: T0, pod: { ...tracePod('b-first', 2000, 4, 'small'), createdAt: T0, ...(scheduled ? { scheduledAt: T0 + 100 } : {}) } },
      { type: 'pod-arrival', time: T0, pod: { ...tracePod('a-second', 1000, 1, 'big'), createdAt: T0, ...(scheduled ? { scheduledAt: T0 + 200 } : {}) } },
    ];
    // Without scheduledAt: one group of any shape, in an inferred order: a-second first (its node is on top).
    const [inferred] = await calibrate({ trace: traceOf(events(false)), profile, policies: [policyByName('kube-default')] });
    expect(inferred!.decisions.map((d) => d.uid)).toEqual(['a-second', 'b-first']);
    // With it: the recorded order stands, pods of different shapes are not regrouped.
    const [ordered] = await calibrate({ trace: traceOf(events(true)), profile, policies: [policyByName('kube-default')] });
    expect(ordered!.decisions.map((d) => d.uid)).toEqual(['b-first', 'a-second']);
    // Interchangeable pods (one app, one shape) of one second stay a group even with scheduledAt.
    const web = (uid: string, n: string, at: number): TracePod => ({ ...tracePod(uid, 2000, 4, n), app: 'calib/web', createdAt: T0, scheduledAt: at });
    expect(sameGroup(web('w1', 'big', T0 + 1), web('w2', 'small', T0 + 2))).toBe(true);
    expect(sameGroup(web('w1', 'big', T0 + 1), { ...web('w2', 'small', T0 + 2), requests: { cpu: 1000, memory: 4 * GiB } })).toBe(false);
    // A burst across a second boundary of creationTimestamp (bound in another order than decided) is one group; 2 s apart is not.
    expect(sameGroup(web('w1', 'big', T0 + 1), { ...web('w2', 'small', T0 + 2), createdAt: T0 + 1000 })).toBe(true);
    expect(sameGroup(web('w1', 'big', T0 + 1), { ...web('w2', 'small', T0 + 2), createdAt: T0 + 2000 })).toBe(false);
    expect(sameGroup({ ...web('w1', 'big', T0 + 1), scheduledAt: undefined }, { ...web('w2', 'small', T0 + 2), app: 'calib/api', scheduledAt: undefined })).toBe(true);
  });

  it('judges each decision from the recorded state: same node, same score class, different, refused', async () => {
    const [r] = await calibrate({ trace: traceOf(RECORDED), profile, policies: [policyByName('kube-default')] });
    const by = new Map(r!.decisions.map((d) => [d.uid, d]));
    // p1: big-a and big-b tie, so whichever the random tie-break picks agrees.
    expect(['same-node', 'same-score']).toContain(by.get('p1')!.outcome);
    expect(by.get('p1')!.recordedScore).toBe(by.get('p1')!.placedScore);
    // p2: big-b holds p1 (recorded there), so big-a is the one best node.
    expect(by.get('p2')).toMatchObject({ outcome: 'same-node', placed: 'big-a' });
    // p3: both big nodes hold a pod and still score above the small one.
    expect(by.get('p3')!.outcome).toBe('different');
    expect(by.get('p3')!.recordedScore).toBeLessThan(by.get('p3')!.placedScore);
    // p4 does not fit on the small node: the policy's filters refuse the recorded node.
    expect(by.get('p4')!.outcome).toBe('recorded-infeasible');
    expect(by.get('p4')!.recordedRefusal).toMatch(/NodeResourcesFit|Insufficient|cpu/i);
    expect(r!.agreement).toBe(0.5);
    expect(r!.counts).toMatchObject({ 'same-node': by.get('p1')!.outcome === 'same-node' ? 2 : 1, different: 1, 'recorded-infeasible': 1 });

    const text = formatCalibration([r!], await nodeShapes(traceOf(RECORDED)));
    expect(text).toContain('kube-default: 50.0% of 4 pods agree');
    expect(text).toMatch(/different: 4c\/16Gi@zone-a -> 16c\/64Gi@zone-[ab]: 1/);
    expect(text).toMatch(/recorded-infeasible: 4c\/16Gi@zone-a -> 16c\/64Gi@zone-[ab]: 1/);
    expect(text).toContain('calib/p3 [online] recorded small');
  });

  it('keeps the cluster\'s choices: a later pod sees earlier pods where the cluster put them', async () => {
    // Had p1 stayed where the simulator put it, p2's best node could differ; pinned to big-b, it is big-a.
    for (const seed of [1, 2, 3, 4, 5]) {
      const [r] = await calibrate({ trace: traceOf(RECORDED), profile, policies: [policyByName('kube-default')], seed });
      expect(r!.decisions[1]).toMatchObject({ uid: 'p2', placed: 'big-a' });
    }
  });

  it('counts pods pending in the cluster, and runs several policies over the same trace', async () => {
    const events: TraceEvent[] = [...RECORDED, { type: 'pod-arrival', time: T0, pod: tracePod('huge', 64_000, 4, undefined) }, { type: 'pod-arrival', time: T0, pod: tracePod('p5', 1000, 1, undefined) }];
    const results = await calibrate({ trace: traceOf(events), profile, policies: [policyByName('kube-default'), policyByName('time-sharing')] });
    expect(results.map((r) => r.policy)).toEqual(['kube-default', 'time-sharing']);
    for (const r of results) {
      expect(r.decisions.find((d) => d.uid === 'huge')!.outcome).toBe('both-pending');
      expect(r.decisions.find((d) => d.uid === 'p5')!.outcome).toBe('cluster-pending');
    }
  });

  it('refuses a trace that does not say where pods were bound', async () => {
    const unpinned = RECORDED.map((e) => (e.type === 'pod-arrival' ? { ...e, pod: tracePod(e.pod.uid, e.pod.requests.cpu, 4, undefined) } : e));
    await expect(calibrate({ trace: traceOf(unpinned), profile, policies: [policyByName('kube-default')] })).rejects.toThrow(/without --no-pin/);
  });
});

describe("the core's random tie-break (EngineOptions.tieBreak)", () => {
  const tiedNodes = () => {
    const state = new ClusterState();
    for (let k = 0; k < 8; k++) state.upsertNode(node(`n${k}`), T0);
    return state;
  };
  const picks = (opts: { tieBreak?: 'hash' | 'random'; tieSeed?: number }) => {
    const engine = new PolicyEngine({ config: KUBE_DEFAULT, state: tiedNodes(), profile, ...opts });
    // The same pod again and again on eight equal nodes (nothing is bound in between).
    return Array.from({ length: 400 }, () => engine.place(pod({ uid: 'same', requests: { cpu: 1000, memory: GiB } }), T0).node!.name);
  };

  it('by default breaks ties by a hash of pod and node: the same pod always gets the same node', () => {
    expect(new Set(picks({})).size).toBe(1);
  });

  it('at random picks every tied node about equally often, the same sequence for the same seed', () => {
    const a = picks({ tieBreak: 'random', tieSeed: 7 });
    const counts = new Map<string, number>();
    for (const n of a) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect(counts.size).toBe(8);
    for (const c of counts.values()) expect(c).toBeGreaterThan(20); // 50 expected of each
    expect(picks({ tieBreak: 'random', tieSeed: 7 })).toEqual(a);
    expect(picks({ tieBreak: 'random', tieSeed: 8 })).not.toEqual(a);
  });

  it('still takes the one best node when there is no tie', () => {
    const state = tiedNodes();
    state.upsertPod(pod({ uid: 'x', nodeName: 'n0', requests: { cpu: 8000, memory: GiB } }), T0);
    // 500m apart: kube-scheduler's integer scores (kube-default's since it runs the default set) tie nodes 100m apart.
    for (let k = 1; k < 8; k++) state.upsertPod(pod({ uid: `y${k}`, nodeName: `n${k}`, requests: { cpu: 8000 + k * 500, memory: GiB } }), T0);
    const engine = new PolicyEngine({ config: KUBE_DEFAULT, state, profile, tieBreak: 'random' });
    for (let i = 0; i < 20; i++) expect(engine.place(pod({ requests: { cpu: 1000, memory: GiB } }), T0).node!.name).toBe('n0');
  });
});

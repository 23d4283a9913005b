// The engine's accounting on hand-made traces, each case computed by hand: online pods delayed (placed
// late, still pending, scaled away while pending), a throttled batch pod's completion and denied CPU
// (simulator/node/contention.ts inside the replay), an OOM kill, work lost by cause, nodes whose usage
// samples are missing or stale, and koordlet's BE suppression for the koordinator policy.

import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../scheduler/core/profile.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { koordinatorPolicy } from '../../../simulator/peers/koordinator/policy.ts';
import { policyByName, type SimPolicy } from '../../../simulator/policies/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { GiB, node } from '../../helpers/core.ts';
import { arrayTrace, tracePod } from '../../helpers/trace.ts';

const MIN = 60_000;
const H = 60 * MIN;
const START = Date.parse('2026-11-10T00:00:00Z');
const FLAT: Profile = { name: 'flat', timeZone: 'UTC', default: { batchShare: 1, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0 }, windows: [] };

async function one(events: TraceEvent[], policy: string | SimPolicy = 'kube-default', end = START + 4 * H) {
  const trace = arrayTrace(events);
  trace.info.end = end;
  const r = await simulate({ trace, profile: FLAT, policies: [typeof policy === 'string' ? policyByName(policy) : policy] });
  return r.policies[0]!;
}

describe('online pods delayed: every pod that waited past the limit, whatever became of it', () => {
  it('counts the pod placed late, the pod still pending and the pod scaled away while pending; not the one that ended within the limit', async () => {
    const big = { cpu: 12_000, memory: GiB };
    const ev: TraceEvent[] = [
      { type: 'node-add', time: START, node: node('n1', { allocatable: { cpu: 16_000, memory: 64 * GiB } }) },
      { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'holder', requests: big }) },
      // Placed late: waits until 'holder' ends at 30 min.
      { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'late', requests: big }) },
      { type: 'pod-end', time: START + 30 * MIN, uid: 'holder' },
      // Scaled away after 20 minutes of waiting (nothing fits beside 'late').
      { type: 'pod-arrival', time: START + 40 * MIN, pod: tracePod({ uid: 'scaled-away', requests: big }) },
      { type: 'pod-end', time: START + 60 * MIN, uid: 'scaled-away' },
      // Ends after 30 s of waiting: within the 1-minute limit.
      { type: 'pod-arrival', time: START + 70 * MIN, pod: tracePod({ uid: 'quick', requests: big }) },
      { type: 'pod-end', time: START + 70 * MIN + 30_000, uid: 'quick' },
      // Still pending at the end.
      { type: 'pod-arrival', time: START + 2 * H, pod: tracePod({ uid: 'never', requests: big }) },
    ];
    const t = (await one(ev)).totals.onlineRisk;
    expect(t.onlinePodsEndedPending).toBe(1);
    expect(t.onlinePodsUnplaced).toBe(1);
    expect(t.onlinePodsDelayed).toBe(3);
    expect(t.score).toBe(1);
  });
});

describe('CPU contention inside the replay', () => {
  // One 4-core node: an online pod asking 2 cores and using 3, a batch pod asking 2 cores, using 2,
  // runtime 60 min. Demand 5 cores > 4: online gets its 3 (it goes first), batch the remaining 1 core,
  // rate 0.5. Each 5-minute interval does 2.5 minutes of work, so the 60 minutes take 120: the
  // completion moves from 01:00 to 02:00; denied CPU = 1 core x 120 min = 2 core-hours.
  const ev = (): TraceEvent[] => [
    { type: 'node-add', time: START, node: node('n1', { allocatable: { cpu: 4000, memory: 64 * GiB } }) },
    { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'web', requests: { cpu: 2000, memory: GiB } }) },
    { type: 'pod-usage', time: START, uid: 'web', cpu: 3000, memory: GiB },
    { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'job', class: 'batch', app: 'etl', priority: 5000, requests: { cpu: 2000, memory: GiB }, runtimeMs: H }) },
    { type: 'pod-usage', time: START, uid: 'job', cpu: 2000, memory: GiB },
  ];

  it('a throttled batch pod completes later by exactly the work it was denied', async () => {
    const p = await one(ev(), 'kube-default', START + 90 * MIN);
    expect(p.totals.batch.completed).toBe(0);
    const q = await one(ev(), 'kube-default', START + 120 * MIN);
    expect(q.totals.batch.completed).toBe(1);
    expect(q.totals.batch.completionDelay.max).toBeCloseTo(H, -4);
    expect(q.totals.batch.completedCoreHours).toBeCloseTo(2, 9);
    expect(q.totals.batch.cpuDeniedCoreHours).toBeCloseTo(2, 9);
    // Online got all it asked for: no unmet online CPU; the node ran at 100 % with an online pod on it.
    expect(q.totals.onlineRisk.unmetOnlineCpuCoreSeconds).toBe(0);
    expect(q.totals.onlineRisk.interferenceNodeMinutes).toBeGreaterThan(0);
    expect(q.series[0]!.cpuUsedOnline + q.series[0]!.cpuUsedBatch).toBeCloseTo(1, 9);
  });

  it('online demand beyond the node is unmet online CPU, a breach of the risk bound', async () => {
    const e = ev();
    e.push({ type: 'pod-usage', time: START, uid: 'web', cpu: 5000, memory: GiB });
    const p = await one(e.filter((x) => !(x.type === 'pod-usage' && x.uid === 'web' && x.cpu === 3000)), 'kube-default', START + 10 * MIN);
    // 5 cores asked on a 4-core node for the three intervals starting at 0, 5 and 10 min: 1 core x 900 s.
    expect(p.totals.onlineRisk.unmetOnlineCpuCoreSeconds).toBeCloseTo(900, 6);
    expect(p.totals.onlineRisk.score).toBe(1);
  });

  it("koordinator's koordlet caps batch at 65 % of the node minus online usage", async () => {
    // A 10-core node; online asks 2 cores and uses 1.5, batch asks 2 and uses 6. Without a node agent
    // batch gets its 6 cores (1.5 + 6 < 10). koordlet: 0.65 x 10 - 1.5 = 5 cores (cpuset policy:
    // max(2, ceil(5)) = 5; shrinking from all CPUs is immediate), so batch runs at 5 of its 6 cores.
    const e = ev().map((x): TraceEvent => {
      if (x.type === 'node-add') return { ...x, node: node('n1', { allocatable: { cpu: 10_000, memory: 64 * GiB } }) };
      if (x.type === 'pod-usage') return { ...x, cpu: x.uid === 'web' ? 1500 : 6000 };
      return x;
    });
    const koord = await one(e, 'koordinator', START + 10 * MIN);
    const kube = await one(e, 'kube-default', START + 10 * MIN);
    expect(kube.series[0]!.cpuUsedBatch).toBeCloseTo(0.6, 9);
    // Koordinator places batch once the node has a usage metric (after the first sample, at 5 min).
    expect(koord.series[0]!.runningBatch).toBe(0);
    expect(koord.series[1]!.cpuUsedBatch).toBeCloseTo(0.5, 9);
    expect(koord.series[2]!.cpuUsedBatch).toBeCloseTo(0.5, 9);
    // 1 core denied over each of the two 5-minute intervals from 5 min: 10 core-minutes.
    expect(koord.totals.batch.cpuDeniedCoreHours).toBeCloseTo(10 / 60, 9);
    expect(kube.totals.batch.cpuDeniedCoreHours).toBe(0);
  });

  it("the sweep's suppressPercent knob moves koordlet's threshold: at 50 % batch runs at 4 of its 6 cores", async () => {
    // Same node: 0.5 x 10 - 1.5 = 3.5 cores, cpuset policy max(2, ceil(3.5)) = 4 cores. 2 cores denied
    // over the two 5-minute intervals from 5 min: 20 core-minutes. At 65 % (the default) it is the case above.
    const e = ev().map((x): TraceEvent => {
      if (x.type === 'node-add') return { ...x, node: node('n1', { allocatable: { cpu: 10_000, memory: 64 * GiB } }) };
      if (x.type === 'pod-usage') return { ...x, cpu: x.uid === 'web' ? 1500 : 6000 };
      return x;
    });
    const at50 = await one(e, koordinatorPolicy({ suppressPercent: 50 }), START + 10 * MIN);
    expect(at50.series[1]!.cpuUsedBatch).toBeCloseTo(0.4, 9);
    expect(at50.series[2]!.cpuUsedBatch).toBeCloseTo(0.4, 9);
    expect(at50.totals.batch.cpuDeniedCoreHours).toBeCloseTo(20 / 60, 9);
    const at65 = await one(e, koordinatorPolicy({ suppressPercent: 65 }), START + 10 * MIN);
    expect(at65.totals.batch.cpuDeniedCoreHours).toBeCloseTo(10 / 60, 9);
  });
});

describe('memory: the OOM killer', () => {
  it('kills the batch pod when the node runs out of memory; its work is lost and its controller recreates it', async () => {
    const ev: TraceEvent[] = [
      { type: 'node-add', time: START, node: node('n1', { allocatable: { cpu: 16_000, memory: 8 * GiB } }) },
      { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'web', requests: { cpu: 2000, memory: 4 * GiB } }) },
      { type: 'pod-usage', time: START, uid: 'web', cpu: 1000, memory: 4 * GiB },
      { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'job', class: 'batch', app: 'etl', priority: 5000, requests: { cpu: 2000, memory: 2 * GiB }, runtimeMs: 10 * H }) },
      { type: 'pod-usage', time: START, uid: 'job', cpu: 2000, memory: 2 * GiB },
      // At 30 min the batch pod grows to 5 GiB: 9 GiB > 8. Badness (oom_score_adj = 1000 - 1000 x
      // request / capacity): web 4 GiB + 500/1000 x 8 = 8, job 5 + 750/1000 x 8 = 11: the job dies.
      { type: 'pod-usage', time: START + 30 * MIN, uid: 'job', cpu: 2000, memory: 5 * GiB },
    ];
    const p = await one(ev, 'kube-default', START + 30 * MIN);
    expect(p.totals.batch.oomKills).toBe(1);
    expect(p.totals.onlineRisk.onlineOomKills).toBe(0);
    // 30 minutes of 2 cores lost (no checkpoint): 1 core-hour.
    expect(p.totals.evictions.workLostOomCoreHours).toBeCloseTo(1, 9);
    expect(p.totals.evictions.total).toBe(0);
    expect(p.series.at(-1)!.oomKills).toBe(1);
  });
});

describe('work lost by cause', () => {
  it('a node leaving after 30 minutes loses 2 cores x 30 min = 1 core-hour', async () => {
    const ev: TraceEvent[] = [
      { type: 'node-add', time: START, node: node('n1') },
      { type: 'pod-arrival', time: START, pod: tracePod({ uid: 'job', class: 'batch', app: 'etl', priority: 5000, requests: { cpu: 2000, memory: GiB }, runtimeMs: 10 * H }) },
      { type: 'node-remove', time: START + 30 * MIN, name: 'n1' },
    ];
    const p = await one(ev, 'kube-default', START + H);
    expect(p.totals.evictions.workLostNodeLossCoreHours).toBeCloseTo(1, 9);
    expect(p.totals.evictions.workLostCoreHours).toBe(0);
  });
});

describe('node usage samples: missing or stale is unknown, not zero', () => {
  it("leaves a node without a recent sample out of utilisation instead of counting it idle", async () => {
    const ev: TraceEvent[] = [
      { type: 'node-add', time: START, node: node('a', { allocatable: { cpu: 10_000, memory: 10 * GiB } }) },
      { type: 'node-add', time: START, node: node('b', { allocatable: { cpu: 10_000, memory: 10 * GiB } }) },
      { type: 'node-usage', time: START, name: 'a', cpu: 5000, memory: 5 * GiB },
      { type: 'node-usage', time: START, name: 'b', cpu: 3000, memory: 3 * GiB },
      // b's samples stop; a's go on.
      ...Array.from({ length: 12 }, (_, i): TraceEvent => ({ type: 'node-usage', time: START + (i + 1) * 5 * MIN, name: 'a', cpu: 5000, memory: 5 * GiB })),
    ];
    const p = await one(ev, 'kube-default', START + H);
    // At 0: (5 + 3) / 20 = 40 %. From 20 min (b's sample older than 15 min): a alone, 50 % (not 25 %).
    expect(p.series[0]!.cpuUsedOnline).toBeCloseTo(0.4, 9);
    expect(p.series.find((x) => x.time === START + 15 * MIN)!.cpuUsedOnline).toBeCloseTo(0.4, 9);
    expect(p.series.find((x) => x.time === START + 20 * MIN)!.cpuUsedOnline).toBeCloseTo(0.5, 9);
    expect(p.series.at(-1)!.cpuUsedOnline).toBeCloseTo(0.5, 9);
  });
});

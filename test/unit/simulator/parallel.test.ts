// The parallel replay (simulator/engine/parallel): the trace's events survive the batch encoding
// exactly, and a replay on worker threads writes the single-thread run's totals.csv and series.csv
// byte for byte.

import { describe, expect, it } from 'vitest';
import { BatchDecoder, BatchEncoder } from '../../../simulator/engine/parallel/encode.ts';
import { groupPolicies, type ParallelStats } from '../../../simulator/engine/parallel/run.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { koordinatorPolicy } from '../../../simulator/peers/koordinator/policy.ts';
import { DEFAULT_POLICIES, policyByName } from '../../../simulator/policies/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { generate } from '../../../simulator/traces/synthetic.ts';
import { GiB, node } from '../../helpers/core.ts';
import { replayCsvs } from '../../helpers/csv.ts';
import { arrayTrace, PEAK_PROFILE, SIM_START, tracePod } from '../../helpers/trace.ts';

const H = 3_600_000;
const START = SIM_START;
const PEAK = PEAK_PROFILE;

describe('batch encoding', () => {
  it('gives back every event type exactly, optional fields and interned strings included', () => {
    const events: TraceEvent[] = [
      { type: 'node-add', time: 1, node: node('n0') },
      { type: 'node-add', time: 1, node: { ...node('nö-1'), labels: { zone: 'z1', 'kubernetes.io/hostname': 'nö-1' }, zone: 'z1', unschedulable: true, taints: [{ key: 'k', value: '', effect: 'NoSchedule' }] } },
      { type: 'node-add', time: 1, node: { ...node('n2'), taints: [] } },
      { type: 'pod-arrival', time: 2.5, pod: tracePod({ uid: 'p-1', app: 'wéb', requests: { cpu: 1234.5, memory: 3 * GiB + 1 } }) },
      { type: 'pod-arrival', time: 3, pod: tracePod({ uid: 'p-2', class: 'batch', job: 'j', runtimeMs: 1e9, declaredRuntimeMs: 7, checkpointable: true, nodeName: 'n0', createdAt: 5000, priority: -1 }) },
      { type: 'pod-usage', time: 4, uid: 'p-1', cpu: 0.1 + 0.2, memory: Number.MAX_SAFE_INTEGER },
      { type: 'app-usage', time: 4, app: 'wéb', cpu: 1 / 3, memory: 0 },
      { type: 'node-usage', time: 5, name: 'nö-1', cpu: -0, memory: 1e-300 },
      { type: 'pod-end', time: 6, uid: 'p-1' },
      { type: 'node-remove', time: 7, name: 'n2' },
    ];
    const enc = new BatchEncoder();
    const dec = new BatchDecoder();
    for (const e of events.slice(0, 4)) enc.add(e);
    const first = enc.flush();
    expect(first.nums.buffer).toBeInstanceOf(SharedArrayBuffer);
    for (const e of events.slice(4)) enc.add(e);
    const out = [...dec.decode(first), ...dec.decode(enc.flush())];
    expect(out).toStrictEqual(events);
    expect(Object.is((out[7] as { cpu: number }).cpu, -0)).toBe(true);
    expect('nodeName' in (out[3] as { pod: object }).pod).toBe(false);
  });
});

describe('parallel replay', () => {
  it('writes the single-thread totals.csv and series.csv byte for byte, several policies per worker or one each', async () => {
    // Half a synthetic day around the Double 11 peak (its scale-out and surge): a thousand events and
    // more, so many small batches. The peers with their own controller timers and node agents run.
    const trace = () => generate({ seed: 3, days: 0.5, start: '2026-11-10T18:00:00+08:00', nodes: { count: 5 }, online: { apps: 5 }, batch: { jobsPerHour: 8 } });
    const policies = DEFAULT_POLICIES.map(policyByName);
    const base = { profile: PEAK, policies, options: { sampleIntervalMs: 2 * 60_000 } };
    const single = await replayCsvs({ ...base, trace: trace(), threads: 1, lockstep: true });
    expect(single.events).toBeGreaterThan(1000);
    // Small batches and a small window: many batches, and the reader held back by flow control.
    let stats: ParallelStats | undefined;
    const one = await replayCsvs({ ...base, trace: trace(), threads: policies.length, parallel: { batchEvents: 200, window: 2, onStats: (s) => (stats = s) } });
    expect(stats!.threads).toBe(policies.length);
    expect(stats!.batches).toBeGreaterThan(5);
    expect(one.totals).toBe(single.totals);
    expect(one.series).toBe(single.series);
    const grouped = await replayCsvs({ ...base, trace: trace(), threads: 2, parallel: { batchEvents: 500 } });
    expect(grouped.totals).toBe(single.totals);
    expect(grouped.series).toBe(single.series);
    // More workers than cores: they take turns through the gate, batch by batch.
    for (const cores of [1, 2]) {
      let gated: ParallelStats | undefined;
      const r = await replayCsvs({ ...base, trace: trace(), threads: policies.length, parallel: { batchEvents: 150, window: 3, cores, onStats: (s) => (gated = s) } });
      expect(r.totals).toBe(single.totals);
      expect(r.series).toBe(single.series);
      expect(gated!.workers.reduce((t, w) => t + w.gateMs, 0)).toBeGreaterThan(0);
    }
  }, 240_000);

  it('puts the heaviest policies on workers first, each to the least loaded, keeping the input order within a worker', () => {
    const named = (names: string[]) => names.map(policyByName);
    // Weights 4.3, 1.8, 5.3, 5.2, 7 (run.ts REPLAY_WEIGHT). Heaviest first, each to the lighter worker:
    // time-sharing (7) to worker 0; volcano-tdm (5.3) to worker 1; katalyst-tide (5.2) to worker 1 (5.3
    // against 7); kube-default (4.3) to worker 0 (7 against 10.5); koordinator (1.8) to worker 1 (10.5
    // against 11.3).
    expect(groupPolicies(named(['kube-default', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'time-sharing']), 2)).toStrictEqual([
      [0, 4],
      [1, 2, 3],
    ]);
    expect(groupPolicies(named(['kube-default', 'time-sharing']), 2)).toStrictEqual([[1], [0]]);
    expect(groupPolicies(named(['kube-default', 'koordinator', 'time-sharing']), 5)).toStrictEqual([[2], [0], [1]]);
  });

  it('stops reading where the single-thread replay does (until) and keeps the order of the policies', async () => {
    const events: TraceEvent[] = [];
    for (let i = 0; i < 3; i++) events.push({ type: 'node-add', time: START, node: node(`n${i}`) });
    for (let j = 0; j < 40; j++) {
      events.push({ type: 'pod-arrival', time: START + j * 15 * 60_000, pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', job: `job-${j % 5}`, requests: { cpu: 3000, memory: 2 * GiB }, runtimeMs: (1 + (j % 3)) * H }) });
    }
    const until = START + 6 * H;
    const input = (threads: number) => ({ trace: arrayTrace(events), profile: PEAK, policies: ['time-sharing', 'kube-default'].map(policyByName), until, threads });
    const a = await replayCsvs(input(1));
    const b = await replayCsvs(input(2));
    expect(b).toStrictEqual(a);
  }, 60_000);

  it('tracks forecast against actual on worker threads as in this thread (trackForecast)', async () => {
    const events: TraceEvent[] = [];
    for (let i = 0; i < 3; i++) events.push({ type: 'node-add', time: START, node: node(`n${i}`) });
    for (let j = 0; j < 8; j++) events.push({ type: 'pod-arrival', time: START, pod: tracePod({ uid: `o-${j}`, app: `web-${j % 2}`, requests: { cpu: 2000, memory: 2 * GiB } }) });
    for (let j = 0; j < 20; j++) {
      events.push({ type: 'pod-arrival', time: START + j * 15 * 60_000, pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', job: `job-${j % 4}`, requests: { cpu: 2000, memory: GiB }, runtimeMs: H }) });
    }
    const input = (threads: number) => ({ trace: arrayTrace(events), profile: PEAK, policies: ['time-sharing', 'kube-default'].map(policyByName), until: START + 4 * H, threads, trackForecast: { leadMs: 0 } });
    const a = await simulate(input(1));
    const b = await simulate(input(2));
    const ts = a.policies[0]!.forecast!;
    expect(ts.policy).toBe('time-sharing');
    expect(ts.nodes.map((n) => n.node).sort()).toStrictEqual(['n0', 'n1', 'n2']);
    expect(ts.nodes.reduce((k, n) => k + n.compared, 0)).toBeGreaterThan(0);
    expect(a.policies[1]!.forecast).toBeUndefined();
    expect(b.policies.map((p) => p.forecast)).toStrictEqual(a.policies.map((p) => p.forecast));
  }, 60_000);

  it('stays in this thread under auto when a callback or a custom policy cannot cross, and refuses an explicit count', async () => {
    const trace = arrayTrace([{ type: 'node-add', time: START, node: node('n0') }]);
    const custom = koordinatorPolicy({ reclaimCpuPercent: 50 });
    await expect(simulate({ trace, profile: PEAK, policies: [custom, policyByName('kube-default')], threads: 2 })).rejects.toThrow(/not one of the named policies/);
    await expect(simulate({ trace, profile: PEAK, policies: DEFAULT_POLICIES.map(policyByName), threads: 2, onStep: () => {} })).rejects.toThrow(/onStep/);
    const r = await simulate({ trace, profile: PEAK, policies: [custom, policyByName('kube-default')], threads: 'auto', until: START + H });
    expect(r.policies.map((p) => p.policy)).toStrictEqual([custom.name, 'kube-default']);
  });

  it('reports a worker-side error (an out-of-order trace) as the single-thread run does', async () => {
    const bad = { info: { format: 'array', source: 'bad', skipped: new Map() }, async *events(): AsyncGenerator<TraceEvent> {
      yield { type: 'node-add', time: START + H, node: node('n0') };
      yield { type: 'node-add', time: START, node: node('n1') };
    } };
    const policies = ['time-sharing', 'kube-default'].map(policyByName);
    const single = await simulate({ trace: bad, profile: PEAK, policies, threads: 1 }).catch((e: Error) => e.message);
    const par = await simulate({ trace: bad, profile: PEAK, policies, threads: 2 }).catch((e: Error) => e.message);
    expect(single).toMatch(/out of order/);
    expect(par).toBe(single);
    // Through the gate (one core for two workers): the other worker may be waiting for its turn.
    const gated = await simulate({ trace: bad, profile: PEAK, policies, threads: 2, parallel: { cores: 1, batchEvents: 1 } }).catch((e: Error) => e.message);
    expect(gated).toBe(single);
  });
});

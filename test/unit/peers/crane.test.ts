// The crane baseline pinned to hand-computed cases of Crane's formulas and defaults
// (simulator/peers/crane/formula.ts), and a short simulation.

import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { annotatorLoad, craneElastic, dynamicOverload, dynamicScore, elasticFromSamples, elasticUpdated, hotValue, type DynamicLoad, type NodeUsageSample } from '../../../simulator/peers/crane/formula.ts';
import { ELASTIC_KEYS, LOAD_KEYS } from '../../../simulator/peers/crane/plugin.ts';
import { CRANE } from '../../../simulator/peers/crane/policy.ts';
import { craneController } from '../../../simulator/peers/crane/controller.ts';
import { policyByName, type ControllerApi } from '../../../simulator/policies/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { batch, GiB, node } from '../../helpers/core.ts';
import { arrayTrace, tracePod } from '../../helpers/trace.ts';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.parse('2026-11-10T00:00:00Z');

describe('crane elastic resource (node_resource_manager.go BuildNodeStatus)', () => {
  it('is allocatable - reserve - the larger of the predicted maximum over the horizon and local usage', () => {
    expect(craneElastic({ allocatable: 16, reservePercent: 0, predicted: [3, 5.5, 4], localUsage: 4.2 })).toBe(10.5);
    expect(craneElastic({ allocatable: 16, reservePercent: 0, predicted: [3, 5.5, 4], localUsage: 7 })).toBe(9);
    expect(craneElastic({ allocatable: 16, reservePercent: 0.1, predicted: [3, 5.5, 4], localUsage: 4.2 })).toBeCloseTo(8.9, 12);
    expect(craneElastic({ allocatable: 16, reservePercent: 0, predicted: [17], localUsage: 0 })).toBe(0);
  });

  it('is republished only when it moves by more than 10 % (MinDeltaRatio)', () => {
    expect(elasticUpdated(undefined, 5)).toBe(true);
    expect(elasticUpdated(0, 5)).toBe(true);
    expect(elasticUpdated(10, 10.9)).toBe(false);
    expect(elasticUpdated(10, 9)).toBe(false);
    expect(elasticUpdated(10, 11.5)).toBe(true);
  });

  it('gives a node with known usage history exactly allocatable - p99 of 3 days of whole-node cpu usage', () => {
    const now = T0 + 4 * 24 * H;
    const A = { cpu: 16_000, memory: 64 * GiB };
    const s: NodeUsageSample[] = [];
    // At the window's edge (3 days back, excluded): a 9-core sample that must not count.
    s.push({ time: now - 3 * 24 * H, totalCpu: 9000, nonElasticCpu: 9000, nonElasticMemory: 60 * GiB });
    // 100 samples 5 minutes apart: whole-node usage 2 cores, two peaks at 6 cores that are mostly batch
    // (1 core online + 5 batch). p99 of 100 sorted values lies between the 99th and the 100th, both 6000.
    for (let k = 0; k < 100; k++) {
      const peak = k === 30 || k === 60;
      s.push({ time: now - (99 - k) * 5 * MIN, totalCpu: peak ? 6000 : 2000, nonElasticCpu: peak ? 1000 : 1500, nonElasticMemory: 20 * GiB });
    }
    // cpu: 16000 - max(6000, 1500) = 10000 (the batch in the peaks counts); memory: 64 - 20 GiB (CPU-only TSP).
    expect(elasticFromSamples(s, now, A)).toEqual({ cpu: 10_000, memory: 44 * GiB });
    // The current non-batch usage wins when it is higher than the prediction: 16000 - 7000.
    s.push({ time: now + MIN, totalCpu: 8000, nonElasticCpu: 7000, nonElasticMemory: 20 * GiB });
    expect(elasticFromSamples(s, now + MIN, A)!.cpu).toBe(9000);
    expect(elasticFromSamples([], now, A)).toBeNull();
    // The sweep's knobs: the median (p50) ignores the two peaks: 16000 - max(2000, 1500 latest non-batch) = 14000 ...
    expect(elasticFromSamples(s.slice(0, 101), now, A, { percentile: 0.5, historyMs: 3 * 24 * H })!.cpu).toBe(14_000);
    // ... and one hour of history (the last 12 samples, no peak in them) predicts 2 cores at p99 too.
    expect(elasticFromSamples(s.slice(0, 101), now, A, { percentile: 0.99, historyMs: H })!.cpu).toBe(14_000);
  });

  it('the engine fits batch in the published gocrane.io/cpu less the batch already there; none before it is published', () => {
    const state = new ClusterState(CRANE.config.usage);
    state.upsertNode(node('n1', { labels: { [ELASTIC_KEYS.cpu]: '10000', [ELASTIC_KEYS.memory]: String(44 * GiB) } }), T0);
    state.upsertNode(node('new'), T0);
    const engine = new PolicyEngine({ config: CRANE.config, state, profile: CRANE.profileFor(constantProfile({ batchShare: 1, onlineHeadroom: 0 })), definitions: CRANE.definitions });
    const feasible = (cpu: number) => engine.filter(engine.context(batch({ requests: { cpu, memory: GiB } }), T0), null).feasible.map((n) => n.name);
    expect(feasible(10_000)).toEqual(['n1']);
    expect(feasible(10_001)).toEqual([]);
    state.upsertPod(batch({ uid: 'b0', nodeName: 'n1', requests: { cpu: 4000, memory: GiB } }), T0);
    expect(feasible(6000)).toEqual(['n1']);
    expect(feasible(6001)).toEqual([]);
  });
});

describe('crane agent and annotator (controller.ts)', () => {
  it('publishes the elastic resource from each new sample, again only when it moves by more than 10 %', () => {
    const state = new ClusterState();
    state.upsertNode(node('n1'), T0);
    const api = {
      state,
      pending: () => [],
      evict: () => false,
      setNodeLabels: (name: string, labels: Readonly<Record<string, string>>) => state.upsertNode({ ...state.nodes.get(name)!.spec, labels: { ...labels } }, T0),
      rateAvailable: () => 0,
      rateTake: () => {},
    } as unknown as ControllerApi;
    const c = craneController();
    const at = (k: number, onlineCpu: number, batchCpu: number) => {
      state.recordNodeUsage('n1', { time: T0 + k * 5 * MIN, online: { cpu: onlineCpu, memory: 16 * GiB }, batch: { cpu: batchCpu, memory: 0 } });
      c.tick(api, T0 + k * 5 * MIN);
      return state.nodes.get('n1')!.spec.labels;
    };
    // Whole node 4 cores (1 of them batch): 16 - 4 = 12 cores; memory 64 - 16 GiB; cpu avg_5m 0.25.
    let l = at(0, 3000, 1000);
    expect(l[ELASTIC_KEYS.cpu]).toBe('12000');
    expect(l[ELASTIC_KEYS.memory]).toBe(String(48 * GiB));
    expect(l[LOAD_KEYS.cpu.avg5m]).toBe('0.2500');
    // p99 of [4000, 5000] (linear between order statistics): 4000 + 0.99 x 1000 = 4990; 16000 - 4990 = 11010,
    // 8.25 % off 12000: kept.
    l = at(1, 3000, 2000);
    expect(l[ELASTIC_KEYS.cpu]).toBe('12000');
    // Whole node at 8 cores: p99 of [4000, 5000, 8000] = 5000 + 0.98 x 3000 = 7940; 16000 - 7940 = 8060,
    // 33 % off: rewritten.
    l = at(2, 2000, 6000);
    expect(l[ELASTIC_KEYS.cpu]).toBe('8060');
  });
});

describe("crane's Dynamic plugin (crane-scheduler dynamic/stats.go, policy.yaml)", () => {
  const load = (cpu: [number | null, number | null, number | null], mem: [number | null, number | null, number | null]): DynamicLoad => ({
    cpu: { avg5m: cpu[0], maxAvg1h: cpu[1], maxAvg1d: cpu[2] },
    memory: { avg5m: mem[0], maxAvg1h: mem[1], maxAvg1d: mem[2] },
  });

  it('refuses a node over 65 % (5-minute average) or 75 % (1-hour max) in cpu or memory; a missing value passes', () => {
    expect(dynamicOverload(load([0.65, 0.75, 0.99], [0.65, 0.75, 0.99]))).toBeNull();
    expect(dynamicOverload(load([0.66, 0.5, 0.5], [0.1, 0.1, 0.1]))).toBe('cpu_usage_avg_5m');
    expect(dynamicOverload(load([0.5, 0.76, 0.5], [0.1, 0.1, 0.1]))).toBe('cpu_usage_max_avg_1h');
    expect(dynamicOverload(load([0.5, 0.5, 0.5], [0.1, 0.76, 0.1]))).toBe('mem_usage_max_avg_1h');
    expect(dynamicOverload(load([null, null, null], [null, null, null]))).toBeNull();
  });

  it('scores the weighted (1 - usage): weights 0.2 / 0.3 / 0.5, less 10 per hot value', () => {
    // cpu (1-.5)*.2 + (1-.6)*.3 + (1-.8)*.5 = .32; memory .8*.2 + .7*.3 + .6*.5 = .67; x100 / 2 = 49.5 -> 49.
    const l = load([0.5, 0.6, 0.8], [0.2, 0.3, 0.4]);
    expect(dynamicScore(l)).toBe(49);
    expect(dynamicScore(l, 2)).toBe(29);
    // A missing metric keeps its weight in the divisor: (1 - 0) x 0.2 x 100 / 2 = 10.
    expect(dynamicScore(load([0, null, null], [null, null, null]))).toBe(10);
  });

  it('counts hot value as bindings in 5 min / 5 + bindings in 1 min / 2, integer divisions', () => {
    const now = T0;
    const b = [now - 4 * MIN, now - 3 * MIN, now - 2 * MIN, now - 90_000, now - 30_000, now - 20_000, now - 10_000, now - 6 * MIN];
    expect(hotValue(b, now)).toBe(1 + 1);
    expect(hotValue([now - 10_000], now)).toBe(0);
  });

  it('annotates avg_5m, the max 5-minute average of the last hour and of the last day', () => {
    const now = T0 + 2 * 24 * H;
    const s = [
      { time: now - 30 * H, cpu: 0.99, memory: 0.9 },
      { time: now - 20 * H, cpu: 0.9, memory: 0.8 },
      { time: now - 50 * MIN, cpu: 0.8, memory: 0.4 },
      { time: now - 20 * MIN, cpu: 0.5, memory: 0.3 },
      { time: now - 4 * MIN, cpu: 0.7, memory: 0.2 },
      { time: now - MIN, cpu: 0.5, memory: 0.4 },
    ];
    const l = annotatorLoad(s, now);
    expect(l.cpu.avg5m).toBeCloseTo(0.6, 12);
    expect(l.cpu.maxAvg1h).toBeCloseTo(0.8, 12);
    expect(l.cpu.maxAvg1d).toBeCloseTo(0.9, 12);
    expect(l.memory.avg5m).toBeCloseTo(0.3, 12);
    expect(annotatorLoad([], now).cpu.avg5m).toBeNull();
  });

  it('the engine refuses a node whose annotation is over the threshold', () => {
    const state = new ClusterState(CRANE.config.usage);
    const elastic = { [ELASTIC_KEYS.cpu]: '8000', [ELASTIC_KEYS.memory]: String(32 * GiB) };
    state.upsertNode(node('hot', { labels: { ...elastic, [LOAD_KEYS.cpu.avg5m]: '0.7000' } }), T0);
    state.upsertNode(node('cool', { labels: { ...elastic, [LOAD_KEYS.cpu.avg5m]: '0.6000' } }), T0);
    const engine = new PolicyEngine({ config: CRANE.config, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }), definitions: CRANE.definitions });
    const out = engine.filter(engine.context(batch({ requests: { cpu: 1000, memory: GiB } }), T0), null);
    expect(out.feasible.map((n) => n.name)).toEqual(['cool']);
    expect(out.failed.get('hot')).toContain('cpu_usage_avg_5m');
  });
});

describe('crane policy in the simulator', () => {
  it('places batch on the elastic resource, annotates nodes, and its totals add up', async () => {
    const ev: TraceEvent[] = [];
    for (let i = 0; i < 3; i++) ev.push({ type: 'node-add', time: T0, node: node(`n${i}`) });
    for (let i = 0; i < 6; i++) ev.push({ type: 'pod-arrival', time: T0, pod: tracePod({ uid: `web-${i}`, app: 'web', requests: { cpu: 4000, memory: 8 * GiB } }) });
    for (let h = 0; h <= 12; h++) ev.push({ type: 'app-usage', time: T0 + h * H, app: 'web', cpu: h >= 6 && h <= 8 ? 0.8 : 0.3, memory: 0.4 });
    for (let j = 0; j < 30; j++) {
      ev.push({ type: 'pod-arrival', time: T0 + j * 15 * MIN, pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', priority: 5000, job: `job-${j % 5}`, requests: { cpu: 2000, memory: 2 * GiB }, runtimeMs: H }) });
    }
    let labelled = 0;
    const r = await simulate({
      trace: arrayTrace(ev),
      profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }),
      policies: [policyByName('crane')],
      until: T0 + 12 * H,
      onStep: (_now, sims) => {
        for (const sim of sims) {
          const c = sim.census();
          expect(c.arrived).toBe(c.running + c.pending + c.recreating + c.completed + c.ended);
          for (const n of sim.state.nodeList) {
            expect(n.requested.online.cpu + n.requested.system.cpu).toBeLessThanOrEqual(n.spec.allocatable.cpu);
            if (n.spec.labels[LOAD_KEYS.cpu.avg5m] !== undefined && n.spec.labels[ELASTIC_KEYS.cpu] !== undefined) labelled++;
          }
        }
      },
    });
    const t = r.policies[0]!.totals;
    expect(t.policy).toBe('crane');
    expect(t.batch.arrived).toBe(30);
    expect(t.batch.completed).toBeGreaterThan(0);
    expect(t.batch.completed + t.batch.unfinished).toBe(t.batch.arrived);
    expect(t.evictions.total).toBe(0);
    expect(t.utilisation.cpuUsedBatch).toBeGreaterThan(0);
    expect(labelled).toBeGreaterThan(0);
  });
});

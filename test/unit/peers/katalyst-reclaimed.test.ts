// The katalyst-reclaimed baseline pinned to hand-computed cases of sysadvisor's util-based headroom
// and the reporter's floor (simulator/peers/katalyst-reclaimed/formula.ts), and a short simulation.

import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { ratchet, reclaimedCpu, reclaimedCpuNow, reclaimedMemory, reclaimSupply, reported, utilBasedHeadroom } from '../../../simulator/peers/katalyst-reclaimed/formula.ts';
import { LAST_HEADROOM_KEY } from '../../../simulator/peers/katalyst-reclaimed/plugin.ts';
import { KATALYST_RECLAIMED, katalystReclaimedPolicy } from '../../../simulator/peers/katalyst-reclaimed/policy.ts';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { batch, GiB, node } from '../../helpers/core.ts';
import { arrayTrace, tracePod } from '../../helpers/trace.ts';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.parse('2026-11-10T00:00:00Z');

describe('katalyst util-based cpu headroom (estimation_canonical.go EstimateUtilBasedCapacity)', () => {
  it('adds supply x (0.6 - util) to the last headroom, never below supply, at most 1.2 x supply and the node', () => {
    // supply 10, reclaimed usage 3: util 0.3, oversold 10 x 0.3 = 3; max(0 + 3, 10) = 10.
    expect(utilBasedHeadroom({ allocatable: 16, supply: 10, reclaimedUsage: 3, last: 0 })).toBe(10);
    // Next report: max(10 + 3, 10) = 13, capped at 1.2 x 10 = 12.
    expect(utilBasedHeadroom({ allocatable: 16, supply: 10, reclaimedUsage: 3, last: 10 })).toBe(12);
    // Util 0.8 above the target: no oversold (max utilisation 0 never lowers it): max(12, 10) = 12.
    expect(utilBasedHeadroom({ allocatable: 16, supply: 10, reclaimedUsage: 8, last: 12 })).toBe(12);
    // The node caps it (MaxHeadroomCapacityRate 1): min(12, 11) = 11.
    expect(utilBasedHeadroom({ allocatable: 11, supply: 10, reclaimedUsage: 3, last: 12 })).toBe(11);
    // A configured max utilisation 0.7 lowers it when util 0.8 exceeds it: 12 + 10 x (0.7 - 0.8) = 11.
    expect(utilBasedHeadroom({ allocatable: 16, supply: 10, reclaimedUsage: 8, last: 12, maxUtilization: 0.7 })).toBeCloseTo(11, 12);
    expect(utilBasedHeadroom({ allocatable: 16, supply: 0, reclaimedUsage: 0, last: 5 })).toBe(0);
  });

  it('supply on a shared node is A - 4 cores reserved - online usage; the reporter floors at 4 cores / 5 GiB', () => {
    expect(reclaimSupply(16_000, 4000, 5000)).toBe(7000);
    expect(reclaimSupply(16_000, 4000, 13_000)).toBe(0);
    expect(reported(2000, 0, 4000)).toBe(4000);
    // 16 cores, 5 cores online: supply 7 cores, settled headroom 1.2 x 7 = 8.4 cores.
    expect(reclaimedCpu(16_000, 5000)).toBeCloseTo(8400, 9);
    // An idle node: 1.2 x 12 = 14.4 cores, under the node's 16.
    expect(reclaimedCpu(16_000, 0)).toBeCloseTo(14_400, 9);
    // A node full of online work still reports the 4-core floor.
    expect(reclaimedCpu(16_000, 13_000)).toBe(4000);
    // Memory: 64 GiB - 5 GiB - 20 GiB = 39 GiB; 62 GiB online: the 5 GiB floor.
    expect(reclaimedMemory(64 * GiB, 20 * GiB)).toBe(39 * GiB);
    expect(reclaimedMemory(64 * GiB, 62 * GiB)).toBe(5 * GiB);
  });

  it('ratchets from the reported headroom, 12 periods a minute, and the target sets how far it climbs', () => {
    // supply 10 cores, reclaimed usage 3: +3 a period from 0: 10 (floor: supply), 12 (cap 1.2 x 10).
    expect(ratchet(0, 16_000, 10_000, 3000, 1, 0.6)).toBe(10_000);
    expect(ratchet(0, 16_000, 10_000, 3000, 12, 0.6)).toBe(12_000);
    // Target 0.3 = util: nothing oversold, the headroom stays at the supply.
    expect(ratchet(0, 16_000, 10_000, 3000, 12, 0.3)).toBe(10_000);
    // Target 0.35: 10 x (0.35 - 0.3) = +0.5 core a period: 10 -> 10.5.
    expect(ratchet(10_000, 16_000, 10_000, 3000, 1, 0.35)).toBeCloseTo(10_500, 9);
    // Busy reclaimed pods (util 0.8) keep what was reported, within the current supply's bounds.
    expect(ratchet(11_000, 16_000, 10_000, 8000, 12, 0.6)).toBe(11_000);
    // At a decision the last headroom is clamped to the supply of the moment, then floored at 4 cores.
    expect(reclaimedCpuNow(16_000, 5000, 11_000, 4000)).toBeCloseTo(8400, 9);
    expect(reclaimedCpuNow(16_000, 0, 11_000, 4000)).toBe(12_000);
    expect(reclaimedCpuNow(16_000, 13_000, 11_000, 4000)).toBe(4000);
    // A larger reserve (8 cores): supply 16 - 8 - 5 = 3, headroom at most 3.6 -> the 4-core floor.
    expect(reclaimedCpuNow(16_000, 5000, 11_000, 8000)).toBe(4000);
  });

  it('the engine gives a batch pod exactly the reclaimed cpu left on a node with known usage', () => {
    const state = new ClusterState(KATALYST_RECLAIMED.config.usage);
    state.upsertNode(node('n1', { labels: { [LAST_HEADROOM_KEY]: '20000' } }), T0);
    state.recordNodeUsage('n1', { time: T0, online: { cpu: 5000, memory: 16 * GiB }, batch: { cpu: 0, memory: 0 } });
    state.upsertPod(batch({ uid: 'b0', nodeName: 'n1', requests: { cpu: 4000, memory: GiB } }), T0);
    const engine = new PolicyEngine({ config: KATALYST_RECLAIMED.config, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }), definitions: KATALYST_RECLAIMED.definitions });
    const fits = (cpu: number, memory = GiB) => engine.filter(engine.context(batch({ requests: { cpu, memory } }), T0), null).feasible.length === 1;
    // The reported headroom (20 cores) clamped to 1.2 x (16 - 4 - 5) = 8400 reclaimed - 4000 held = 4400 millicores.
    expect(fits(4400)).toBe(true);
    expect(fits(4401)).toBe(false);
    // Memory: 64 - 5 - 16 = 43 GiB, 1 GiB held: 42 GiB.
    expect(fits(1000, 42 * GiB)).toBe(true);
    expect(fits(1000, 42 * GiB + 1)).toBe(false);
  });
});

describe('katalyst-reclaimed policy in the simulator', () => {
  it('places batch on shared nodes from the reclaimed resource, and its totals add up', async () => {
    const ev: TraceEvent[] = [];
    for (let i = 0; i < 3; i++) ev.push({ type: 'node-add', time: T0, node: node(`n${i}`) });
    for (let i = 0; i < 6; i++) ev.push({ type: 'pod-arrival', time: T0, pod: tracePod({ uid: `web-${i}`, app: 'web', requests: { cpu: 4000, memory: 8 * GiB } }) });
    for (let h = 0; h <= 12; h++) ev.push({ type: 'app-usage', time: T0 + h * H, app: 'web', cpu: h >= 6 && h <= 8 ? 0.8 : 0.3, memory: 0.4 });
    for (let j = 0; j < 30; j++) {
      ev.push({ type: 'pod-arrival', time: T0 + j * 15 * MIN, pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', priority: 5000, job: `job-${j % 5}`, requests: { cpu: 2000, memory: 2 * GiB }, runtimeMs: H }) });
    }
    let shared = 0;
    const r = await simulate({
      trace: arrayTrace(ev),
      profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }),
      policies: [policyByName('katalyst-reclaimed')],
      until: T0 + 12 * H,
      onStep: (_now, sims) => {
        for (const sim of sims) {
          const c = sim.census();
          expect(c.arrived).toBe(c.running + c.pending + c.recreating + c.completed + c.ended);
          for (const n of sim.state.nodeList) {
            // Batch never holds more than the node's reclaimed ceiling (1.2 x (A - 4 cores) at most).
            expect(n.requested.batch.cpu).toBeLessThanOrEqual(1.2 * (n.spec.allocatable.cpu - 4000) + 1e-6);
            if (n.requested.batch.cpu > 0 && n.requested.online.cpu > 0) shared++;
          }
        }
      },
    });
    const t = r.policies[0]!.totals;
    expect(t.policy).toBe('katalyst-reclaimed');
    expect(t.batch.arrived).toBe(30);
    expect(t.batch.completed).toBeGreaterThan(0);
    expect(t.batch.completed + t.batch.unfinished).toBe(t.batch.arrived);
    expect(t.evictions.total).toBe(0);
    // Co-located: batch and online on the same node (unlike katalyst-tide's pools).
    expect(shared).toBeGreaterThan(0);
  });

  it('offers no reclaimed CPU before the agent has reported, and ratchets per node once it has', async () => {
    const ev: TraceEvent[] = [{ type: 'node-add', time: T0, node: node('n0') }];
    ev.push({ type: 'pod-arrival', time: T0, pod: tracePod({ uid: 'web', app: 'web', requests: { cpu: 8000, memory: 8 * GiB } }) });
    ev.push({ type: 'app-usage', time: T0, app: 'web', cpu: 0.5, memory: 0.5 });
    const seen: string[] = [];
    await simulate({
      trace: arrayTrace(ev),
      profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }),
      policies: [policyByName('katalyst-reclaimed')],
      until: T0 + 30 * MIN,
      onStep: (_now, sims) => {
        const v = sims[0]!.state.nodes.get('n0')?.spec.labels[LAST_HEADROOM_KEY];
        if (v !== undefined && seen[seen.length - 1] !== v) seen.push(v);
      },
    });
    // Online uses 4 cores: supply 16 - 4 - 4 = 8 cores; empty of batch (util 0): +4.8 cores a period,
    // so the first minute's 12 periods reach the cap 1.2 x 8 = 9.6 cores and it stays there.
    expect(seen).toEqual(['9600']);
  });

  it('foresight doubles the reserve from the peak\'s drain lead to its end', () => {
    const d11 = loadProfileFile('profiles/double11.yaml');
    const args = katalystReclaimedPolicy({ foresight: 1 }).pluginArgs!(d11).KatalystReclaimedFit as { raised: Array<[number, number]>; raisedReserve: { cpu: number } };
    // double11-peak 23:00 (1 h drain lead) to 02:00, merged with double11-day to 12 Nov 00:00 (+08:00).
    expect(args.raised).toEqual([[Date.parse('2026-11-10T22:00:00+08:00'), Date.parse('2026-11-12T00:00:00+08:00')]]);
    expect(args.raisedReserve.cpu).toBe(8000);
    expect((KATALYST_RECLAIMED.pluginArgs!(d11).KatalystReclaimedFit as { raised: unknown[] }).raised).toEqual([]);
  });

  it('leaves katalyst-tide as it was', () => {
    expect(policyByName('katalyst-tide').config.filters).toContain('KatalystTide');
    expect(policyByName('katalyst-reclaimed').config.filters).not.toContain('BatchCapacityFit');
  });
});

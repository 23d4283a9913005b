// The katalyst-reclaimed baseline pinned to hand-computed cases of sysadvisor's util-based headroom
// and the reporter's floor (simulator/peers/katalyst-reclaimed/formula.ts), and a short simulation.

import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { reclaimedCpu, reclaimedMemory, reclaimSupply, reported, utilBasedHeadroom } from '../../../simulator/peers/katalyst-reclaimed/formula.ts';
import { KATALYST_RECLAIMED } from '../../../simulator/peers/katalyst-reclaimed/policy.ts';
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

  it('the engine gives a batch pod exactly the reclaimed cpu left on a node with known usage', () => {
    const state = new ClusterState(KATALYST_RECLAIMED.config.usage);
    state.upsertNode(node('n1'), T0);
    state.recordNodeUsage('n1', { time: T0, online: { cpu: 5000, memory: 16 * GiB }, batch: { cpu: 0, memory: 0 } });
    state.upsertPod(batch({ uid: 'b0', nodeName: 'n1', requests: { cpu: 4000, memory: GiB } }), T0);
    const engine = new PolicyEngine({ config: KATALYST_RECLAIMED.config, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }), definitions: KATALYST_RECLAIMED.definitions });
    const fits = (cpu: number, memory = GiB) => engine.filter(engine.context(batch({ requests: { cpu, memory } }), T0), null).feasible.length === 1;
    // 8400 reclaimed - 4000 held = 4400 millicores.
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

  it('leaves katalyst-tide as it was', () => {
    expect(policyByName('katalyst-tide').config.filters).toContain('KatalystTide');
    expect(policyByName('katalyst-reclaimed').config.filters).not.toContain('BatchCapacityFit');
  });
});

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { batchCapacity, predictedNonBatch } from '../../../scheduler/core/capacity.ts';
import { simulate, type SimulationResult } from '../../../simulator/engine/simulation.ts';
import { DEFAULT_POLICIES, policyByName } from '../../../simulator/policies/index.ts';
import { readTidalTrace } from '../../../simulator/traces/tidal.ts';
import { loadProfileFile } from '../../../profiles/loader.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { GiB, node } from '../../helpers/core.ts';
import { arrayTrace, PEAK_PROFILE, SIM_START, tracePod } from '../../helpers/trace.ts';

const H = 3_600_000;
const START = SIM_START;
const PEAK = PEAK_PROFILE;

/** 4 nodes, 8 online pods with a usage curve, 60 batch pods over 20 hours. */
function scenario(): TraceEvent[] {
  const ev: TraceEvent[] = [];
  for (let i = 0; i < 4; i++) ev.push({ type: 'node-add', time: START, node: node(`n${i}`) });
  for (let i = 0; i < 8; i++) ev.push({ type: 'pod-arrival', time: START, pod: tracePod({ uid: `web-${i}`, app: 'web', requests: { cpu: 4000, memory: 8 * GiB } }) });
  for (let h = 0; h <= 20; h++) ev.push({ type: 'app-usage', time: START + h * H, app: 'web', cpu: h >= 9 && h <= 12 ? 0.9 : 0.3, memory: 0.5 });
  for (let j = 0; j < 60; j++) {
    ev.push({
      type: 'pod-arrival',
      time: START + j * 20 * 60_000,
      pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', priority: 5000, job: `job-${j % 20}`, requests: { cpu: 2000, memory: 2 * GiB }, runtimeMs: (1 + (j % 3)) * H, declaredRuntimeMs: j % 2 ? (1 + (j % 3)) * H : 0, checkpointable: j % 4 === 0 }),
    });
  }
  ev.push({ type: 'pod-end', time: START + 20 * H, uid: 'web-7' });
  return ev;
}

const run = (onStep?: Parameters<typeof simulate>[0]['onStep']): Promise<SimulationResult> =>
  simulate({ trace: arrayTrace(scenario()), profile: PEAK, policies: DEFAULT_POLICIES.map(policyByName), onStep });

function strip(r: SimulationResult): unknown {
  return { ...r, wallSeconds: 0, policies: r.policies.map((p) => ({ ...p, totals: { ...p.totals, cpuSeconds: null } })) };
}

describe('simulator engine', () => {
  it('is deterministic: same trace, same report', async () => {
    expect(strip(await run())).toEqual(strip(await run()));
  });

  it("gives each policy the same replay alone as beside the others (no policy's timers step another)", async () => {
    // Two days of a shipped scenario: Katalyst's controller ticks every 10 s and pods complete at
    // their own times, so a policy stepped on another's timers would requeue and place differently.
    const file = fileURLToPath(new URL('../../../simulator/scenarios/double11-week.jsonl.gz', import.meta.url));
    const profile = loadProfileFile(fileURLToPath(new URL('../../../profiles/double11.yaml', import.meta.url)));
    const replay = async (names: readonly string[]) => {
      const trace = await readTidalTrace(file);
      const r = await simulate({ trace, profile, policies: names.map(policyByName), until: Date.parse('2026-11-07T00:00:00+08:00') });
      return (strip(r) as SimulationResult).policies;
    };
    const together = await replay(DEFAULT_POLICIES);
    for (const name of DEFAULT_POLICIES) {
      const [alone] = await replay([name]);
      expect(alone, name).toEqual(together.find((p) => p.policy === name));
    }
    // Two days, every default policy twice: time-sharing's forecast makes it the slowest (~3x the timetable).
  }, 240_000);

  it('conserves pods, respects allocatable under kube-default and batch capacity under time-sharing', async () => {
    let steps = 0;
    let checkedDrains = 0;
    await run((now, sims, phase) => {
      steps++;
      for (const sim of sims) {
        const c = sim.census();
        expect(c.arrived).toBe(c.running + c.pending + c.recreating + c.completed + c.ended);
        if (sim.policy.name === 'kube-default') {
          for (const n of sim.state.nodeList) {
            const r = n.requested;
            expect(r.online.cpu + r.batch.cpu + r.system.cpu).toBeLessThanOrEqual(n.spec.allocatable.cpu);
            expect(r.online.memory + r.batch.memory + r.system.memory).toBeLessThanOrEqual(n.spec.allocatable.memory);
          }
        }
        if (sim.policy.name === 'time-sharing' && phase === 'deschedule') {
          const level = sim.timeline.at(now);
          for (const n of sim.state.nodeList) {
            const cap = batchCapacity(n, level, predictedNonBatch(n, now), { cpu: 0, memory: 0 });
            expect(n.requested.batch.cpu).toBeLessThanOrEqual(cap.cpu + 1e-6);
            expect(n.requested.batch.memory).toBeLessThanOrEqual(cap.memory + 1e-6);
            checkedDrains++;
          }
        }
      }
    });
    expect(steps).toBeGreaterThan(100);
    expect(checkedDrains).toBeGreaterThan(100);
  });

  it('time-sharing-timetable drains batch before the peak and brings it back after', async () => {
    const r = await simulate({ trace: arrayTrace(scenario()), profile: PEAK, policies: [policyByName('time-sharing-timetable')] });
    const ts = r.policies[0]!;
    const at = (h: number) => ts.series.find((p) => p.time >= START + h * H)!;
    // The peak opens at 10:00 with a 30 min lead and a 30 min ramp: batch goes between 09:00 and 09:30.
    expect(at(8.5).cpuRequestedBatch).toBeGreaterThan(0);
    expect(at(9.6).cpuRequestedBatch).toBe(0);
    expect(at(10.5).cpuRequestedBatch).toBe(0);
    expect(at(11.5).cpuRequestedBatch).toBe(0);
    expect(at(13).cpuRequestedBatch).toBeGreaterThan(0);
    expect(ts.totals.evictions.byReason['peak-drain']).toBeGreaterThan(0);
  });

  it('time-sharing (forecast mode) keeps the dated window as a cap and brings batch back once online usage falls', async () => {
    const r = await run();
    const ts = r.policies.find((p) => p.policy === 'time-sharing')!;
    const at = (h: number) => ts.series.find((p) => p.time >= START + h * H)!;
    expect(at(8.5).cpuRequestedBatch).toBeGreaterThan(0);
    expect(at(9.6).cpuRequestedBatch).toBe(0);
    expect(at(11.5).cpuRequestedBatch).toBe(0);
    // Online usage stays at 0.9 of requests until 13:00 (the timetable lets batch back at 12:00 into
    // it; the forecast, anchored on that usage, waits until it falls).
    expect(at(14).cpuRequestedBatch).toBeGreaterThan(0);
    expect(ts.totals.evictions.byReason['peak-drain']).toBeGreaterThan(0);
  });

  it('reports what each policy did', async () => {
    const r = await run();
    expect(r.policies.map((p) => p.policy)).toEqual(['kube-default', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'time-sharing']);
    for (const p of r.policies) {
      expect(p.totals.batch.arrived).toBe(60);
      expect(p.totals.batch.completed + p.totals.batch.unfinished).toBe(60);
      // Every pod placed at least once, but where batch waits for offline nodes (katalyst-tide on 4
      // nodes) or for the revocable window (volcano-tdm: 23:00-08:00 by default, the run ends at 20:00).
      const gated = p.policy === 'katalyst-tide' || p.policy === 'volcano-tdm';
      expect(p.totals.placements).toBeGreaterThanOrEqual(gated ? 8 : 68);
      expect(p.series.length).toBeGreaterThan(200);
    }
    // kube-default has no descheduler: nothing is ever evicted there.
    expect(r.policies[0]!.totals.evictions.total).toBe(0);
  });

  it('names unknown policies', () => {
    expect(() => policyByName('nope')).toThrow(/unknown policy "nope"; known: kube-default, koordinator, volcano-tdm, katalyst-tide, katalyst-reclaimed, crane, time-sharing, time-sharing-no-room, time-sharing-checkpoint, time-sharing-timetable, time-sharing-no-curves, time-sharing-peak-filter, time-sharing-timetable-forecast, static-colocation, time-sharing-forecast/);
  });
});

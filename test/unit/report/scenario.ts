// A small simulation for the report tests: 4 nodes, 8 online pods whose usage peaks at 09:00-12:00
// (and daemons on two nodes with it), 60 batch pods over 20 hours, a profile that drains batch for a
// 10:00-12:00 peak. Every policy runs.

import type { Profile } from '../../../scheduler/core/profile.ts';
import { simulate, type SimulationResult } from '../../../simulator/engine/simulation.ts';
import { DEFAULT_POLICIES, policyByName } from '../../../simulator/policies/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { GiB, node } from '../../helpers/core.ts';
import { arrayTrace, tracePod } from '../../helpers/trace.ts';

export const H = 3_600_000;
export const START = Date.parse('2026-11-10T00:00:00Z');

export const PEAK: Profile = {
  name: 'test-peak',
  timeZone: 'UTC',
  default: { batchShare: 0.6, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 },
  windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: 30 * 60_000, rampMs: 30 * 60_000, start: START + 10 * H, end: START + 12 * H }],
};

export function scenario(hours = 20): TraceEvent[] {
  const ev: TraceEvent[] = [];
  for (let i = 0; i < 4; i++) ev.push({ type: 'node-add', time: START, node: node(`n${i}`) });
  for (let i = 0; i < 8; i++) ev.push({ type: 'pod-arrival', time: START, pod: tracePod({ uid: `web-${i}`, app: 'web', requests: { cpu: 4000, memory: 8 * GiB } }) });
  for (let h = 0; h <= hours; h++) {
    const hod = h % 24;
    ev.push({ type: 'app-usage', time: START + h * H, app: 'web', cpu: hod >= 9 && hod <= 12 ? 0.95 : 0.3, memory: 0.5 });
    // Daemons on two nodes busy during the peak: with batch beside them those nodes run hot.
    for (const n of ['n0', 'n1']) ev.push({ type: 'node-usage', time: START + h * H, name: n, cpu: hod >= 9 && hod <= 12 ? 5000 : 500, memory: GiB });
  }
  const batch = Math.round((60 * hours) / 20);
  for (let j = 0; j < batch; j++) {
    ev.push({
      type: 'pod-arrival',
      time: START + j * 20 * 60_000,
      pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', priority: 5000, job: `job-${j % 20}`, requests: { cpu: 2000, memory: 2 * GiB }, runtimeMs: (1 + (j % 3)) * H, declaredRuntimeMs: j % 2 ? (1 + (j % 3)) * H : 0, checkpointable: j % 4 === 0 }),
    });
  }
  ev.push({ type: 'pod-end', time: START + hours * H, uid: 'web-7' });
  return ev;
}

export function runScenario(opts: { hours?: number; source?: string; skipped?: [string, number][] } = {}): Promise<SimulationResult> {
  const trace = arrayTrace(scenario(opts.hours), opts.source);
  for (const [f, n] of opts.skipped ?? []) trace.info.skipped.set(f, n);
  return simulate({ trace, profile: PEAK, policies: DEFAULT_POLICIES.map(policyByName) });
}

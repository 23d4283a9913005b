// A batch job whose CPU usage rises after Tidal learned its usage ratio (batch CPU committed by usage,
// forecast/batch-usage.ts): no scenario of the comparison has one (every synthetic job keeps one level),
// so this replay pins, by hand, what happens on two 16-core nodes.
//
//   web   one online pod per node, 4000m requested, uses 0.5 (2000m); cold: its band is its requests
//   etl   40 pods of 2000m (no declared runtime, 10 h), arriving from 00:10; use 0.3 of their requests
//         until 03:00, then 1.0
//
// Before the rise the job's ratio is 0.3: 8 pods a node are committed at 8 x 600 = 4800m, under
// 16,000 x 0.78 - 4000 = 8480m; the forecast mode's default level caps batch CPU *requests* at
// allocatable, 8 x 2000 = 16,000m, so 8 a node, 16 running, 24 pending.
// At 03:00 the pods want 16,000m beside web's 2000m: CFS serves web first (no unmet online CPU) and
// grants batch 14,000m, 1750m a pod. The node runs at 100% with online on it: interference, 2 nodes
// x 2 one-minute samples until the drain's 2-minute cycle.
// 03:02: the ratio read is 1750/2000 = 0.875 (throttled usage understates the demand): committed
// 8 x 1750 = 14,000; excess 4000 + 14,000 - 12,800 = 5200m, paid down 1750m a victim: 3 a node.
// 03:04: 5 pods now run unthrottled (12,000m with web), the ratio reads 1.0: excess 4000 + 10,000 -
// 12,800 = 1200m: 1 more a node. 4 a node remain: 12,000m, under the drain's 12,800m, and the filter
// admits none back (12,480 - 12,000 = 480m < 2000m): no loop over the next hour.

import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../scheduler/core/profile.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { GiB, node } from '../../helpers/core.ts';
import { arrayTrace, SIM_START, tracePod } from '../../helpers/trace.ts';

const H = 3_600_000;
const MIN = 60_000;
const RISE = SIM_START + 3 * H;
const NO_WINDOWS: Profile = { name: 'forecast-only', timeZone: 'UTC', default: { batchShare: 1, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0 }, windows: [] };

function trace(): TraceEvent[] {
  const ev: TraceEvent[] = [];
  for (let i = 0; i < 2; i++) ev.push({ type: 'node-add', time: SIM_START, node: node(`n${i}`) });
  for (let i = 0; i < 2; i++) ev.push({ type: 'pod-arrival', time: SIM_START, pod: tracePod({ uid: `web-${i}`, app: 'web', requests: { cpu: 4000, memory: 8 * GiB } }) });
  ev.push({ type: 'app-usage', time: SIM_START, app: 'web', cpu: 0.5, memory: 0.5 });
  ev.push({ type: 'app-usage', time: SIM_START, app: 'etl', cpu: 0.3, memory: 0.5 });
  ev.push({ type: 'app-usage', time: RISE, app: 'etl', cpu: 1.0, memory: 0.5 });
  for (let j = 0; j < 40; j++) {
    ev.push({ type: 'pod-arrival', time: SIM_START + 10 * MIN + j * MIN, pod: tracePod({ uid: `etl-${j}`, class: 'batch', app: 'etl', priority: 5000, job: 'etl', requests: { cpu: 2000, memory: GiB }, runtimeMs: 10 * H }) });
  }
  ev.push({ type: 'app-usage', time: RISE + 2 * H, app: 'web', cpu: 0.5, memory: 0.5 });
  return ev;
}

describe('a batch job whose usage rises after its ratio was learned (time-sharing, batch CPU by usage)', () => {
  it('is throttled first, drained in two descheduler cycles to what its new usage allows, and not admitted back', async () => {
    const r = await simulate({ trace: arrayTrace(trace()), profile: NO_WINDOWS, policies: [policyByName('time-sharing')], options: { sampleIntervalMs: MIN } });
    const p = r.policies[0]!;
    const at = (min: number) => p.series.find((s) => s.time === RISE + min * MIN)!;
    expect(at(-1)).toMatchObject({ runningBatch: 16, pendingBatch: 24, interferenceNodes: 0 });
    expect(at(-1).cpuUsedBatch).toBeCloseTo(0.3, 6); // 16 x 600m of 32 cores
    // The rise: web is served in full, batch throttled to 14,000m a node, both nodes interfering.
    expect(at(0)).toMatchObject({ runningBatch: 16, interferenceNodes: 2, unmetOnlineCpu: 0 });
    expect(at(0).cpuUsedBatch).toBeCloseTo(28 / 32, 6);
    // Two drain cycles: 3 a node at the throttled ratio, then 1 a node at the true one.
    expect(at(2)).toMatchObject({ runningBatch: 10, evictions: 6, interferenceNodes: 0 });
    expect(at(4)).toMatchObject({ runningBatch: 8, evictions: 2 });
    const after = p.series.filter((s) => s.time > RISE + 4 * MIN && s.time <= RISE + 60 * MIN);
    expect(after.every((s) => s.runningBatch === 8 && s.evictions === 0 && s.interferenceNodes === 0)).toBe(true);
    expect(p.totals.evictions.total).toBe(8);
    expect(p.totals.evictions.byReason).toEqual({ 'forecast-drain': 8 });
    expect(p.totals.onlineRisk.interferenceNodeMinutes).toBe(4);
    expect(p.totals.onlineRisk.unmetOnlineCpuCoreSeconds).toBe(0);
    expect(p.totals.onlineRisk.onlineEvictions).toBe(0);
  });
});

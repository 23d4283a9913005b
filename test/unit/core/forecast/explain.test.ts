// tidal explain node: the terms add up to the capacity the filter admits by, and the extender's preset
// and the simulator's time-sharing policy compute the same capacity for the same state and time.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../profiles/loader.ts';
import { runExplainNode, runExplainNodeLive } from '../../../../scheduler/cli/explain.ts';
import { PRESETS } from '../../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { explainNode } from '../../../../scheduler/core/forecast/explain.ts';
import type { PodInfo } from '../../../../scheduler/core/model.ts';
import { forecastBookOf } from '../../../../scheduler/core/plugins/forecast-capacity.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';
import { policyByName } from '../../../../simulator/policies/index.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-11-11T00:00:00Z');
const TEXT =
  'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 0.3\n    onlineHeadroom: 0.25\n' +
  '  windows:\n    - name: sale\n      start: "2026-11-11T01:00"\n      duration: 2h\n      onlineDemand: {factor: 2x, of: requests}\n';

function world() {
  const state = new ClusterState();
  state.upsertNode(node('n1', { allocatable: { cpu: 10_000, memory: 64 * GiB } }), T0 - 60 * MIN);
  state.upsertPod(pod({ uid: 'web-1', app: 'web', requests: { cpu: 3000, memory: 8 * GiB }, nodeName: 'n1', startedAt: T0 - 60 * MIN }), T0 - 60 * MIN);
  state.upsertPod(batch({ uid: 'b1', name: 'b1', requests: { cpu: 1000, memory: GiB }, nodeName: 'n1', startedAt: T0 - 10 * MIN, expectedRuntimeMs: 40 * MIN }), T0 - 10 * MIN);
  return state;
}

const job = (cpu: number, runtimeMin: number): PodInfo => batch({ requests: { cpu, memory: GiB }, extendedBatchResources: true, expectedRuntimeMs: runtimeMin * MIN });

describe('explain node', () => {
  it('capacity = allocatable x target - upper - committed, slot by slot, least over the span', () => {
    const state = world();
    const sim = policyByName('time-sharing');
    const timeline = new ProfileTimeline(sim.profileFor(parseProfile(TEXT)));
    const engine = new PolicyEngine({ config: sim.config, state, profile: timeline });
    const x = explainNode(state, state.nodes.get('n1')!, timeline, forecastBookOf(engine.handle), T0, { target: 0.8, admissionMargin: 0, quantile: 0.95 });
    // Slot 0: 8000 - 3000 (web at requests: cold) - 1000 (b1 until 00:30) = 4000m.
    expect(x.capacityNow.cpu).toBe(4000);
    expect(x.slots[0]!.cpu).toMatchObject({ upper: 3000, committed: 1000, free: 4000 });
    expect(x.slots[2]!.cpu).toMatchObject({ committed: 0, free: 5000 });
    // From 01:00 the sale doubles web: 8000 - 6000 = 2000m over any span reaching it.
    expect(x.slots[4]!.events).toEqual([{ window: 'sale', factor: 2, memoryFactor: 2, of: 'requests' }]);
    expect(x.spans.find((s) => s.hours === 1)).toMatchObject({ cpu: 4000 });
    expect(x.spans.find((s) => s.hours === 2)).toMatchObject({ cpu: 2000, atCpu: T0 + 60 * MIN });
    expect(x.level).toMatchObject({ batchShare: 1, onlineHeadroom: 0 }); // forecast mode: no timetable caps
    expect(x.batchCpu).toBe('usage');
    // No usage seen for b1's owner yet: committed at its request.
    expect(x.batch).toEqual([{ pod: 'default/b1', cpu: 1000, cpuRequest: 1000, memory: GiB, runtime: 'declared', until: T0 + 30 * MIN }]);
  });

  it('the extender preset and the simulator policy admit the same batch at the same state and time (one core; target 0.8 less the admission margin 0.02: 7800 - 3000 - 1000 now, 7800 - 6000 in the sale)', () => {
    const profile = policyByName('time-sharing').profileFor(parseProfile(TEXT));
    for (const [cpu, runtime] of [
      [3800, 30],
      [3801, 30],
      [1800, 120],
      [1801, 120],
    ] as const) {
      const verdicts = [PRESETS['time-sharing']!, policyByName('time-sharing').config].map((config) => {
        const state = world();
        const engine = new PolicyEngine({ config, state, profile: new ProfileTimeline(profile) });
        return engine.place(job(cpu, runtime), T0).node?.name ?? null;
      });
      expect(verdicts[0]).toBe(verdicts[1]);
      expect(verdicts[0]).toBe(cpu % 100 === 0 ? 'n1' : null);
    }
  });

  it('the CLI explains a node of a snapshot, as text and as JSON', () => {
    const file = new URL('../../../../scheduler/extender/sample-state.json', import.meta.url).pathname;
    const text = runExplainNode('node-a', { state: file, at: '2026-11-10T12:00Z', slots: '4' });
    expect(text).toMatch(/^node node-a at 2026-11-10T12:00:00Z/);
    expect(text).toMatch(/batch capacity now: /);
    const j = JSON.parse(runExplainNode('node-a', { state: file, at: '2026-11-10T12:00Z', json: true, slots: '4' }));
    expect(j.slots).toHaveLength(96);
    expect(j.capacityNow.cpu).toBeCloseTo(j.slots[0].cpu.free, 6);
    expect(() => runExplainNode('nope', { state: file, slots: '4' })).toThrow(/not in/);
  });

  it('the CLI reads a live cluster through a kubeconfig (e2e scenario 11); it names a missing one, and takes a snapshot or a cluster, not both', async () => {
    await expect(runExplainNodeLive('node-a', { kubeconfig: '/nonexistent/kubeconfig', slots: '4' })).rejects.toThrow(/\/nonexistent\/kubeconfig: no such file/);
    const file = new URL('../../../../scheduler/extender/sample-state.json', import.meta.url).pathname;
    expect(() => runExplainNode('node-a', { state: file, kubeconfig: '/x', slots: '4' })).toThrow(/exclude each other/);
  });
});

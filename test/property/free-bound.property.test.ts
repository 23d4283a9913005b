// PolicyEngine.freeBound never rules out a pod that would fit (fast-check): under every simulated
// policy, for random small clusters (cordoned and full nodes, taints, the peers' published figures,
// usage samples) at random instants of the Double 11 week, a pod asking more CPU or memory than the
// bound over some nodes is refused by the filters on every one of them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { NodeTaint, WorkloadClass } from '../../scheduler/core/model.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import { loadProfileFile } from '../../profiles/loader.ts';
import { ELASTIC_KEYS, LOAD_KEYS } from '../../simulator/peers/crane/plugin.ts';
import { LAST_HEADROOM_KEY } from '../../simulator/peers/katalyst-reclaimed/plugin.ts';
import { REVOCABLE_ZONE_LABEL } from '../../simulator/peers/volcano-tdm/formula.ts';
import { OVERSUBSCRIPTION_KEYS } from '../../simulator/peers/volcano-tdm/plugin.ts';
import { POLICIES } from '../../simulator/policies/index.ts';
import { batch, GiB, node, pod } from '../helpers/core.ts';

const H = 3_600_000;
const START = Date.parse('2026-11-04T00:00:00+08:00');
const profile = loadProfileFile('profiles/double11.yaml');

const share = fc.double({ min: 0, max: 1.1, noNaN: true });
const nodeArb = fc.record({
  cpu: fc.integer({ min: 2, max: 64 }).map((c) => c * 1000),
  memGi: fc.integer({ min: 4, max: 256 }),
  maxPods: fc.constantFrom(1, 8, 8, 8),
  cordoned: fc.integer({ min: 0, max: 5 }).map((k) => k === 0),
  online: share,
  batch: share,
  usage: fc.option(share, { nil: undefined }),
  zone: fc.constantFrom<string | undefined>('rz1', 'rz1', undefined),
  taint: fc.constantFrom<NodeTaint['effect'] | undefined>(undefined, undefined, undefined, undefined, 'NoSchedule', 'PreferNoSchedule'),
  published: fc.option(share, { nil: undefined, freq: 4 }),
  load: fc.option(share, { nil: undefined, freq: 2 }),
});
type NodeArb = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;

const podArb = fc.record({
  cls: fc.constantFrom<WorkloadClass>('online', 'batch', 'batch', 'system'),
  runtimeH: fc.constantFrom(0, 1, 6, 30),
  checkpointable: fc.boolean(),
  // What the pod asks beyond the bound (when finite) or outright, per resource.
  over: fc.constantFrom('cpu', 'memory', 'both'),
  // Often just past it (a milli-core, a byte), where a bound one unit too low shows.
  extraCpu: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4000 })),
  extraMem: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 8 * GiB })),
});

function cluster(nodes: NodeArb[], now: number, config: { usage: ClusterState['usageConfig'] }): ClusterState {
  const state = new ClusterState(config.usage);
  nodes.forEach((n, i) => {
    const name = `n${i}`;
    const labels: Record<string, string> = {};
    if (n.zone) labels[REVOCABLE_ZONE_LABEL] = n.zone;
    if (n.published !== undefined) {
      labels[OVERSUBSCRIPTION_KEYS.cpu] = String(Math.round(n.cpu * n.published));
      labels[OVERSUBSCRIPTION_KEYS.memory] = String(Math.round(n.memGi * GiB * n.published));
      labels[ELASTIC_KEYS.cpu] = String(Math.round(n.cpu * n.published));
      labels[ELASTIC_KEYS.memory] = String(Math.round(n.memGi * GiB * n.published));
      labels[LAST_HEADROOM_KEY] = String(Math.round(n.cpu * n.published));
    }
    if (n.load !== undefined) labels[LOAD_KEYS.cpu.avg5m] = String(n.load * 0.8);
    const taints = n.taint ? [{ key: 'k', value: 'v', effect: n.taint }] : undefined;
    state.upsertNode(node(name, { allocatable: { cpu: n.cpu, memory: n.memGi * GiB }, maxPods: n.maxPods, labels, unschedulable: n.cordoned, zone: `z${i % 2}`, ...(taints ? { taints } : {}) }), now - H);
    const onlineCpu = Math.round(n.cpu * n.online * 0.6);
    const batchCpu = Math.round(n.cpu * n.batch * 0.6);
    state.upsertPod(pod({ uid: `o${i}`, nodeName: name, requests: { cpu: onlineCpu, memory: Math.round(n.memGi * GiB * n.online * 0.6) }, startedAt: now - 2 * H }), now - H);
    if (n.maxPods > 1) state.upsertPod(batch({ uid: `b${i}`, nodeName: name, requests: { cpu: batchCpu, memory: Math.round(n.memGi * GiB * n.batch * 0.6) }, startedAt: now - 2 * H }), now - H);
    if (n.usage !== undefined) state.recordNodeUsage(name, { time: now - 60_000, online: { cpu: Math.round(n.cpu * n.usage), memory: Math.round(n.memGi * GiB * n.usage) }, batch: { cpu: 0, memory: 0 } });
  });
  return state;
}

describe('PolicyEngine.freeBound', () => {
  for (const [name, policy] of Object.entries(POLICIES)) {
    it(`${name}: a pod asking more than the bound over some nodes is refused on every one of them`, () => {
      let exceeded = 0;
      fc.assert(
        fc.property(
          fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 0, max: 8 * 24 * 4 - 1 }),
          fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
          podArb,
          (nodes, quarter, pick, p) => {
            const now = START + quarter * 15 * 60_000 + 7_000;
            const args = policy.pluginArgs?.(profile);
            const config = args ? { ...policy.config, pluginArgs: { ...policy.config.pluginArgs, ...args } } : policy.config;
            const state = cluster(nodes, now, config);
            const engine = new PolicyEngine({ config, state, profile: new ProfileTimeline(policy.profileFor(profile)), definitions: policy.definitions });
            const rows = nodes.map((_, i) => i).filter((i) => pick[i]);
            if (rows.length === 0) rows.push(0);
            const bound = engine.freeBound(p.cls, now, rows);
            // Ask just past the bound where it is finite (else anything: only -Infinity forces a refusal).
            const past = (b: number, extra: number) => (b === -Infinity ? extra - 1 : b === Infinity ? extra : Math.max(0, b) + extra);
            const cpu = p.over === 'memory' ? 500 : past(bound.cpu, p.extraCpu);
            const memory = p.over === 'cpu' ? GiB : past(bound.memory, p.extraMem);
            if (!(cpu > bound.cpu || memory > bound.memory)) return;
            exceeded++;
            const spec = (p.cls === 'batch' ? batch : pod)({ class: p.cls, requests: { cpu, memory }, expectedRuntimeMs: p.runtimeH * H, checkpointable: p.checkpointable });
            const out = engine.filter(engine.context(spec, now), rows.map((i) => `n${i}`));
            expect(out.feasible.map((n) => n.name)).toEqual([]);
          },
        ),
        { numRuns: 100 },
      );
      expect(exceeded).toBeGreaterThan(30); // the property was exercised, not vacuously true
    });
  }
});

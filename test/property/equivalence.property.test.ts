// place() with the equivalence cache decides exactly as without it (fast-check): two identical
// clusters, one engine with the cache and one without, go through the same random sequence of
// placements (pods of a few shapes, so that the cache hits), bindings, pod and node removals, new
// nodes, cordons, usage samples (which also teach the app curves) and time steps (slots, profile
// windows, usage going stale, and decisions at an earlier instant). Every decision must agree: node,
// score, nodes examined and rejections per filter. (Checked against the cache with its freshness
// interval or the learned-app part of the shape key removed: both fail within the runs below.)

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { behindKubeScheduler, KUBE_DEFAULT, STATIC_COLOCATION, TIME_SHARING, type PolicyConfig } from '../../scheduler/core/config.ts';
import { PolicyEngine, type PlaceResult } from '../../scheduler/core/engine.ts';
import type { PodInfo } from '../../scheduler/core/model.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { loadProfileFile } from '../../profiles/loader.ts';
import { GiB, node, pod } from '../helpers/core.ts';

const profile = loadProfileFile(new URL('../../profiles/double11.yaml', import.meta.url).pathname);
const T0 = Date.parse('2026-11-10T04:00:00+08:00'); // a night before the Double 11 peak: windows change within hours
const MIN = 60_000;

interface Shape {
  class: 'online' | 'batch';
  app: number;
  cpu: number;
  mem: number;
  runtime: number;
  checkpointable: boolean;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  class: fc.constantFrom('online' as const, 'batch' as const),
  app: fc.nat(3),
  cpu: fc.constantFrom(0, 500, 500, 3000),
  mem: fc.constantFrom(GiB, GiB, 0),
  runtime: fc.constantFrom(0, 30 * MIN, 5 * 60 * MIN),
  checkpointable: fc.boolean(),
});

type Op =
  | { op: 'place'; shape: number; earlier: boolean; pct: number }
  | { op: 'unbind'; k: number }
  | { op: 'usage'; node: number; cpu: number }
  | { op: 'usageAll'; cpu: number }
  | { op: 'advance'; ms: number }
  | { op: 'cordon'; node: number }
  | { op: 'removeNode'; node: number }
  | { op: 'addNode'; cpu: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constant('place' as const), shape: fc.nat(5), earlier: fc.boolean(), pct: fc.constantFrom(0, 0, 0, 30, 100) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unbind' as const), k: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('usage' as const), node: fc.nat(), cpu: fc.integer({ min: 0, max: 30_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('usageAll' as const), cpu: fc.integer({ min: 0, max: 12_000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.constantFrom(0, MIN, 7 * MIN, 20 * MIN, 3 * 60 * MIN) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cordon' as const), node: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeNode' as const), node: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('addNode' as const), cpu: fc.constantFrom(8_000, 32_000) }) },
);

function summary(r: PlaceResult) {
  return { node: r.node?.name ?? null, score: r.score, evaluated: r.evaluated, rejectedBy: [...r.rejectedBy] };
}

function run(config: PolicyConfig, nodes: number, shapes: Shape[], ops: Op[]): void {
  const worlds = [true, false].map((cache) => {
    const state = new ClusterState(config.usage);
    return { state, engine: new PolicyEngine({ config, state, profile, equivalenceCache: cache }) };
  });
  let now = T0;
  let nextNode = 0;
  let uid = 0;
  const names: string[] = [];
  const bound: PodInfo[][] = [[], []];
  const cordoned = new Set<string>();
  const addNode = (cpu: number) => {
    const name = `n-${nextNode++}`;
    names.push(name);
    for (const w of worlds) w.state.upsertNode(node(name, { allocatable: { cpu, memory: 4 * cpu * (GiB / 1000) }, zone: `z-${nextNode % 3}`, maxPods: 12 }), now);
  };
  for (let i = 0; i < nodes; i++) addNode(i % 4 === 0 ? 8_000 : 32_000);
  // Tenants of the four apps, and two hours of usage that differs by node and by app mix, so that
  // predictions come from usage (until it goes stale) and the apps have learned curves.
  names.forEach((name, i) => {
    for (let j = 0; j < i % 3; j++) {
      const id = `seed-${uid++}`;
      worlds.forEach((w, k) => {
        const p = pod({ uid: id, name: id, app: `app-${(i + j) % 4}`, requests: { cpu: 500, memory: GiB }, nodeName: name, startedAt: now });
        w.state.upsertPod(p, now);
        bound[k]!.push(p);
      });
    }
  });
  // Each app peaks 5 hours a day at its own time (app a from 6a o'clock): curves with complementary peaks.
  const appLoad = (a: number, t: number) => (((t / 3_600_000 + 24 - 6 * a) % 24) < 5 ? 4000 : 600);
  const sample = (cpu: number) =>
    names.forEach((name, i) => {
      let c = cpu + (i % 7) * 300;
      for (let j = 0; j < i % 3; j++) c += appLoad((i + j) % 4, now);
      for (const w of worlds) w.state.recordNodeUsage(name, { time: now, online: { cpu: c, memory: 4 * GiB + c * 1e6 }, batch: { cpu: 0, memory: 0 } });
    });
  now -= 24 * 60 * MIN;
  for (let step = 0; step <= 96; step++) {
    sample(1000);
    now += 15 * MIN;
  }
  now -= 14 * MIN;
  sample(1000);
  for (const o of ops) {
    switch (o.op) {
      case 'place': {
        const s = shapes[o.shape % shapes.length]!;
        const at = o.earlier ? now - 12 * MIN : now;
        const id = `p-${uid++}`;
        const make = () =>
          pod({
            uid: id,
            name: id,
            class: s.class,
            app: `app-${s.app}`,
            requests: { cpu: s.cpu, memory: s.mem },
            extendedBatchResources: s.class === 'batch',
            priority: s.class === 'batch' ? 5000 : 0,
            expectedRuntimeMs: s.class === 'batch' ? s.runtime : 0,
            checkpointable: s.checkpointable,
          });
        const pods = [make(), make()];
        const results = worlds.map((w, k) => w.engine.place(pods[k]!, at, o.pct));
        expect(summary(results[0]!)).toEqual(summary(results[1]!));
        if (results[0]!.node) {
          worlds.forEach((w, k) => {
            const p = pods[k]!;
            p.nodeName = results[k]!.node!.name;
            p.startedAt = now;
            w.state.upsertPod(p, now);
            bound[k]!.push(p);
          });
        }
        break;
      }
      case 'unbind': {
        if (bound[0]!.length === 0) break;
        const k = o.k % bound[0]!.length;
        worlds.forEach((w, j) => w.state.removePod(bound[j]!.splice(k, 1)[0]!.uid));
        break;
      }
      case 'usage': {
        if (names.length === 0) break;
        const name = names[o.node % names.length]!;
        for (const w of worlds) w.state.recordNodeUsage(name, { time: now, online: { cpu: o.cpu, memory: 8 * GiB + o.cpu * 1000 }, batch: { cpu: 0, memory: 0 } });
        break;
      }
      case 'usageAll':
        sample(o.cpu);
        break;
      case 'advance':
        now += o.ms;
        break;
      case 'cordon': {
        if (names.length === 0) break;
        const name = names[o.node % names.length]!;
        const on = !cordoned.has(name);
        if (on) cordoned.add(name);
        else cordoned.delete(name);
        for (const w of worlds) w.state.upsertNode({ ...w.state.nodes.get(name)!.spec, unschedulable: on }, now);
        break;
      }
      case 'removeNode': {
        if (names.length <= 1) break;
        const [name] = names.splice(o.node % names.length, 1);
        for (const w of worlds) w.state.removeNode(name!);
        break;
      }
      case 'addNode':
        addNode(o.cpu);
        break;
    }
  }
}

describe('equivalence cache', () => {
  it('place() decides as without the cache over random sequences (time-sharing, 110-140 nodes: a rotating window)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 110, max: 140 }), fc.array(shapeArb, { minLength: 2, maxLength: 6 }), fc.array(opArb, { minLength: 20, maxLength: 160 }), (nodes, shapes, ops) => run(TIME_SHARING, nodes, shapes, ops)),
      { numRuns: 40 },
    );
  });

  it('the same with few nodes (every node examined) and the other presets', () => {
    fc.assert(
      fc.property(
        // behindKubeScheduler: the simulator's time-sharing, Tidal's wire score beside kube-scheduler's defaults (two score groups).
        fc.constantFrom(TIME_SHARING, STATIC_COLOCATION, KUBE_DEFAULT, behindKubeScheduler(TIME_SHARING)),
        fc.integer({ min: 1, max: 12 }),
        fc.array(shapeArb, { minLength: 1, maxLength: 4 }),
        fc.array(opArb, { minLength: 10, maxLength: 120 }),
        (config, nodes, shapes, ops) => run(config, nodes, shapes, ops),
      ),
      { numRuns: 60 },
    );
  });

  it('the same with the opt-in ForecastCapacity filter (its signature: the curves, the horizon, the span)', () => {
    // A low target so that it, not BatchCapacityFit, is what refuses batch.
    const forecast: PolicyConfig = { ...TIME_SHARING, name: 'time-sharing-forecast', filters: [...TIME_SHARING.filters, 'ForecastCapacity'], pluginArgs: { ...TIME_SHARING.pluginArgs, ForecastCapacity: { target: 0.4 } } };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(shapeArb, { minLength: 1, maxLength: 4 }),
        fc.array(opArb, { minLength: 10, maxLength: 120 }),
        (nodes, shapes, ops) => run(forecast, nodes, shapes, ops),
      ),
      { numRuns: 40 },
    );
  });
});

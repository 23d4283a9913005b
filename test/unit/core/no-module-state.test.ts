// The core holds no mutable module state: whatever a plugin keeps between decisions belongs to the
// engine that built it (framework.ts PluginHandle) or to the decision (CycleState). Two checks:
//   - a scan of scheduler/core for module-level `let`/`var` and module-level mutable collections;
//   - behaviour: engines whose decisions interleave (two engines side by side, and two decisions of one
//     engine prepared before either is evaluated) decide exactly as each does alone.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { TIME_SHARING } from '../../../scheduler/core/config.ts';
import { PolicyEngine, type PlaceResult } from '../../../scheduler/core/engine.ts';
import type { PluginDefinition } from '../../../scheduler/core/framework.ts';
import type { PodInfo } from '../../../scheduler/core/model.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { KOORDINATOR } from '../../../simulator/peers/koordinator/policy.ts';
import { GiB, node, pod } from '../../helpers/core.ts';

const CORE = fileURLToPath(new URL('../../../scheduler/core/', import.meta.url));
const profile = loadProfileFile(fileURLToPath(new URL('../../../profiles/double11.yaml', import.meta.url)));
const T0 = Date.parse('2026-11-10T04:00:00+08:00');
const MIN = 60_000;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module-level (column 0) declarations that can change after the module loads (an empty typed array cannot). */
function mutableModuleState(src: string): string[] {
  const out: string[] = [];
  for (const line of src.split('\n')) {
    if (/^(export\s+)?(let|var)\s/.test(line)) out.push(line);
    else if (/^(export\s+)?const\s+\w+(\s*:\s*[^=]+)?\s*=\s*new\s+(Map|WeakMap|Set|WeakSet|LRUCache|(Int|Uint|Float)(8|16|32|64)(Clamped)?Array)\b(?!\(0\))/.test(line)) out.push(line);
    else if (/^(export\s+)?const\s+\w+(\s*:\s*[^=]+)?\s*=\s*\[\s*\]/.test(line)) out.push(line);
  }
  return out;
}

describe('no mutable module state in scheduler/core', () => {
  it('the scan finds the core files and would see a module-level let', () => {
    const files = sources(CORE);
    expect(files.length).toBeGreaterThan(30);
    expect(mutableModuleState('let nextId = 1;\nconst cache = new WeakMap<object, number>();\nconst x = [];\n  let inner = 0;')).toHaveLength(3);
  });

  it.each(sources(CORE).map((f) => relative(CORE, f)))('%s declares no mutable module state', (file) => {
    expect(mutableModuleState(readFileSync(join(CORE, file), 'utf8'))).toEqual([]);
  });
});

/** A cluster of 12 nodes whose tenants of four apps have learned curves (complementary peaks, with a spread). */
function world(config = TIME_SHARING, definitions: readonly PluginDefinition[] = []) {
  const state = new ClusterState(config.usage);
  const engine = new PolicyEngine({ config, state, profile, definitions });
  let now = T0 - 3 * 24 * 60 * MIN;
  const names: string[] = [];
  for (let i = 0; i < 12; i++) {
    const name = `n-${i}`;
    names.push(name);
    state.upsertNode(node(name, { allocatable: { cpu: 32_000, memory: 128 * GiB }, zone: `z-${i % 3}` }), now);
    for (let j = 0; j < i % 3; j++) {
      const id = `seed-${i}-${j}`;
      state.upsertPod(pod({ uid: id, name: id, app: `app-${(i + j) % 4}`, requests: { cpu: 500, memory: GiB }, nodeName: name, startedAt: now }), now);
    }
  }
  const appLoad = (a: number, t: number) => ((t / 3_600_000 + 24 - 6 * a) % 24 < 5 ? 4000 : 600);
  // Three days, each a little different, so that the curves have a variance (which is where the
  // number of an app's pods already on a node enters the combined peak).
  for (let step = 0; step <= 3 * 96; step++) {
    const wobble = 1 + 0.3 * Math.sin(step * 7.1);
    names.forEach((name, i) => {
      let c = 1000 + (i % 7) * 300;
      for (let j = 0; j < i % 3; j++) c += appLoad((i + j) % 4, now) * wobble;
      state.recordNodeUsage(name, { time: now, online: { cpu: c, memory: 4 * GiB + c * 1e6 }, batch: { cpu: 0, memory: 0 } });
    });
    now += 15 * MIN;
  }
  return { state, engine, names };
}

/** Pods of a few shapes: online of the four apps, batch with and without runtimes. */
function pods(prefix: string, n: number): PodInfo[] {
  return Array.from({ length: n }, (_, k) =>
    k % 3 === 2
      ? pod({ uid: `${prefix}-${k}`, name: `${prefix}-${k}`, class: 'batch', app: `job-${k % 2}`, requests: { cpu: 2000 + 500 * (k % 4), memory: 2 * GiB }, extendedBatchResources: true, priority: 5000, expectedRuntimeMs: (k % 2) * 90 * MIN })
      : pod({ uid: `${prefix}-${k}`, name: `${prefix}-${k}`, app: `app-${k % 4}`, requests: { cpu: 1000 + 250 * (k % 3), memory: GiB } }),
  );
}

const summary = (r: PlaceResult) => ({ node: r.node?.name ?? null, score: r.score, evaluated: r.evaluated, rejectedBy: [...r.rejectedBy] });

function placeAndBind(w: ReturnType<typeof world>, p: PodInfo) {
  const r = w.engine.place(p, T0);
  if (r.node) w.state.upsertPod({ ...p, nodeName: r.node.name, startedAt: T0 }, T0);
  return summary(r);
}

describe('interleaved decisions', () => {
  for (const [label, config, defs] of [['time-sharing', TIME_SHARING, []], ['koordinator', KOORDINATOR.config, KOORDINATOR.definitions!]] as const) {
    it(`${label}: two engines side by side decide as each alone`, () => {
      const a = pods('a', 40);
      const b = pods('b', 40).reverse();
      const aloneA = world(config, defs);
      const aloneB = world(config, defs);
      const expectedA = a.map((p) => placeAndBind(aloneA, p));
      const expectedB = b.map((p) => placeAndBind(aloneB, p));
      const sideA = world(config, defs);
      const sideB = world(config, defs);
      const gotA: ReturnType<typeof summary>[] = [];
      const gotB: ReturnType<typeof summary>[] = [];
      for (let k = 0; k < a.length; k++) {
        gotA.push(placeAndBind(sideA, a[k]!));
        gotB.push(placeAndBind(sideB, b[k]!));
      }
      expect(gotA).toEqual(expectedA);
      expect(gotB).toEqual(expectedB);
      expect(expectedA.filter((r) => r.node !== null).length).toBeGreaterThan(20);
    });
  }

  it('one engine: decisions prepared together, evaluated in turn, give what each gives alone', () => {
    const w = world();
    const now = T0;
    // Online pods of two apps that share nodes (so each one's tenant counts overwrite the other's) and a batch pod with a runtime.
    const subjects = [pod({ uid: 'x', app: 'app-0', requests: { cpu: 1500, memory: GiB } }), pod({ uid: 'y', app: 'app-1', requests: { cpu: 1500, memory: GiB } }), pods('z', 3)[2]!];
    const alone = subjects.map((p) => {
      const ctx = w.engine.context(p, now);
      return { filter: w.engine.filter(ctx, w.names), scores: [...w.engine.scoreNames(ctx, w.names)] };
    });
    const ctxs = subjects.map((p) => w.engine.context(p, now));
    // Round-robin, twice: each decision's prepared curve is used again after the others' were.
    let scores: number[][] = [];
    for (let round = 0; round < 2; round++) scores = ctxs.map((ctx) => [...w.engine.scoreNames(ctx, w.names)]);
    const filters = ctxs.map((ctx) => w.engine.filter(ctx, w.names));
    ctxs.forEach((_, k) => {
      expect(scores[k]).toEqual(alone[k]!.scores);
      expect(filters[k]!.feasible.map((n) => n.name)).toEqual(alone[k]!.filter.feasible.map((n) => n.name));
      expect([...filters[k]!.unresolvable]).toEqual([...alone[k]!.filter.unresolvable]);
    });
    // The scores differ between the online subjects somewhere: the interleaving had something to mix up.
    expect(alone[0]!.scores).not.toEqual(alone[1]!.scores);
  });
});

// Scenario transforms on a tiny trace, checked against events computed by hand.

import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../simulator/scenario/load.ts';
import { transformTrace } from '../../../simulator/scenario/transform.ts';
import type { Trace, TraceEvent, TracePod } from '../../../simulator/traces/events.ts';

const T0 = Date.parse('2026-11-16T00:00:00Z');
const MIN = 60_000;
const at = (m: number) => T0 + m * MIN;

const node = (name: string): TraceEvent => ({ type: 'node-add', time: T0, node: { name, allocatable: { cpu: 8000, memory: 8000 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } });
const online = (uid: string, app: string, namespace = 'shop'): TracePod => ({ uid, namespace, name: uid, class: 'online', app, priority: 9000, requests: { cpu: 1000, memory: 1000 }, runtimeMs: 0, declaredRuntimeMs: 0, checkpointable: false, job: '', nodeName: 'n1' });

function tiny(): Trace {
  const events: TraceEvent[] = [
    node('n1'),
    { type: 'pod-arrival', time: T0, pod: online('a-1', 'web') },
    { type: 'pod-arrival', time: T0, pod: online('a-2', 'web') },
    { type: 'pod-arrival', time: T0, pod: online('b-1', 'db', 'data') },
    { type: 'pod-usage', time: T0, uid: 'a-1', cpu: 400, memory: 500 },
    { type: 'pod-usage', time: T0, uid: 'a-2', cpu: 400, memory: 500 },
    { type: 'app-usage', time: T0, app: 'db', cpu: 0.5, memory: 0.5 },
    { type: 'node-usage', time: at(100), name: 'n1', cpu: 100, memory: 100 },
  ];
  return { info: { format: 'test', source: 'tiny', start: T0, end: at(120), skipped: new Map() }, events: async function* () { yield* events; } };
}

async function collect(t: Trace): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of t.events()) out.push(e);
  return out;
}

const scenario = (spec: string) => parseScenario(`apiVersion: tidal.io/v1alpha1\nkind: DemandScenario\nmetadata: {name: test}\nspec:\n  timeZone: UTC\n  step: 10m\n${spec}`, 'test.yaml');

/** Events after the base ones at T0, as compact strings. */
const brief = (es: TraceEvent[]) =>
  es.filter((e) => e.time > T0).map((e) => {
    const m = (e.time - T0) / MIN;
    switch (e.type) {
      case 'pod-usage': return `${m} ${e.uid} ${e.cpu}/${e.memory}`;
      case 'app-usage': return `${m} app ${e.app} ${+e.cpu.toFixed(4)}/${+e.memory.toFixed(4)}`;
      case 'pod-arrival': return `${m} + ${e.pod.uid}${e.pod.nodeName ? `@${e.pod.nodeName}` : ''}`;
      case 'pod-end': return `${m} - ${e.uid}`;
      case 'node-add': return `${m} node ${e.node.name}`;
      default: return `${m} ${e.type}`;
    }
  });

describe('demand multipliers', () => {
  it('ramps one app up and down and leaves the others alone', async () => {
    const s = scenario(`  demand:
    - name: web-peak
      select: {apps: [web]}
      start: "2026-11-16T00:20"
      end: "2026-11-16T01:20"
      rampUp: 20m
      rampDown: 20m
      cpu: 3
      memory: 2
`);
    const out = await collect(transformTrace(tiny(), s));
    // level 1 at 20m, 2 at 30m, 3 from 40m to 60m, 2 at 70m, 1 at 80m; memory 1, 1.5, 2, 2, 1.5, 1.
    expect(brief(out)).toEqual([
      '30 a-1 800/750', '30 a-2 800/750',
      '40 a-1 1200/1000', '40 a-2 1200/1000',
      '70 a-1 800/750', '70 a-2 800/750',
      '80 a-1 400/500', '80 a-2 400/500',
      '100 node-usage',
    ]);
  });

  it('scales app-usage curves by namespace, and multiplies overlapping windows', async () => {
    const s = scenario(`  demand:
    - name: data
      select: {namespaces: [data]}
      start: "2026-11-16T00:10"
      end: "2026-11-16T00:30"
      cpu: 2
    - name: all
      select: {all: true}
      start: "2026-11-16T00:20"
      end: "2026-11-16T00:40"
      cpu: 1.5
`);
    const out = await collect(transformTrace(tiny(), s));
    expect(brief(out).filter((l) => l.includes('app'))).toEqual(['10 app db 1/0.5', '20 app db 1.5/0.5', '30 app db 0.75/0.5', '40 app db 0.5/0.5']);
  });

  it('label selectors see the app label', async () => {
    const s = scenario(`  demand:
    - name: web
      select: {labels: {matchExpressions: [{key: app, operator: In, values: [web]}]}}
      start: "2026-11-16T00:10"
      end: "2026-11-16T00:20"
      cpu: 2
`);
    const out = brief(await collect(transformTrace(tiny(), s)));
    expect(out).toContain('10 a-1 800/500');
    expect(out.some((l) => l.includes('db'))).toBe(false);
  });
});

describe('scale-out', () => {
  it('adds replicas after the lag and spreads the demand over them', async () => {
    const s = scenario(`  demand:
    - name: web-peak
      select: {apps: [web]}
      start: "2026-11-16T00:20"
      end: "2026-11-16T01:20"
      rampUp: 20m
      rampDown: 20m
      cpu: 3
  scaleOut:
    - select: {apps: [web]}
      lag: 10m
`);
    const out = await collect(transformTrace(tiny(), s));
    expect(brief(out)).toEqual([
      // 30m: demand x2, replicas still 2 (target follows 20m): 800 each.
      '30 a-1 800/500', '30 a-2 800/500',
      // 40m: target ceil(2 * 2) = 4; demand x3 over 4 replicas: 600 each; clones run unpinned.
      '40 + web~scale-1', '40 + web~scale-2', '40 a-1 600/500', '40 a-2 600/500', '40 web~scale-1 600/500', '40 web~scale-2 600/500',
      // 50m: target 6; x3 over 6: back to 400.
      '50 + web~scale-3', '50 + web~scale-4', '50 a-1 400/500', '50 a-2 400/500', '50 web~scale-1 400/500', '50 web~scale-2 400/500', '50 web~scale-3 400/500', '50 web~scale-4 400/500',
      // 70m: demand x2 on 6 replicas (target still follows 60m).
      '70 a-1 267/500', '70 a-2 267/500', '70 web~scale-1 267/500', '70 web~scale-2 267/500', '70 web~scale-3 267/500', '70 web~scale-4 267/500',
      // 80m: target 4 (newest clones go first); x1 over 4.
      '80 - web~scale-4', '80 - web~scale-3', '80 a-1 200/500', '80 a-2 200/500', '80 web~scale-1 200/500', '80 web~scale-2 200/500',
      '90 - web~scale-2', '90 - web~scale-1', '90 a-1 400/500', '90 a-2 400/500',
      '100 node-usage',
    ]);
  });

  it('caps replicas at maxFactor', async () => {
    const s = scenario(`  demand:
    - {name: p, select: {all: true}, start: "2026-11-16T00:10", end: "2026-11-16T00:30", cpu: 4}
  scaleOut:
    - {select: {apps: [web]}, lag: 0s, maxFactor: 1.5}
`);
    const out = brief(await collect(transformTrace(tiny(), s)));
    // 2 web pods, at most 3 replicas: 400 * 4 * 2 / 3 = 1067 each; db (no scale-out) x4 on its curve.
    expect(out.filter((l) => l.startsWith('10 '))).toEqual(['10 + web~scale-1', '10 a-1 1067/500', '10 a-2 1067/500', '10 web~scale-1 1067/500', '10 app db 2/0.5']);
  });
});

describe('extra batch, nodes and shift', () => {
  it('adds deadline jobs evenly, template nodes at readyBy, and moves the base', async () => {
    const s = scenario(`  shiftTo: "2026-11-09T00:00"
  batch:
    - name: reports
      from: "2026-11-09T00:30"
      to: "2026-11-09T01:30"
      jobs: 2
      podsPerJob: 2
      cpu: 500m
      memory: 1Gi
      runtime: 15m
      deadline: "2026-11-09T01:50"
  nodes:
    - {name: peak, cpu: "16", memory: 64Gi, zone: zone-b, labels: {pool: peak}, count: 2, max: 5, readyBy: "2026-11-09T00:45"}
`);
    const t = transformTrace(tiny(), s);
    const week = 7 * 24 * 60 * MIN;
    expect(t.info.start).toBe(T0 - week);
    expect(t.info.end).toBe(at(120) - week);
    const out = await collect(t);
    const shifted = out.map((e) => ({ ...e, time: e.time + week }) as TraceEvent);
    expect(brief(shifted)).toEqual(['30 + reports-0001-1', '30 + reports-0001-2', '45 node peak-001', '45 node peak-002', '60 + reports-0002-1', '60 + reports-0002-2', '100 node-usage']);
    const arrival = out.find((e) => e.type === 'pod-arrival' && e.pod.uid === 'reports-0002-2');
    expect(arrival).toMatchObject({ pod: { class: 'batch', job: 'reports-0002', namespace: 'batch', requests: { cpu: 500, memory: 2 ** 30 }, runtimeMs: 15 * MIN, declaredRuntimeMs: 15 * MIN } });
    const n = out.find((e) => e.type === 'node-add' && e.node.name === 'peak-002');
    expect(n).toMatchObject({ node: { allocatable: { cpu: 16000, memory: 64 * 2 ** 30 }, zone: 'zone-b', labels: { pool: 'peak', 'topology.kubernetes.io/zone': 'zone-b', 'kubernetes.io/hostname': 'peak-002' } } });
    for (let i = 1; i < out.length; i++) expect(out[i]!.time).toBeGreaterThanOrEqual(out[i - 1]!.time);
  });

  it('adds as many template nodes as asked (plan asks for max)', async () => {
    const s = scenario(`  nodes:\n    - {name: peak, cpu: "16", memory: 64Gi, max: 3}\n`);
    expect((await collect(transformTrace(tiny(), s))).filter((e) => e.type === 'node-add').length).toBe(1);
    const out = await collect(transformTrace(tiny(), s, { nodes: { peak: 3 } }));
    expect(out.filter((e) => e.type === 'node-add').map((e) => (e as { node: { name: string } }).node.name)).toEqual(['peak-001', 'peak-002', 'peak-003', 'n1']);
  });

  it('refuses a template node name the base already has', async () => {
    const s = scenario(`  nodes:\n    - {name: n, cpu: "16", memory: 64Gi, count: 1}\n`);
    const base = tiny();
    const renamed: Trace = { info: base.info, events: async function* () { for await (const e of base.events()) yield e.type === 'node-add' ? { ...e, node: { ...e.node, name: 'n-001' } } : e; } };
    await expect(collect(transformTrace(renamed, s, { nodes: { n: 1 } }))).resolves.toBeDefined();
    const late = transformTrace({ ...renamed, events: async function* () { yield* [] as TraceEvent[]; for await (const e of renamed.events()) yield e; } }, scenario(`  nodes:\n    - {name: n, cpu: "16", memory: 64Gi, count: 1, readyBy: "2026-11-16T00:10"}\n`));
    await expect(collect(late)).rejects.toThrow(/adds n-001, which the base trace already has/);
  });
});

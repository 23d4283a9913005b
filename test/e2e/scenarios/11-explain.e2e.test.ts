// Scenario 11, `tidal explain node --kubeconfig` against a live control plane: three kwok nodes carry
// online, system and batch pods (bound by nodeName: the figures, not the placement, are under test);
// the command reads the cluster once as the extender's watcher does and explains each node's batch
// capacity. Every term is checked against a hand computation of the formula
//
//   free(k) = allocatable x (target - admissionMargin) - upper(k) - committed(k)   per 15-minute slot k, per resource
//   upper(k) = mean(k) + z x sd(k) + margin(k)
//
// which, with no metrics.k8s.io (the e2e plane has none) and no learned curve, is: mean(k) = the online
// pods' requests (cold start: x the event factor inside an onlineDemand window of requests) + the
// system pods' requests (the residual without an observation); sd = margin = 0; committed(k) = the
// requests of the batch pods whose declared runtime (tidal.io/expected-runtime) has not ended by the
// slot's start. The capacity over a span is the least free(k) of its slots. Then `tidal extender`
// (the forecast is its default) over the same cluster answers GET /debug/explain/node/NAME?at=… with the same figures.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane } from '../harness/index.ts';
import { httpGet } from '../harness/process.ts';
import { batchTemplate, createPod, isRunning, type Kube, kube, nativeTemplate, waitForPods } from '../lib/kube.ts';
import { runTidal, TidalExtender } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NS = 'explain';
const SLOT = 15 * 60_000;
const HOUR = 3_600_000;
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TARGET = 0.8;
// The preset's ForecastCapacity admissionMargin: batch is admitted up to allocatable x (TARGET - it).
const MARGIN = 0.02;
const ADMIT = TARGET - MARGIN;

interface Shape {
  name: string;
  node: string;
  cls: 'online' | 'system' | 'batch';
  cpu: number;
  memory: number;
  /** Declared runtime of a batch pod, minutes. */
  runtimeMin?: number;
}

const NODES = [
  { name: 'ex-a', cpu: 8_000, memory: 32 * GiB },
  { name: 'ex-b', cpu: 16_000, memory: 64 * GiB },
  { name: 'ex-c', cpu: 4_000, memory: 16 * GiB },
];

const PODS: Shape[] = [
  { name: 'web-1', node: 'ex-a', cls: 'online', cpu: 2_000, memory: 4 * GiB },
  { name: 'api-1', node: 'ex-a', cls: 'online', cpu: 1_000, memory: 2 * GiB },
  { name: 'agent-a', node: 'ex-a', cls: 'system', cpu: 100, memory: 64 * MiB },
  { name: 'job-long', node: 'ex-a', cls: 'batch', cpu: 1_500, memory: 2 * GiB, runtimeMin: 120 },
  { name: 'job-short', node: 'ex-a', cls: 'batch', cpu: 500, memory: 1 * GiB, runtimeMin: 30 },
  { name: 'web-2', node: 'ex-c', cls: 'online', cpu: 1_500, memory: 3 * GiB },
  { name: 'agent-c', node: 'ex-c', cls: 'system', cpu: 200, memory: 128 * MiB },
  { name: 'job-c', node: 'ex-c', cls: 'batch', cpu: 1_000, memory: 1 * GiB, runtimeMin: 360 },
];

/** An explanation as JSON (core/forecast/explain.ts NodeExplanation; Infinity printed as "never"). */
interface Explained {
  node: string;
  now: number;
  allocatable: { cpu: number; memory: number };
  target: number;
  admissionMargin: number;
  residual: { cpu: number; memory: number };
  coldStart: number;
  capacityNow: { cpu: number; memory: number };
  spans: { hours: number; cpu: number; memory: number }[];
  batch: { pod: string; cpu: number; memory: number; runtime: string; until: number | 'never' }[];
  slots: {
    start: number;
    cpu: { mean: number; sd: number; margin: number; upper: number; committed: number; free: number };
    memory: { mean: number; sd: number; margin: number; upper: number; committed: number; free: number };
    events: { window: string; factor: number; memoryFactor: number; of: string }[];
  }[];
}

describe.skipIf(skip !== undefined)('scenario 11: tidal explain node against the live control plane', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let profile: string;
  /** The instant explained: a slot boundary after every pod started. */
  let at: number;
  /** Pod start times (status.startTime, ms) by name. */
  const started = new Map<string, number>();
  const cli = new Map<string, Explained>();

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  // The sale window: 2x the online pods' requests, 4 h to 6 h after the explained instant.
  const sale = () => ({ start: at + 4 * HOUR, end: at + 6 * HOUR });

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes(NODES.map((n) => ({ name: n.name, cpu: String(n.cpu / 1000), memory: `${n.memory / GiB}Gi` })));
    await cp.ensureNamespace(NS);
    for (const p of PODS) {
      const t =
        p.cls === 'batch'
          ? batchTemplate({ batchMilliCpu: p.cpu, batchMemory: `${p.memory / MiB}Mi`, expectedRuntime: `${p.runtimeMin}m`, nodeName: p.node, labels: { app: p.name } })
          : nativeTemplate({ cls: 'online', cpu: `${p.cpu}m`, memory: `${p.memory / MiB}Mi`, labels: { app: p.name.replace(/-\w+$/, ''), 'tidal.io/class': p.cls } });
      t.spec!.nodeName = p.node;
      await createPod(k, NS, p.name, t);
    }
    const pods = await waitForPods(k, NS, undefined, 'every pod Running with a start time', (ps: V1Pod[]) => (ps.length === PODS.length && ps.every((p) => isRunning(p) && p.status?.startTime) ? ps : undefined), 90_000);
    for (const p of pods) started.set(p.metadata!.name!, new Date(p.status!.startTime!).getTime());
    at = Math.ceil((Date.now() + 1) / SLOT) * SLOT;
    profile = join(plane().dir, 'explain-profile.yaml');
    const w = sale();
    writeFileSync(
      profile,
      [
        'apiVersion: tidal.io/v1alpha1',
        'kind: TimeSharingProfile',
        'metadata:',
        '  name: e2e-explain',
        'spec:',
        '  timeZone: UTC',
        '  default: {batchShare: 1, onlineHeadroom: 0}',
        '  windows:',
        '    - name: sale',
        `      start: "${new Date(w.start).toISOString()}"`,
        `      end: "${new Date(w.end).toISOString()}"`,
        '      onlineDemand: {factor: 2x, of: requests}',
        '',
      ].join('\n'),
    );
    for (const n of NODES) {
      const out = await runTidal(['explain', 'node', n.name, '--kubeconfig', plane().kubeconfigPath, '--profile', profile, '--at', new Date(at).toISOString(), '--json'], { timeoutMs: 120_000 });
      cli.set(n.name, JSON.parse(out) as Explained);
    }
  });

  afterAll(async () => {
    await cp?.stop();
  });

  /** The hand computation of node n's slot k, per resource. */
  const hand = (node: string, kSlot: number) => {
    const n = NODES.find((x) => x.name === node)!;
    const on = PODS.filter((p) => p.node === node && p.cls === 'online');
    const sys = PODS.filter((p) => p.node === node && p.cls === 'system');
    const start = at + kSlot * SLOT;
    const w = sale();
    // The window covers the slot in full (it starts and ends on slot boundaries): 2x requests.
    const factor = start >= w.start && start < w.end ? 2 : 1;
    const sum = (ps: Shape[], r: 'cpu' | 'memory') => ps.reduce((s, p) => s + p[r], 0);
    const committed = (r: 'cpu' | 'memory') =>
      PODS.filter((p) => p.node === node && p.cls === 'batch' && started.get(p.name)! + p.runtimeMin! * 60_000 > start).reduce((s, p) => s + p[r], 0);
    const one = (r: 'cpu' | 'memory') => {
      const mean = factor * sum(on, r) + sum(sys, r);
      const c = committed(r);
      return { mean, upper: mean, committed: c, free: n[r] * ADMIT - mean - c };
    };
    return { cpu: one('cpu'), memory: one('memory'), factor };
  };

  it('the CLI reads the live cluster: every node, its batch pods with their declared runtimes', () => {
    expect([...cli.keys()]).toEqual(NODES.map((n) => n.name));
    for (const n of NODES) {
      const x = cli.get(n.name)!;
      expect(x.now).toBe(at);
      expect(x.allocatable).toEqual({ cpu: n.cpu, memory: n.memory });
      expect(x.target).toBe(TARGET);
      expect(x.admissionMargin).toBe(MARGIN);
      expect(x.slots).toHaveLength(96);
      expect(x.coldStart).toBe(PODS.filter((p) => p.node === n.name && p.cls === 'online').length);
      const batch = PODS.filter((p) => p.node === n.name && p.cls === 'batch');
      expect(x.batch.map((b) => b.pod).sort()).toEqual(batch.map((p) => `${NS}/${p.name}`).sort());
      for (const b of x.batch) {
        const p = batch.find((q) => `${NS}/${q.name}` === b.pod)!;
        expect(b).toMatchObject({ cpu: p.cpu, memory: p.memory, runtime: 'declared', until: started.get(p.name)! + p.runtimeMin! * 60_000 });
      }
    }
  });

  it('every slot of every node matches the hand computation of the formula', () => {
    for (const n of NODES) {
      const x = cli.get(n.name)!;
      // The residual without an observation: the system pods' requests.
      const sys = PODS.filter((p) => p.node === n.name && p.cls === 'system');
      expect(x.residual).toEqual({ cpu: sys.reduce((s, p) => s + p.cpu, 0), memory: sys.reduce((s, p) => s + p.memory, 0) });
      x.slots.forEach((s, i) => {
        const h = hand(n.name, i);
        expect(s.start).toBe(at + i * SLOT);
        for (const r of ['cpu', 'memory'] as const) {
          expect({ node: n.name, slot: i, r, sd: s[r].sd, margin: s[r].margin }).toEqual({ node: n.name, slot: i, r, sd: 0, margin: 0 });
          expect({ node: n.name, slot: i, r, mean: s[r].mean, upper: s[r].upper, committed: s[r].committed }).toEqual({ node: n.name, slot: i, r, mean: h[r].mean, upper: h[r].upper, committed: h[r].committed });
          expect(s[r].free).toBeCloseTo(h[r].free, 3);
        }
        expect(s.events.map((e) => `${e.window} ${e.factor}x/${e.memoryFactor}x ${e.of}`)).toEqual(h.factor === 2 ? ['sale 2x/2x requests'] : []);
      });
    }
  });

  it('ex-a by hand: 1.14 cores now, 1.64 once the short job ends, 3.14 after the long one, 0.14 in the sale', () => {
    const x = cli.get('ex-a')!;
    // 8 cores x (0.8 - 0.02) = 6.24; online 2 + 1 and system 0.1 -> upper 3.1; committed 1.5 + 0.5 (no pod metrics: at requests) -> 1.14 free.
    expect(x.capacityNow.cpu).toBeCloseTo(6_240 - 3_100 - 2_000, 3);
    expect(x.capacityNow.memory).toBeCloseTo(32 * GiB * 0.78 - (6 * GiB + 64 * MiB) - 3 * GiB, 0);
    const shortEnds = started.get('job-short')! + 30 * 60_000;
    const afterShort = x.slots.find((s) => s.start >= shortEnds)!;
    expect(afterShort.cpu.free).toBeCloseTo(6_240 - 3_100 - 1_500, 3);
    const longEnds = started.get('job-long')! + 120 * 60_000;
    const afterLong = x.slots.find((s) => s.start >= longEnds)!;
    expect(afterLong.start).toBeLessThan(sale().start);
    expect(afterLong.cpu.free).toBeCloseTo(6_240 - 3_100, 3);
    // In the sale window the online side counts at 2x its requests: 6.24 - (6 + 0.1) = 0.14.
    const inSale = x.slots.find((s) => s.start === sale().start)!;
    expect(inSale.cpu.free).toBeCloseTo(6_240 - 6_100, 3);
  });

  it('the capacity over each span is the least free slot of the span', () => {
    for (const n of NODES) {
      const x = cli.get(n.name)!;
      expect(x.capacityNow.cpu).toBeCloseTo(x.slots[0]!.cpu.free, 3);
      for (const s of x.spans) {
        const within = x.slots.slice(0, Math.ceil((s.hours * HOUR) / SLOT));
        expect(s.cpu).toBeCloseTo(Math.min(...within.map((v) => v.cpu.free)), 3);
        expect(s.memory).toBeCloseTo(Math.min(...within.map((v) => v.memory.free)), 0);
      }
    }
    // ex-a over 24 h: the sale's slots are the least (0.14 cores), over 1 h the commitments are (1.14).
    const a = cli.get('ex-a')!;
    expect(a.spans.find((s) => s.hours === 1)!.cpu).toBeCloseTo(1_140, 3);
    expect(a.spans.find((s) => s.hours === 24)!.cpu).toBeCloseTo(140, 3);
    // ex-b has nothing on it: 16 x 0.78 = 12.48 cores over any span.
    expect(cli.get('ex-b')!.spans.every((s) => Math.abs(s.cpu - 12_480) < 1e-6)).toBe(true);
  });

  it('the extender (the forecast, its default) answers the same figures on /debug/explain/node/NAME for the same state and time', async () => {
    const ext = await TidalExtender.start(plane(), { name: 'ext-explain', profile });
    await ext.waitReady();
    try {
      for (const n of NODES) {
        const res = await httpGet(`${ext.baseUrl}/debug/explain/node/${n.name}?at=${new Date(at).toISOString()}`);
        expect(res.status).toBe(200);
        const e = JSON.parse(res.body) as Explained;
        const c = cli.get(n.name)!;
        expect(e.now).toBe(at);
        expect(e.capacityNow).toEqual(c.capacityNow);
        expect(e.spans).toEqual(c.spans);
        expect(e.batch).toEqual(c.batch);
        expect(e.slots).toEqual(c.slots);
      }
      expect((await httpGet(`${ext.baseUrl}/debug/explain/node/nope`)).status).toBe(404);
    } finally {
      await ext.stop();
    }
  });
});

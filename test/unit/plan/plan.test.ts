// The planner on traces built so that the answer is known: online pods of which each node holds exactly one,
// so that a cluster carries them without a delayed online pod exactly when it has one node per pod.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probePool } from '../../../simulator/plan-pool.ts';
import { checkBound, clusterOfSize, planNodes } from '../../../simulator/plan.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { writeTrace } from '../../../simulator/traces/tidal.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidal-plan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2026-11-16T00:00:00Z');
const MIN = 60_000;
const CPU = 4000;
const MEM = 8 * 2 ** 30;
/** More than half a node, so that each node holds exactly one (the rest is the node's slack). */
const POD_CPU = 3000;
const POD_MEM = 6 * 2 ** 30;
const PROFILE = join(import.meta.dirname, '../../../profiles/daily-tidal.yaml');

/** `nodes` nodes of 4 cores; `pods` online pods of 3 cores (one fits a node), at half their requests. */
async function exactTrace(name: string, nodes: number, pods: number): Promise<string> {
  const events: TraceEvent[] = [];
  for (let i = 0; i < nodes; i++) {
    const n = `node-${i + 1}`;
    events.push({ type: 'node-add', time: T0, node: { name: n, allocatable: { cpu: CPU, memory: MEM }, maxPods: 110, labels: { 'kubernetes.io/hostname': n }, zone: '', unschedulable: false } });
  }
  for (let i = 0; i < pods; i++) {
    events.push({ type: 'pod-arrival', time: T0 + MIN, pod: { uid: `web-${i + 1}`, namespace: 'shop', name: `web-${i + 1}`, class: 'online', app: 'web', priority: 9000, requests: { cpu: POD_CPU, memory: POD_MEM }, runtimeMs: 0, declaredRuntimeMs: 0, checkpointable: false, job: '' } });
  }
  events.push({ type: 'app-usage', time: T0 + MIN, app: 'web', cpu: 0.5, memory: 0.5 });
  events.push({ type: 'app-usage', time: T0 + 180 * MIN, app: 'web', cpu: 0.5, memory: 0.5 });
  const file = join(dir, `${name}.jsonl`);
  await writeTrace({ info: { format: 'tidal-trace', source: name, start: T0, end: T0 + 181 * MIN, skipped: new Map() }, events: async function* () { yield* events; } }, file);
  return file;
}

function scenario(name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `apiVersion: tidal.io/v1alpha1\nkind: DemandScenario\nmetadata: {name: ${name}}\nspec:\n  timeZone: UTC\n${body}`);
  return file;
}

const TEMPLATE = '  nodes:\n    - {name: extra, cpu: "4", memory: 8Gi, max: 6}\n';
const bound = { maxRisk: 0.01, maxDelayedOnline: 0 };

describe('tidal plan search', () => {
  it('finds N by removing nodes from a larger cluster', async () => {
    const trace = await exactTrace('remove', 9, 4);
    const r = await planNodes({ trace, profile: PROFILE, policies: ['kube-default', 'time-sharing'], bound, runner: probePool(1) });
    expect(r.policies.map((p) => p.policy)).toEqual(['kube-default', 'time-sharing']);
    for (const p of r.policies) {
      expect(p.needed, p.policy).toBe(4);
      expect(p.remove).toBe(5);
      expect(p.add).toEqual([]);
      expect(p.atBase.check.ok).toBe(true);
      expect(p.margin?.nodes).toBe(3);
      expect(p.margin?.check.failing.map((f) => f.bound)).toEqual(['online-delay']);
      expect(p.atNeeded?.totals.onlineRisk.onlinePodsDelayed).toBe(0);
    }
  });

  it('finds N by adding template nodes, in worker threads', async () => {
    const trace = await exactTrace('add', 2, 5);
    const runner = probePool(2);
    try {
      const r = await planNodes({ trace, scenario: scenario('add', TEMPLATE), profile: PROFILE, policies: ['time-sharing'], bound, runner });
      const p = r.policies[0]!;
      expect(r.layout.base.map((n) => n.name)).toEqual(['node-1', 'node-2']);
      expect(r.layout.maxNodes).toBe(8);
      expect(p.atBase.check.failing.map((f) => f.bound)).toEqual(['online-delay']);
      expect(p.needed).toBe(5);
      expect(p.add).toEqual([{ template: 'extra', count: 3 }]);
      expect(p.margin?.nodes).toBe(4);
      expect(p.margin?.check.ok).toBe(false);
    } finally {
      await runner.close();
    }
  }, 120_000);

  it('follows the scenario: demand doubled with replicas following needs twice the nodes', async () => {
    const trace = await exactTrace('surge', 3, 3);
    const sc = scenario('surge', `  demand:\n    - {name: peak, select: {all: true}, start: "2026-11-16T01:00", end: "2026-11-16T02:00", cpu: 2}\n  scaleOut:\n    - {select: {all: true}, lag: 5m}\n${TEMPLATE}`);
    const r = await planNodes({ trace, scenario: sc, profile: PROFILE, policies: ['kube-default'], bound, runner: probePool(1) });
    const p = r.policies[0]!;
    expect(p.atBase.check.ok).toBe(false);
    expect(p.needed).toBe(6);
    expect(p.add).toEqual([{ template: 'extra', count: 3 }]);
    // The replicas the base cluster cannot place are scaled away again still pending: delayed.
    expect(p.atBase.onlineEndedWhilePending).toBe(3);
  }, 60_000);

  it('says when no size meets the bound, naming the failing bound', async () => {
    const trace = await exactTrace('none', 2, 12);
    const r = await planNodes({ trace, scenario: scenario('none', TEMPLATE), profile: PROFILE, policies: ['time-sharing'], bound, runner: probePool(1) });
    const p = r.policies[0]!;
    expect(p.needed).toBeNull();
    expect(p.atMax?.nodes).toBe(8);
    expect(p.atMax?.check.failing.map((f) => f.bound)).toEqual(['online-delay']);
  });

  it('checks each bound separately', () => {
    const risk = { interferenceFraction: 0.02, unmetOnlineCpuCoreSeconds: 0, onlineOomKills: 0, onlinePodsDelayed: 1 };
    const totals = { onlineRisk: risk } as Parameters<typeof checkBound>[0];
    // The delayed pod is bounded on its own, not folded into the risk scalar.
    expect(checkBound(totals, { maxRisk: 0.01, maxDelayedOnline: 0 }).failing.map((f) => f.text)).toEqual(['online risk 2.00% > 1.00%', 'online pods delayed 1 > 0']);
    expect(checkBound(totals, { maxRisk: 0.05, maxDelayedOnline: 1 }).ok).toBe(true);
    // Unmet online CPU or an online OOM kill breaches any bound below 1.
    const oom = { onlineRisk: { ...risk, onlineOomKills: 1 } } as Parameters<typeof checkBound>[0];
    expect(checkBound(oom, { maxRisk: 0.05, maxDelayedOnline: 1 }).failing.map((f) => f.text)).toEqual(['online risk 100.00% > 5.00%']);
    const unmet = { onlineRisk: { ...risk, unmetOnlineCpuCoreSeconds: 30 } } as Parameters<typeof checkBound>[0];
    expect(checkBound(unmet, { maxRisk: 0.05, maxDelayedOnline: 1 }).ok).toBe(false);
  });

  it('fills templates in order above the base', () => {
    const layout = { base: [{ name: 'a' }, { name: 'b' }] as never[], templates: [{ name: 't1', max: 2 }, { name: 't2', max: 3 }] as never[], maxNodes: 7 };
    expect(clusterOfSize(layout, 1)).toEqual({ baseNodes: ['a'], templateNodes: { t1: 0, t2: 0 }, added: [] });
    expect(clusterOfSize(layout, 5)).toEqual({ baseNodes: ['a', 'b'], templateNodes: { t1: 2, t2: 1 }, added: [{ template: 't1', count: 2 }, { template: 't2', count: 1 }] });
  });
});

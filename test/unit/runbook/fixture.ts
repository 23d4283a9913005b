// A fixture plan for the runbook tests: 18 hours around the Double 11 peak of profiles/double11.yaml
// on 2 nodes of 4 cores, with 2 online pods of 3 cores (one fits a node) scaled out to 3 at the
// peak, so the plan adds exactly one template node.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { probePool } from '../../../simulator/plan-pool.ts';
import { planNodes } from '../../../simulator/plan.ts';
import { buildRunbook } from '../../../simulator/runbook/index.ts';
import type { Doc } from '../../../simulator/runbook/doc.ts';
import { loadScenarioFile } from '../../../simulator/scenario/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { writeTrace } from '../../../simulator/traces/tidal.ts';

export const PROFILE_FILE = join(import.meta.dirname, '../../../profiles/double11.yaml');
const T0 = Date.parse('2026-11-10T12:00:00+08:00');
const MIN = 60_000;

export async function fixtureRunbook(policies: string[] = ['time-sharing-timetable', 'kube-default']): Promise<Doc> {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-runbook-test-'));
  try {
    const events: TraceEvent[] = [];
    for (const n of ['node-1', 'node-2']) events.push({ type: 'node-add', time: T0, node: { name: n, allocatable: { cpu: 4000, memory: 8 * 2 ** 30 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } });
    for (let i = 1; i <= 2; i++) events.push({ type: 'pod-arrival', time: T0 + MIN, pod: { uid: `web-${i}`, namespace: 'shop', name: `web-${i}`, class: 'online', app: 'web', priority: 9000, requests: { cpu: 3000, memory: 2 ** 30 }, runtimeMs: 0, declaredRuntimeMs: 0, checkpointable: false, job: '' } });
    events.push({ type: 'app-usage', time: T0 + MIN, app: 'web', cpu: 0.4, memory: 0.5 });
    events.push({ type: 'app-usage', time: T0 + 18 * 60 * MIN, app: 'web', cpu: 0.4, memory: 0.5 });
    const trace = join(dir, 'trace.jsonl');
    await writeTrace({ info: { format: 'tidal-trace', source: 'fixture', start: T0, end: T0 + 18 * 60 * MIN + 1, skipped: new Map() }, events: async function* () { yield* events; } }, trace);
    const scenario = join(dir, 'peak.yaml');
    writeFileSync(scenario, `apiVersion: tidal.io/v1alpha1
kind: DemandScenario
metadata: {name: fixture-peak}
spec:
  timeZone: Asia/Shanghai
  demand:
    - {name: midnight, select: {all: true}, start: "2026-11-10T22:00", end: "2026-11-11T02:00", rampUp: 30m, cpu: 1.5}
  scaleOut:
    - {select: {all: true}, lag: 5m}
  nodes:
    - {name: peak, cpu: "4", memory: 8Gi, zone: zone-a, labels: {tidal.io/pool: peak}, max: 3, readyBy: "2026-11-10T18:00"}
`);
    const report = await planNodes({ trace, scenario, profile: PROFILE_FILE, policies, bound: { maxRisk: 0.01, maxDelayedOnline: 0 }, runner: probePool(1) });
    return buildRunbook({ report, profile: loadProfileFile(PROFILE_FILE), profileFile: 'profiles/double11.yaml', scenario: loadScenarioFile(scenario), command: 'tidal plan --fixture' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `tidal plan`, `tidal trace transform` and `tidal simulate --scenario` as a user runs them.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { writeTrace } from '../../../simulator/traces/tidal.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'tidal-plan-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-11-16T00:00:00Z');

async function trace(pods: number): Promise<string> {
  const events: TraceEvent[] = [];
  for (const n of ['node-1', 'node-2']) events.push({ type: 'node-add', time: T0, node: { name: n, allocatable: { cpu: 4000, memory: 8 * 2 ** 30 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } });
  for (let i = 1; i <= pods; i++) events.push({ type: 'pod-arrival', time: T0 + 60_000, pod: { uid: `web-${i}`, namespace: 'shop', name: `web-${i}`, class: 'online', app: 'web', priority: 9000, requests: { cpu: 3000, memory: 2 ** 30 }, runtimeMs: 0, declaredRuntimeMs: 0, checkpointable: false, job: '' } });
  events.push({ type: 'app-usage', time: T0 + 3_600_000, app: 'web', cpu: 0.4, memory: 0.4 });
  const file = join(dir, `t${pods}.jsonl`);
  await writeTrace({ info: { format: 'tidal-trace', source: 'cli', start: T0, end: T0 + 3_600_001, skipped: new Map() }, events: async function* () { yield* events; } }, file);
  return file;
}

const scenario = join(dir, 'add.yaml');
writeFileSync(scenario, 'apiVersion: tidal.io/v1alpha1\nkind: DemandScenario\nmetadata: {name: add}\nspec:\n  nodes:\n    - {name: extra, cpu: "4", memory: 8Gi, max: 2}\n');

async function tidal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['scheduler/cli/tidal.ts', ...args], { cwd: ROOT });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const plan = (t: string) => ['plan', '--trace', t, '--scenario', scenario, '--profile', 'profiles/daily-tidal.yaml', '--max-risk', '0.01', '--parallel', '1', '--no-progress'];

describe('tidal plan CLI', () => {
  it('exits 0 and says how many nodes to add', async () => {
    const r = await tidal(...plan(await trace(3)));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fewest nodes: 3 (add 1 x extra)');
    expect(r.stdout).toContain('base 2 nodes: risk 0.00%, online delayed 1 -> fails: online pods delayed 1 > 0');
  }, 60_000);

  it('exits 3 naming the failing bound when no size meets it', async () => {
    const r = await tidal(...plan(await trace(6)));
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('NO SIZE MEETS THE BOUND: even 4 nodes (every template at its max) fail: online pods delayed 2 > 0');
    expect(r.stderr).toContain('tidal plan: no size meets the bound for time-sharing (online-delay)');
  }, 60_000);

  it('passes the reader flags to its worker threads, as tidal simulate takes them', async () => {
    // A v2017 batch_task table alone: no machines of its own (--machines gives them), and a task
    // whose status --task-status leaves out. Both must reach the probes, which open the trace in workers.
    const tables = mkdtempSync(join(dir, 'alibaba-'));
    writeFileSync(join(tables, 'batch_task.csv'), '0,600,1,1,2,Terminated,1.5,0.01\n100,900,1,2,1,Failed,0.5,0.02\n');
    const args = ['plan', '--trace', tables, '--profile', 'profiles/daily-tidal.yaml', '--max-risk', '0.01', '--parallel', '2', '--policy', 'kube-default', 'time-sharing', '--no-progress', '--machines', '2x4/8Gi'];
    const r = await tidal(...args, '--task-status', 'Terminated');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cluster: 2 base nodes');
    // Every probe of both policies replayed the two selected pods, not three.
    expect(r.stdout.match(/of 2 batch pods/g)).toHaveLength(2);
    expect(r.stdout).not.toContain('of 3 batch pods');
    expect(r.stdout).toContain('4 simulations, 2 at a time');
    // Without --machines there is no cluster to plan; a reader flag's error names the flag.
    expect((await tidal(...args.slice(0, -2))).stderr).toContain(`trace ${tables} adds no nodes`);
    expect((await tidal(...args, '--max-pods', '0')).stderr.trim()).toBe('tidal: --max-pods must be a whole number of at least 1 (got "0")');
  }, 120_000);

  it('refuses a bad scenario file with its line and column', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: tidal.io/v1alpha1\nkind: DemandScenario\nmetadata: {name: bad}\nspec:\n  nodes:\n    - {name: extra, cpu: lots, memory: 8Gi, max: 2}\n');
    const r = await tidal('trace', 'transform', '--in', await trace(1), '--scenario', bad, '--out', join(dir, 'x.jsonl'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:6:26: spec.nodes[0].cpu: "lots" is not a Kubernetes quantity`);
  }, 60_000);

  it('trace transform writes the transformed trace, and simulate replays a scenario directly', async () => {
    const out = join(dir, 'out.jsonl');
    const t = await trace(3);
    const r = await tidal('trace', 'transform', '--in', t, '--scenario', scenario, '--out', out, '--nodes', 'extra=2');
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'tidal-trace', scenario, base: t });
    expect(lines.filter((l) => l.includes('"node-add"')).length).toBe(4);
    const s = await tidal('simulate', '--trace', t, '--scenario', scenario, '--profile', 'profiles/daily-tidal.yaml', '--policy', 'kube-default', '--out', join(dir, 'sim'), '--no-progress');
    expect(s.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'sim', 'report.json'), 'utf8')).source).toContain('+ scenario add');
  }, 60_000);
});

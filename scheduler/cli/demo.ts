// tidal demo-extender: starts the extender on 127.0.0.1 (a free port) over a sample cluster snapshot,
// then plays kube-scheduler: one filter and one prioritize call for an online pod and for a batch pod,
// with the wire format kube-scheduler sends (Capitalised keys, nodeCacheCapable), and prints verdicts
// and scores.

import type { Command } from 'commander';
import { loadProfileFile } from '../../profiles/loader.ts';
import { resolveModePolicy } from '../config/policy-loader.ts';
import { forecastModeProfile } from '../core/profile.ts';
import { OffsetClock, realClock, type Clock } from '../core/clock.ts';
import { PolicyEngine } from '../core/engine.ts';
import { ClusterState } from '../core/state.ts';
import { createExtenderApp, startExtender } from '../extender/server.ts';
import type { ExtenderArgs, ExtenderFilterResult, HostPriorityList, WirePod } from '../extender/wire.ts';
import { loadSnapshotFile, StaticStateSource } from '../kube/snapshot.ts';
import { packageFile } from './package-root.ts';
import { formatTime, parseTime } from './time.ts';

// Shipped with the package (package.json "files").
export const SAMPLE_STATE = packageFile('scheduler/extender/sample-state.json');
export const DEFAULT_PROFILE = packageFile('profiles/daily-tidal.yaml');

export interface DemoOptions {
  profile?: string;
  state?: string;
  config?: string;
  /** ISO 8601 (local to the profile's zone without an offset) or "now". */
  at?: string;
  write?: (line: string) => void;
}

export interface DemoCase {
  title: string;
  pod: WirePod;
  filter: ExtenderFilterResult;
  /** null when kube-scheduler would not call prioritize (fewer than two feasible nodes). */
  prioritize: HostPriorityList | null;
}

/** The pods the demo schedules, as kube-scheduler would send them (a Deployment's pod, a Job's pod). */
export function demoPods(): { online: WirePod; batch: WirePod } {
  const created = new Date().toISOString();
  return {
    online: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-7d9f8b6c5d-n3w9q',
        namespace: 'shop',
        uid: '6f1c2a9e-0d4b-4e8a-9b51-3c7d2e8f4a10',
        creationTimestamp: created as unknown as Date,
        labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8b6c5d', uid: 'owner-web', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        priorityClassName: 'tidal-online',
        priority: 1000,
        schedulerName: 'default-scheduler',
        containers: [{ name: 'web', image: 'registry.example/web:2.3', resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } } }],
      },
      status: { phase: 'Pending', qosClass: 'Burstable' },
    },
    batch: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'etl-nightly-4-x7k2p',
        namespace: 'analytics',
        uid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
        creationTimestamp: created as unknown as Date,
        labels: { app: 'etl-nightly', 'batch.kubernetes.io/job-name': 'etl-nightly-4' },
        annotations: { 'tidal.io/expected-runtime': '2h', 'tidal.io/checkpointable': 'false' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'etl-nightly-4', uid: 'owner-etl', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        priorityClassName: 'tidal-batch',
        priority: 5000,
        schedulerName: 'default-scheduler',
        restartPolicy: 'OnFailure',
        containers: [{ name: 'etl', image: 'registry.example/etl:1.8', resources: { requests: { 'tidal.io/batch-cpu': '3000', 'tidal.io/batch-memory': '6Gi' }, limits: { 'tidal.io/batch-cpu': '3000', 'tidal.io/batch-memory': '6Gi' } } }],
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    },
  };
}

async function post<T>(url: string, body: unknown): Promise<T> {
  // Exactly what kube-scheduler's HTTPExtender sends: POST, Content-Type application/json, JSON body.
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoCase[]> {
  const write = opts.write ?? ((l: string) => console.log(l));
  const loaded = loadProfileFile(opts.profile ?? DEFAULT_PROFILE);
  // The demo walks through the profile's windows (its header prints the level in force), so it runs the
  // timetable, as `tidal extender --timetable` (without --config); with --config, the file's base decides,
  // as for the extender (a forecast base reads the profile in forecast mode).
  const { policy, forecast } = resolveModePolicy({ config: opts.config, timetable: !opts.config });
  const profile = forecast ? forecastModeProfile(loaded) : loaded;
  const clock: Clock = opts.at && opts.at !== 'now' ? new OffsetClock(parseTime(opts.at, profile.timeZone)) : realClock;
  const state = new ClusterState(policy.usage);
  const stateFile = opts.state ?? SAMPLE_STATE;
  loadSnapshotFile(stateFile, state, { clock, classification: policy.classification, file: stateFile });
  const source = new StaticStateSource(state, { clock, description: 'demo snapshot' });
  const engine = new PolicyEngine({ config: policy, state, profile });
  // No decision budget: the demo shows the decisions, and a cold start on a busy machine would
  // otherwise answer its first request in degraded mode (online pods pass every node).
  const app = createExtenderApp({ engine, source, clock, decisionBudgetMs: 0 });
  const server = await startExtender(app, { host: '127.0.0.1', port: 0 });
  const base = `${server.url}/scheduler`;
  const cases: DemoCase[] = [];
  try {
    const now = clock.now();
    const level = engine.timeline.at(now);
    const names = [...state.nodes.keys()];
    write(`Tidal extender demo: ${names.length} nodes (${stateFile === SAMPLE_STATE ? 'built-in sample' : stateFile}), extender at ${base}`);
    write(
      `profile ${profile.name} at ${formatTime(now, profile.timeZone)}: window ${level.segment.window?.name ?? 'default'}, batch share ${Math.round(level.batchShare * 100)}%, online headroom ${Math.round(level.onlineHeadroom * 100)}%${level.drainingFor ? ` (draining ahead of ${level.drainingFor.window?.name ?? 'default'})` : ''}`,
    );
    const pods = demoPods();
    for (const [title, pod] of [
      ['online pod (Deployment web, requests cpu 1, memory 2Gi)', pods.online],
      ['batch pod (Job etl-nightly, tidal.io/batch-cpu 3000m, tidal.io/batch-memory 6Gi, runtime 2h, not checkpointable)', pods.batch],
    ] as const) {
      const args: ExtenderArgs = { Pod: pod, Nodes: null, NodeNames: names };
      const filter = await post<ExtenderFilterResult>(`${base}/filter`, args);
      const feasible = filter.NodeNames ?? [];
      // kube-scheduler calls prioritize only when more than one node is feasible.
      const prioritize = feasible.length > 1 ? await post<HostPriorityList>(`${base}/prioritize`, { Pod: pod, Nodes: null, NodeNames: feasible }) : null;
      cases.push({ title, pod, filter, prioritize });
      write('');
      write(`${pod.metadata!.namespace}/${pod.metadata!.name}: ${title}`);
      const rows = [['NODE', 'FILTER', 'SCORE', 'REASON']];
      for (const n of names) {
        const score = prioritize?.find((h) => h.Host === n)?.Score;
        const unresolvable = filter.FailedAndUnresolvableNodes[n];
        const failed = filter.FailedNodes[n];
        const verdict = feasible.includes(n) ? 'pass' : unresolvable !== undefined ? 'fail (unresolvable)' : 'fail';
        rows.push([n, verdict, score === undefined ? '-' : `${score}/10`, unresolvable ?? failed ?? '']);
      }
      for (const l of table(rows)) write(l);
      if (feasible.length === 1) write(`  (one feasible node: kube-scheduler would bind to ${feasible[0]} without calling prioritize)`);
      if (feasible.length === 0) write('  (no feasible node: the pod stays pending; kube-scheduler may try preemption)');
    }
  } finally {
    await server.close();
    await source.stop();
  }
  return cases;
}

export function register(program: Command): void {
  program
    .command('demo-extender')
    .description("start the extender on a sample cluster and show, as kube-scheduler would see them, its filter and prioritize answers for an online and a batch pod (the timetable mode, to show the profile's windows; with --config, its base decides)")
    .option('--profile <file>', 'time-sharing profile YAML', DEFAULT_PROFILE)
    .option('--state <file>', 'cluster snapshot to use instead of the built-in sample')
    .option('--config <file>', 'TidalConfig YAML')
    .option('--at <time>', 'evaluate the profile at this instant (ISO 8601, local to the profile time zone without an offset)', 'now')
    .action(async (opts: DemoOptions) => {
      await runDemo(opts);
    });
}

// Shared by the extender load benchmarks (load-extender.ts, load-fuzz.ts): the 5000-node bench cluster
// (bench/cluster.ts) behind a real extender app on loopback, and request bodies shaped as
// kube-scheduler sends them (nodeCacheCapable: names only).

import pino from 'pino';
import { Registry } from 'prom-client';
import { PRESETS } from '../scheduler/core/config.ts';
import { VirtualClock } from '../scheduler/core/clock.ts';
import { PolicyEngine } from '../scheduler/core/engine.ts';
import type { ClusterState } from '../scheduler/core/state.ts';
import { createExtenderApp, startExtender, type ExtenderAppOptions, type RunningExtender } from '../scheduler/extender/server.ts';
import type { Readiness, StateSource } from '../scheduler/kube/source.ts';
import { loadProfileFile } from '../profiles/loader.ts';
import { buildCluster, NOW } from './cluster.ts';

/** Always synced: the bench state is built in memory. */
export class SyncedSource implements StateSource {
  readonly state: ClusterState;
  constructor(state: ClusterState) {
    this.state = state;
  }
  isSynced(): boolean {
    return true;
  }
  async waitForSync(): Promise<void> {}
  readiness(): Readiness {
    return { ready: true, reason: 'bench state', details: {} } as unknown as Readiness;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export interface BenchExtender {
  running: RunningExtender;
  base: string;
  names: string[];
  engine: PolicyEngine;
  registry: Registry;
  close(): Promise<void>;
}

/** The bench cluster (nodes x 30 pods) behind an extender on 127.0.0.1:<free port>, plain HTTP. */
export async function startBenchExtender(nodes: number, o: Partial<Omit<ExtenderAppOptions, 'engine' | 'source'>> & { profile?: string; policy?: string } = {}): Promise<BenchExtender> {
  const config = PRESETS[o.policy ?? 'time-sharing'];
  if (!config) throw new Error(`unknown policy "${o.policy}"; known: ${Object.keys(PRESETS).join(', ')}`);
  const { state, names } = buildCluster(nodes, config.usage);
  const profile = loadProfileFile(o.profile ?? new URL('../profiles/daily-tidal.yaml', import.meta.url).pathname);
  const engine = new PolicyEngine({ config, state, profile });
  const registry = new Registry();
  const { profile: _profile, policy: _policy, ...appOpts } = o;
  const app = createExtenderApp({ log: pino({ level: 'silent' }), ...appOpts, engine, source: new SyncedSource(state), clock: new VirtualClock(NOW), registry });
  const running = await startExtender(app, { host: '127.0.0.1', port: 0 });
  return { running, base: `${running.url}/scheduler`, names, engine, registry, close: () => running.close() };
}

/** A pending pod as kube-scheduler sends it (v1.Pod JSON). */
export function pendingPod(k: number, cls: 'online' | 'batch'): Record<string, unknown> {
  const name = `${cls}-${k}`;
  const requests = cls === 'batch' ? { 'tidal.io/batch-cpu': '500', 'tidal.io/batch-memory': '1Gi' } : { cpu: '500m', memory: '1Gi' };
  return {
    metadata: {
      name,
      namespace: 'bench',
      uid: `uid-${name}`,
      labels: { app: cls === 'batch' ? `job-${k % 50}` : `web-${k % 50}` },
      annotations: cls === 'batch' ? { 'tidal.io/expected-runtime': '1h', 'tidal.io/checkpointable': k % 2 ? 'true' : 'false' } : {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: cls === 'batch' ? 'Job' : 'ReplicaSet', name: `owner-${k % 50}`, uid: `o-${k % 50}`, controller: true }],
    },
    spec: {
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests, limits: requests } }],
      priority: cls === 'batch' ? 5000 : 9000,
      priorityClassName: cls === 'batch' ? 'tidal-batch' : 'tidal-online',
      schedulerName: 'default-scheduler',
    },
    status: { phase: 'Pending' },
  };
}

/** Filter/prioritize body with NodeNames (nodeCacheCapable: true). */
export function namesBody(pod: unknown, names: readonly string[]): string {
  return JSON.stringify({ Pod: pod, Nodes: null, NodeNames: names });
}

/** Messages between a load benchmark and its server child (bench/load-server.ts). */
export type ServerMessage = { type: 'ready'; port: number; names: string[] } | { type: 'stats'; rss: number; heapUsed: number; metrics: string };

export interface ServerChild {
  port: number;
  names: string[];
  stats(gc?: boolean): Promise<{ rss: number; heapUsed: number; metrics: string }>;
  stop(): Promise<void>;
}

/**
 * Starts the extender in a child process (its own event loop and core, as in production, so that
 * the load generator does not compete with it), with the given load-server.ts arguments.
 */
export async function forkServer(args: string[]): Promise<ServerChild> {
  const { fork } = await import('node:child_process');
  const child = fork(new URL('./load-server.ts', import.meta.url).pathname, args, { execArgv: ['--expose-gc', ...(process.env.TIDAL_LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port: number; names: string[] }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load server exited with ${code}`)));
    child.once('message', (m: ServerMessage) => m.type === 'ready' && resolve(m));
  });
  child.removeAllListeners('exit');
  return {
    ...ready,
    stats: (gc = false) =>
      new Promise((resolve) => {
        child.once('message', (m: ServerMessage) => m.type === 'stats' && resolve(m));
        child.send({ type: 'stats', gc });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}

/** Latency percentiles of a batch of samples (ms), by sorting a copy. */
export function pct(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = Float64Array.from(samples).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** A metric's value summed over its label sets, from a Prometheus text exposition. */
export function metricSum(text: string, name: string, filter = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    if (line[name.length] !== '{' && line[name.length] !== ' ') continue;
    if (filter && !line.includes(filter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * A quantile of a Prometheus histogram between two scrapes (the upper bound of the bucket it falls
 * in, in the histogram's unit), over the label sets matching `filter`.
 */
export function histogramQuantile(before: string, after: string, name: string, q: number, filter = ''): number {
  const buckets = (text: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || (filter && !line.includes(filter))) continue;
      const le = /le="([^"]+)"/.exec(line)![1]!;
      const bound = le === '+Inf' ? Infinity : Number(le);
      m.set(bound, (m.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return m;
  };
  const a = buckets(after);
  const b = buckets(before);
  const bounds = [...a.keys()].sort((x, y) => x - y);
  const total = (a.get(Infinity) ?? 0) - (b.get(Infinity) ?? 0);
  if (total <= 0) return NaN;
  for (const bound of bounds) if ((a.get(bound) ?? 0) - (b.get(bound) ?? 0) >= q * total) return bound;
  return Infinity;
}

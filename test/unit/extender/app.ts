// The sample cluster of test/fixtures/extender behind an extender app built with any of
// createExtenderApp's and startExtender's options (TLS, budgets, timeouts), for the hardening tests.

import pino from 'pino';
import { Registry } from 'prom-client';
import { DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { TIME_SHARING } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { createExtenderApp, startExtender, type ExtenderAppOptions, type ExtenderLocals, type RunningExtender, type StartOptions } from '../../../scheduler/extender/server.ts';
import { nodeFromKube, podFromKube } from '../../../scheduler/kube/convert.ts';
import type { StateSource } from '../../../scheduler/kube/source.ts';
import { NOW, sampleCluster, ToggleSource } from '../../fixtures/extender/cluster.ts';
import { wireNode } from '../../fixtures/extender/payloads.ts';

export interface HardenedExtender {
  server: RunningExtender;
  base: string;
  url: string;
  engine: PolicyEngine;
  state: ClusterState;
  registry: Registry;
  locals: ExtenderLocals;
  cluster: ReturnType<typeof sampleCluster>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export interface HardenedOptions extends Partial<Omit<ExtenderAppOptions, 'engine' | 'source'>>, Omit<StartOptions, 'host' | 'port'> {
  /** Extra empty nodes n-0 .. n-(k-1), for large requests. */
  extraNodes?: number;
  /** Wraps the (synced) state source, e.g. in a LeaderGatedSource. */
  wrapSource?: (s: StateSource) => StateSource;
}

/** The sample cluster (n1..n5) behind an extender on 127.0.0.1:<free port>. */
export async function startHardened(o: HardenedOptions = {}): Promise<HardenedExtender> {
  const state = new ClusterState(TIME_SHARING.usage);
  const cluster = sampleCluster();
  for (const n of Object.values(cluster.nodes)) state.upsertNode(nodeFromKube(n), NOW);
  for (let i = 0; i < (o.extraNodes ?? 0); i++) state.upsertNode(nodeFromKube(wireNode(`n-${i}`)), NOW);
  for (const p of Object.values(cluster.pods)) state.upsertPod(podFromKube(p, { classification: DEFAULT_CLASSIFICATION }), NOW);
  const clock = new VirtualClock(NOW);
  const engine = new PolicyEngine({ config: TIME_SHARING, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }) });
  const registry = o.registry ?? new Registry();
  const app = createExtenderApp({ log: pino({ level: 'silent' }), ...o, engine, source: (o.wrapSource ?? ((x) => x))(new ToggleSource(state, true)), clock, registry });
  const server = await startExtender(app, { host: '127.0.0.1', port: 0, tls: o.tls, requestTimeoutMs: o.requestTimeoutMs, keepAliveTimeoutMs: o.keepAliveTimeoutMs, maxConnections: o.maxConnections });
  return {
    server,
    base: `${server.url}/scheduler`,
    url: server.url,
    engine,
    state,
    registry,
    locals: app.locals.tidal as ExtenderLocals,
    cluster,
    metrics: () => registry.metrics(),
    close: () => server.close(),
  };
}

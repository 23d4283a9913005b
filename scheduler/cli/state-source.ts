// Where the extender's and the descheduler's cluster state comes from: a live cluster (informers
// and metrics.k8s.io, through a kubeconfig) or a static snapshot file (--state). Shared by both
// commands so that they read the cluster the same way.

import type { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.ts';
import type { PolicyConfig } from '../core/config.ts';
import type { ClusterState } from '../core/state.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { loadSnapshotFile, StaticStateSource } from '../kube/snapshot.ts';
import type { StateSource } from '../kube/source.ts';
import { recordMetrics } from '../kube/usage.ts';
import { ClusterWatcher, kubeInformers, kubeMetrics } from '../kube/watcher.ts';

export interface SourceOptions {
  /** Snapshot file instead of a cluster. */
  stateFile?: string;
  kubeconfig?: string;
  state: ClusterState;
  clock: Clock;
  policy: PolicyConfig;
  metricsIntervalMs: number;
  log: Logger;
  registry: Registry;
}

export function openStateSource(o: SourceOptions): { source: StateSource; kubeConfig: KubeConfig | null } {
  if (o.stateFile) {
    const summary = loadSnapshotFile(o.stateFile, o.state, {
      clock: o.clock,
      classification: o.policy.classification,
      file: o.stateFile,
      onIssue: (i) => o.log.warn({ object: i.object, field: i.field }, `cannot read ${i.field}: ${i.message}`),
    });
    o.log.info({ file: o.stateFile, ...summary }, 'loaded cluster snapshot');
    return { source: new StaticStateSource(o.state, { clock: o.clock, refreshMs: o.metricsIntervalMs, description: `snapshot ${o.stateFile}` }), kubeConfig: null };
  }
  // Throws, naming where it looked, when there is no kubeconfig: never a silent localhost:8080.
  const { kubeConfig: kc, source: from } = loadKubeConfig(o.kubeconfig);
  o.log.info({ server: kc.getCurrentCluster()!.server, context: kc.getCurrentContext(), kubeconfig: from }, 'watching cluster');
  const source = new ClusterWatcher({
    state: o.state,
    clock: o.clock,
    classification: o.policy.classification,
    informers: kubeInformers(kc),
    metrics: kubeMetrics(kc),
    metricsIntervalMs: o.metricsIntervalMs,
    log: o.log,
    registry: o.registry,
  });
  return { source, kubeConfig: kc };
}

export interface LoadOnceOptions {
  kubeconfig?: string;
  state: ClusterState;
  clock: Clock;
  classification: PolicyConfig['classification'];
  /** How long to wait for the informers' first lists; default 60 s. */
  timeoutMs?: number;
  log?: Logger;
}

/**
 * One read of a live cluster into `state`, as the extender and the descheduler keep it (the same
 * ClusterWatcher: nodes, pods, PodDisruptionBudgets, and one metrics.k8s.io poll when it is served),
 * then the watches are closed. For one-shot commands such as `tidal explain node --kubeconfig`.
 */
export async function loadClusterOnce(o: LoadOnceOptions): Promise<{ server: string; nodes: number; pods: number }> {
  const { kubeConfig: kc } = loadKubeConfig(o.kubeconfig);
  const log = o.log ?? pino({ level: 'silent' });
  const watcher = new ClusterWatcher({
    state: o.state,
    clock: o.clock,
    classification: o.classification,
    informers: kubeInformers(kc, o.timeoutMs ?? 60_000),
    // Polled once below, not on a timer.
    metrics: null,
    log,
  });
  try {
    await watcher.start();
    await watcher.waitForSync(o.timeoutMs ?? 60_000);
  } finally {
    await watcher.stop();
  }
  const metrics = kubeMetrics(kc);
  try {
    if (await metrics.available()) {
      const [nodes, pods] = await Promise.all([metrics.nodeMetrics(), metrics.podMetrics()]);
      const uids = new Map<string, string>();
      for (const p of o.state.pods.values()) uids.set(`${p.namespace}/${p.name}`, p.uid);
      recordMetrics(o.state, nodes, pods, o.clock.now(), { uidOf: (ns, name) => uids.get(`${ns}/${name}`), maxAgeMs: o.state.usageConfig.staleAfterMs });
    } else {
      log.warn('metrics.k8s.io/v1beta1 is not served: online usage counts at requests');
    }
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'metrics.k8s.io poll failed: online usage counts at requests');
  }
  return { server: kc.getCurrentCluster()!.server, nodes: o.state.nodes.size, pods: o.state.pods.size };
}

// The real informer path: client-node's ListWatch (through kubeInformers) and Metrics (through
// kubeMetrics) against a small apiserver on 127.0.0.1 that serves lists, watch streams and
// metrics.k8s.io, and fails when told to.

import { KubeConfig } from '@kubernetes/client-node';
import express from 'express';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';
import { realClock } from '../../../scheduler/core/clock.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { ClusterWatcher, kubeInformers, kubeMetrics, POD_FIELD_SELECTOR } from '../../../scheduler/kube/watcher.ts';

interface Fake {
  url: string;
  /** Open watch streams by resource path. */
  watches: Map<string, ServerResponse[]>;
  /** Status to fail the next list of a path with. */
  failNextList: Map<string, number>;
  /** Paths whose next list never answers. */
  hangNextList: Set<string>;
  lists: string[];
  fieldSelectors: string[];
  push(path: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: unknown): void;
  close(): Promise<void>;
}

let rv = 10;

async function fakeApiserver(): Promise<Fake> {
  const app = express();
  const watches = new Map<string, ServerResponse[]>();
  const failNextList = new Map<string, number>();
  const hangNextList = new Set<string>();
  const lists: string[] = [];
  const fieldSelectors: string[] = [];
  const data: Record<string, unknown[]> = {
    '/api/v1/nodes': [{ metadata: { name: 'n1', resourceVersion: '1' }, status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' } } }],
    '/api/v1/pods': [
      { metadata: { name: 'web', namespace: 'default', uid: 'u-web', resourceVersion: '2', creationTimestamp: '2026-11-10T10:00:00Z' }, spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '1Gi' } } }] }, status: { phase: 'Running', startTime: '2026-11-10T10:00:05Z' } },
      { metadata: { name: 'job', namespace: 'default', uid: 'u-job', resourceVersion: '3', labels: { 'tidal.io/class': 'batch' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { requests: { 'tidal.io/batch-cpu': '2000', 'tidal.io/batch-memory': '1Gi' } } }] }, status: { phase: 'Running' } },
    ],
    '/apis/policy/v1/poddisruptionbudgets': [],
  };
  for (const path of Object.keys(data)) {
    app.get(path, (req, res) => {
      if (req.query.watch === 'true') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        const open = watches.get(path) ?? [];
        open.push(res);
        watches.set(path, open);
        req.on('close', () => watches.set(path, (watches.get(path) ?? []).filter((r) => r !== res)));
        return;
      }
      lists.push(path);
      if (hangNextList.delete(path)) return;
      if (typeof req.query.fieldSelector === 'string') fieldSelectors.push(req.query.fieldSelector);
      const fail = failNextList.get(path);
      if (fail) {
        failNextList.delete(path);
        res.status(fail).json({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'injected failure', code: fail });
        return;
      }
      res.json({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(++rv) }, items: data[path] });
    });
  }
  app.get('/apis', (_req, res) => {
    res.json({ kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'metrics.k8s.io', versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }], preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' } }] });
  });
  app.get('/apis/metrics.k8s.io/v1beta1/nodes', (_req, res) => {
    res.json({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [{ metadata: { name: 'n1' }, timestamp: new Date().toISOString(), window: '10s', usage: { cpu: '3', memory: '8Gi' } }] });
  });
  app.get('/apis/metrics.k8s.io/v1beta1/pods', (_req, res) => {
    res.json({
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: [
        { metadata: { name: 'web', namespace: 'default' }, timestamp: new Date().toISOString(), window: '10s', containers: [{ name: 'c', usage: { cpu: '800m', memory: '1Gi' } }] },
        { metadata: { name: 'job', namespace: 'default' }, timestamp: new Date().toISOString(), window: '10s', containers: [{ name: 'c', usage: { cpu: '1500m', memory: '2Gi' } }] },
      ],
    });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    watches,
    failNextList,
    hangNextList,
    lists,
    fieldSelectors,
    push(path, type, obj) {
      for (const res of watches.get(path) ?? []) if (!res.writableEnded) res.write(`${JSON.stringify({ type, object: obj })}\n`);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const open of watches.values()) for (const res of open) res.end();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return kc;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('kubeInformers and kubeMetrics against an apiserver', () => {
  it('lists, watches, restarts after a failed list, and polls metrics', async () => {
    const api = await fakeApiserver();
    cleanup.push(() => api.close());
    api.failNextList.set('/apis/policy/v1/poddisruptionbudgets', 500);
    const kc = kubeConfig(api.url);
    const state = new ClusterState();
    const watcher = new ClusterWatcher({ state, clock: realClock, classification: DEFAULT_CLASSIFICATION, informers: kubeInformers(kc), metrics: kubeMetrics(kc), backoffInitialMs: 10, backoffMaxMs: 50 });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    await until(() => watcher.isSynced());
    expect(api.lists.filter((p) => p.endsWith('poddisruptionbudgets'))).toHaveLength(2);
    expect(api.fieldSelectors).toContain(POD_FIELD_SELECTOR);
    expect(state.nodes.get('n1')!.podCount).toBe(2);
    expect(state.pods.get('u-web')!.createdAt).toBe(Date.parse('2026-11-10T10:00:00Z'));
    expect(state.pods.get('u-job')!).toMatchObject({ class: 'batch', extendedBatchResources: true, requests: { cpu: 2000 } });

    // Watch events flow into the state.
    await until(() => (api.watches.get('/api/v1/pods') ?? []).length > 0 && (api.watches.get('/api/v1/nodes') ?? []).length > 0);
    api.push('/api/v1/nodes', 'ADDED', { metadata: { name: 'n2', resourceVersion: String(++rv) }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
    api.push('/api/v1/pods', 'MODIFIED', { metadata: { name: 'job', namespace: 'default', uid: 'u-job', resourceVersion: String(++rv) }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Succeeded' } });
    await until(() => state.nodes.has('n2') && !state.pods.has('u-job'));

    // Usage: node 3 cores; batch pod 'job' is gone, so all 3 cores are online.
    await watcher.pollMetricsOnce();
    expect(state.nodes.get('n1')!.usage.latest()!.online.cpu).toBe(3000);
    expect(state.podUsage.get('u-web')).toEqual({ cpu: 800, memory: 2 ** 30 });

    // A watch the apiserver closes is re-established by ListWatch (from the last resourceVersion).
    const before = api.lists.length;
    for (const res of api.watches.get('/api/v1/nodes') ?? []) res.end();
    api.watches.set('/api/v1/nodes', []);
    await until(() => (api.watches.get('/api/v1/nodes') ?? []).length > 0);
    api.push('/api/v1/nodes', 'DELETED', { metadata: { name: 'n2', resourceVersion: String(++rv) } });
    await until(() => !state.nodes.has('n2'));
    expect(api.lists.length).toBe(before);
    expect(watcher.isSynced()).toBe(true);
  });

  it('gives up on a list that never answers, and lists again', async () => {
    const api = await fakeApiserver();
    cleanup.push(() => api.close());
    api.hangNextList.add('/api/v1/nodes');
    const watcher = new ClusterWatcher({ state: new ClusterState(), clock: realClock, classification: DEFAULT_CLASSIFICATION, informers: kubeInformers(kubeConfig(api.url), 100), metrics: null, backoffInitialMs: 10, backoffMaxMs: 20 });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    expect(watcher.readiness().reason).toMatch(/nodes \(last error: listing nodes took longer than 0\.1 s\)/);
    await until(() => watcher.isSynced());
    expect(api.lists.filter((p) => p === '/api/v1/nodes')).toHaveLength(2);
  });

  it('reports not synced, with the error, while the apiserver is unreachable', async () => {
    const kc = kubeConfig('http://127.0.0.1:1');
    const watcher = new ClusterWatcher({ state: new ClusterState(), clock: realClock, classification: DEFAULT_CLASSIFICATION, informers: kubeInformers(kc), metrics: null, backoffInitialMs: 20, backoffMaxMs: 40 });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const r = watcher.readiness();
    expect(r.ready).toBe(false);
    expect(r.reason).toMatch(/not synced yet: waiting for the initial list of nodes \(last error: /);
    await new Promise((res) => setTimeout(res, 100));
    const informers = r.details.informers as Record<string, { errors: number }>;
    expect(informers.nodes!.errors).toBeGreaterThan(0);
    expect((watcher.readiness().details.informers as Record<string, { restarts: number }>).nodes!.restarts).toBeGreaterThan(0);
  });
});

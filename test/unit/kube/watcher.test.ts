import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { ClusterWatcher, type InformerFactory, type InformerLike, type MetricsSource } from '../../../scheduler/kube/watcher.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
const GiB = 2 ** 30;

type Verb = 'add' | 'update' | 'delete' | 'error';

/** Behaves as client-node's ListWatch does towards its callbacks: list -> onListed -> add events; errors -> 'error'. */
class FakeInformer<T> implements InformerLike<T> {
  readonly #handlers: Record<Verb, Array<(o: any) => void>> = { add: [], update: [], delete: [], error: [] };
  readonly #onListed: () => void;
  items: T[] = [];
  /** Errors to fail the next starts' lists with. */
  failures: unknown[] = [];
  /** When false, start() never lists (a slow apiserver). */
  listing = true;
  starts = 0;
  stopped = false;

  constructor(onListed: () => void) {
    this.#onListed = onListed;
  }

  on(verb: Verb, cb: (o: any) => void): void {
    this.#handlers[verb].push(cb);
  }

  async start(): Promise<void> {
    this.starts++;
    await Promise.resolve();
    const failure = this.failures.shift();
    if (failure !== undefined) return this.emit('error', failure);
    if (!this.listing) return;
    this.#onListed();
    for (const i of this.items) this.emit('add', i);
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  emit(verb: Verb, o: unknown): void {
    for (const h of this.#handlers[verb]) h(o);
  }
}

function fakes() {
  const made: { nodes?: FakeInformer<V1Node>; pods?: FakeInformer<V1Pod>; pdbs?: FakeInformer<V1PodDisruptionBudget> } = {};
  const factory: InformerFactory = {
    nodes: (l) => (made.nodes = new FakeInformer<V1Node>(l)),
    pods: (l) => (made.pods = new FakeInformer<V1Pod>(l)),
    pdbs: (l) => (made.pdbs = new FakeInformer<V1PodDisruptionBudget>(l)),
  };
  return { factory, made: made as Required<typeof made> };
}

const node = (name: string): V1Node => ({ metadata: { name, labels: { 'topology.kubernetes.io/zone': 'z' } }, status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' } } });

function kpod(name: string, nodeName: string, over: { uid?: string; cls?: string; phase?: string; cpu?: string } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'default', uid: over.uid ?? `uid-${name}`, labels: over.cls ? { 'tidal.io/class': over.cls } : {} },
    spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu: over.cpu ?? '1', memory: '1Gi' } } }] },
    status: { phase: over.phase ?? 'Running' },
  };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}

function setup(metrics: MetricsSource | null = null) {
  const { factory, made } = fakes();
  const state = new ClusterState();
  const clock = new VirtualClock(NOW);
  const registry = new Registry();
  const watcher = new ClusterWatcher({ state, clock, classification: DEFAULT_CLASSIFICATION, informers: factory, metrics, backoffInitialMs: 2, backoffMaxMs: 20, registry });
  return { watcher, made, state, clock, registry };
}

async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getSingleMetric(name)!.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return m.reduce((s, v) => s + v.value, 0);
}

describe('ClusterWatcher', () => {
  it('is synced once every resource has been listed, and fills the state', async () => {
    const { watcher, made, state } = setup();
    made.nodes.items = [node('n1'), node('n2')];
    made.pods.items = [kpod('a', 'n1'), kpod('b', 'n2', { cls: 'batch' }), kpod('pending', '')];
    made.pdbs.items = [{ metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'a' } } }, status: { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } }];
    made.pods.listing = false;
    await watcher.start();
    expect(watcher.isSynced()).toBe(false);
    const r = watcher.readiness();
    expect(r.ready).toBe(false);
    expect(r.reason).toMatch(/waiting for the initial list of pods/);
    made.pods.listing = true;
    // A real ListWatch would retry by itself; here the test restarts it as after an error.
    made.pods.emit('error', new Error('list timed out'));
    await until(() => watcher.isSynced());
    expect(state.nodes.size).toBe(2);
    expect(state.pods.size).toBe(3);
    expect(state.nodes.get('n1')!.pods.size).toBe(1);
    expect(state.nodes.get('n2')!.requested.batch.cpu).toBe(1000);
    expect(state.pdbs.get('default')?.get('pdb')?.disruptionsAllowed).toBe(1);
    expect(watcher.readiness()).toMatchObject({ ready: true, reason: 'synced' });
    await watcher.stop();
    expect(made.nodes.stopped && made.pods.stopped && made.pdbs.stopped).toBe(true);
  });

  it('restarts a failed informer with backoff, counting errors and restarts', async () => {
    const { watcher, made, registry } = setup();
    made.nodes.items = [node('n1')];
    made.nodes.failures = [Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }), new Error('503 Service Unavailable')];
    await watcher.start();
    expect(watcher.readiness().reason).toMatch(/nodes \(last error: connection refused/);
    await until(() => watcher.isSynced());
    expect(made.nodes.starts).toBe(3);
    expect(await counter(registry, 'tidal_informer_errors_total', { resource: 'nodes' })).toBe(2);
    expect(await counter(registry, 'tidal_informer_restarts_total', { resource: 'nodes' })).toBe(2);
    // A watch that breaks after the sync: the state is kept, the informer restarted, still synced.
    made.nodes.emit('error', new Error('watch closed'));
    expect(watcher.isSynced()).toBe(true);
    await until(() => made.nodes.starts === 4);
    expect((watcher.readiness().details.informers as Record<string, { status: string }>).nodes!.status).toBe('watching');
    await watcher.stop();
  });

  it('stops retrying once stopped', async () => {
    const { watcher, made } = setup();
    made.nodes.failures = [new Error('down'), new Error('down'), new Error('down')];
    await watcher.start();
    await watcher.stop();
    const starts = made.nodes.starts;
    await new Promise((r) => setTimeout(r, 40));
    expect(made.nodes.starts).toBe(starts);
  });

  it('never lets a handler exception escape, and keeps applying later events', async () => {
    const { watcher, made, state, registry } = setup();
    await watcher.start();
    const evil = {
      get metadata(): never {
        throw new Error('boom');
      },
    };
    expect(() => made.pods.emit('add', evil)).not.toThrow();
    expect(() => made.nodes.emit('update', evil)).not.toThrow();
    made.nodes.emit('add', node('n1'));
    expect(state.nodes.has('n1')).toBe(true);
    expect(await counter(registry, 'tidal_informer_handler_errors_total')).toBe(2);
    await watcher.stop();
  });

  it('counts malformed annotations and keeps the pod with defaults', async () => {
    const { watcher, made, state, registry } = setup();
    await watcher.start();
    made.nodes.emit('add', node('n1'));
    const p = kpod('a', 'n1', { cls: 'batch' });
    p.metadata!.annotations = { 'tidal.io/progress': 'half' };
    made.pods.emit('add', p);
    expect(state.pods.get('uid-a')?.progress).toBe(-1);
    expect(await counter(registry, 'tidal_convert_issues_total', { field: 'tidal.io/progress' })).toBe(1);
    await watcher.stop();
  });

  it('drops finished pods, deletions by name, and pods replaced under the same name', async () => {
    const { watcher, made, state } = setup();
    made.nodes.items = [node('n1')];
    made.pods.items = [kpod('job-1', 'n1'), kpod('db-0', 'n1')];
    await watcher.start();
    expect(state.nodes.get('n1')!.podCount).toBe(2);
    made.pods.emit('update', kpod('job-1', 'n1', { phase: 'Succeeded' }));
    expect(state.pods.has('uid-job-1')).toBe(false);
    expect(state.nodes.get('n1')!.podCount).toBe(1);
    // A StatefulSet pod recreated with the same name: the old uid must not linger.
    made.pods.emit('add', kpod('db-0', 'n1', { uid: 'uid-db-0-v2' }));
    expect(state.pods.has('uid-db-0')).toBe(false);
    expect(state.nodes.get('n1')!.podCount).toBe(1);
    // A delete event without uid (a tombstone) still finds the pod by name.
    made.pods.emit('delete', { metadata: { name: 'db-0', namespace: 'default' } });
    expect(state.pods.size).toBe(0);
    made.nodes.emit('delete', node('n1'));
    expect(state.nodes.size).toBe(0);
    await watcher.stop();
  });

  it('records usage from metrics.k8s.io: batch = sum of batch pods, online = the rest, never below 0', async () => {
    const metrics: MetricsSource = {
      available: async () => true,
      nodeMetrics: async () => [
        { metadata: { name: 'n1' }, timestamp: new Date(Date.now()).toISOString(), usage: { cpu: '3500m', memory: '10Gi' } },
        { metadata: { name: 'n2' }, usage: { cpu: '100m', memory: '1Gi' } },
        { metadata: { name: 'ghost' }, usage: { cpu: '1', memory: '1Gi' } },
      ],
      podMetrics: async () => [
        { metadata: { name: 'web', namespace: 'default' }, containers: [{ name: 'c', usage: { cpu: '1200000000n', memory: '3Gi' } }] },
        { metadata: { name: 'job', namespace: 'default' }, containers: [{ name: 'c', usage: { cpu: '1500m', memory: '4Gi' } }, { name: 'side', usage: { cpu: '500m', memory: '1Gi' } }] },
        { metadata: { name: 'job2', namespace: 'default' }, containers: [{ name: 'c', usage: { cpu: '2', memory: '2Gi' } }] },
      ],
    };
    const { watcher, made, state, clock } = setup(metrics);
    made.nodes.items = [node('n1'), node('n2')];
    made.pods.items = [kpod('web', 'n1'), kpod('job', 'n1', { cls: 'batch' }), kpod('job2', 'n2', { cls: 'batch' })];
    await watcher.start();
    clock.advance(1000);
    await watcher.pollMetricsOnce();
    const s1 = state.nodes.get('n1')!.usage.latest()!;
    expect(s1.time).toBe(NOW + 1000);
    expect(s1.batch).toEqual({ cpu: 2000, memory: 5 * GiB });
    expect(s1.online).toEqual({ cpu: 1500, memory: 5 * GiB });
    // n2's batch pod reports more than the node: online is clamped at 0.
    expect(state.nodes.get('n2')!.usage.latest()!.online).toEqual({ cpu: 0, memory: 0 });
    expect(state.podUsage.get('uid-web')).toEqual({ cpu: 1200, memory: 3 * GiB });
    expect(watcher.readiness().details.metrics).toMatchObject({ available: true });
    await watcher.stop();
  });

  it('keeps working without metrics.k8s.io and says so', async () => {
    const { watcher, made, state } = setup({ available: async () => false, nodeMetrics: async () => [], podMetrics: async () => [] });
    made.nodes.items = [node('n1')];
    await watcher.start();
    await watcher.pollMetricsOnce();
    expect(state.nodes.get('n1')!.usage.size).toBe(0);
    expect(watcher.readiness()).toMatchObject({ ready: true, details: { metrics: { available: false } } });
    await watcher.stop();
  });

  it('survives a failing metrics poll', async () => {
    const { watcher, made } = setup({ available: async () => true, nodeMetrics: async () => Promise.reject(new Error('503 metrics-server down')), podMetrics: async () => [] });
    made.nodes.items = [node('n1')];
    await watcher.start();
    await expect(watcher.pollMetricsOnce()).resolves.toBeUndefined();
    expect(watcher.readiness().details.metrics).toMatchObject({ lastError: expect.stringMatching(/metrics-server down/) });
    await watcher.stop();
  });
});

describe('ClusterWatcher with pods the extender bound (assumed pods)', () => {
  async function synced() {
    const s = setup();
    s.made.nodes.items = [node('n1')];
    s.made.pods.items = [kpod('p', '', { cls: 'batch', phase: 'Pending' })];
    await s.watcher.start();
    await until(() => s.watcher.isSynced());
    return s;
  }

  it('keeps an assumed pod on its node through informer updates that still show it unbound, until one shows it bound', async () => {
    const { watcher, made, state } = await synced();
    const pendingSpec = state.pods.get('uid-p')!;
    expect(pendingSpec.nodeName).toBe('');
    watcher.assumed.assume(pendingSpec, 'n1');
    expect(state.nodes.get('n1')!.pods.has('uid-p')).toBe(true);
    // kube-scheduler's status patch (or any update written before the binding): still unbound.
    made.pods.emit('update', { ...kpod('p', '', { cls: 'batch', phase: 'Pending' }), metadata: { name: 'p', namespace: 'default', uid: 'uid-p', labels: { 'tidal.io/class': 'batch', touched: 'yes' } } });
    expect(state.pods.get('uid-p')!.nodeName).toBe('n1');
    expect(state.pods.get('uid-p')!.labels.touched).toBe('yes');
    expect(state.nodes.get('n1')!.requested.batch.cpu).toBe(1000);
    expect(watcher.assumed.has('uid-p')).toBe(true);
    // The binding watched back: confirmed, an ordinary pod from now on (counted once).
    made.pods.emit('update', kpod('p', 'n1', { cls: 'batch' }));
    expect(watcher.assumed.size).toBe(0);
    expect(state.nodes.get('n1')!.pods.size).toBe(1);
    expect(state.nodes.get('n1')!.requested.batch.cpu).toBe(1000);
    await watcher.stop();
  });

  it('restores the pod as the informer last showed it when the assumption expires or is forgotten, and drops it when the pod is deleted', async () => {
    const { watcher, made, state, clock } = await synced();
    watcher.assumed.assume(state.pods.get('uid-p')!, 'n1');
    made.pods.emit('update', { ...kpod('p', '', { cls: 'batch', phase: 'Pending' }), metadata: { name: 'p', namespace: 'default', uid: 'uid-p', labels: { 'tidal.io/class': 'batch', v: '2' } } });
    clock.advance(watcher.assumed.ttlMs);
    expect(watcher.assumed.expire()).toBe(1);
    expect(state.pods.get('uid-p')!.nodeName).toBe('');
    expect(state.pods.get('uid-p')!.labels.v).toBe('2');
    expect(state.nodes.get('n1')!.pods.size).toBe(0);

    watcher.assumed.assume(state.pods.get('uid-p')!, 'n1');
    watcher.assumed.forget('uid-p');
    expect(state.pods.get('uid-p')!.nodeName).toBe('');
    expect(state.nodes.get('n1')!.pods.size).toBe(0);

    watcher.assumed.assume(state.pods.get('uid-p')!, 'n1');
    made.pods.emit('delete', kpod('p', '', { cls: 'batch', phase: 'Pending' }));
    expect(watcher.assumed.size).toBe(0);
    expect(state.pods.has('uid-p')).toBe(false);
    expect(state.nodes.get('n1')!.pods.size).toBe(0);
    await watcher.stop();
  });

  it('a pod assumed before the informer delivered it becomes the informer\'s pod, and is removed if the assumption ends unconfirmed', async () => {
    const { watcher, made, state } = await synced();
    const early = { ...state.pods.get('uid-p')!, uid: 'uid-q', name: 'q' };
    watcher.assumed.assume(early, 'n1');
    expect(state.nodes.get('n1')!.pods.has('uid-q')).toBe(true);
    watcher.assumed.forget('uid-q');
    expect(state.pods.has('uid-q')).toBe(false);
    watcher.assumed.assume(early, 'n1');
    made.pods.emit('add', kpod('q', '', { uid: 'uid-q', cls: 'batch', phase: 'Pending' }));
    expect(state.pods.get('uid-q')!.nodeName).toBe('n1');
    watcher.assumed.forget('uid-q');
    expect(state.pods.get('uid-q')!.nodeName).toBe('');
    await watcher.stop();
  });
});

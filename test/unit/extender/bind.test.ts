// The bind verb over loopback HTTP, against a fake apiserver that serves the pods/binding
// subresource: the exact wire shape (ExtenderBindingArgs in, ExtenderBindingResult out), the pod
// counted on its node from the moment the binding is under way, nothing left behind when the
// apiserver refuses, malformed bodies refused with 400, and assumed pods that expire.

import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLASSIFICATION } from '../../../scheduler/core/classify.ts';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { TIME_SHARING } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { kubeBindingClient, NO_CLUSTER_BIND_ERROR } from '../../../scheduler/extender/bind.ts';
import { createExtenderApp, startExtender, type RunningExtender } from '../../../scheduler/extender/server.ts';
import { AssumedPods } from '../../../scheduler/kube/assumed.ts';
import { nodeFromKube, podFromKube } from '../../../scheduler/kube/convert.ts';
import { startFakeApi, type FakeApi } from '../../helpers/fake-apiserver.ts';
import { NOW, ToggleSource } from '../../fixtures/extender/cluster.ts';
import { batchPod, extenderArgs, post, wireNode } from '../../fixtures/extender/payloads.ts';

const TTL = 30_000;

interface Rig {
  api: FakeApi;
  server: RunningExtender;
  base: string;
  state: ClusterState;
  clock: VirtualClock;
  assumed: AssumedPods;
  registry: Registry;
  close(): Promise<void>;
}

/**
 * One 16-cpu node; batch may hold half of it (8 cpu): one 5-cpu batch pod fits, a second does not.
 * `binding: false` is the extender over a snapshot (no cluster).
 */
async function rig(binding = true, bindWaitMs?: number): Promise<Rig> {
  const api = await startFakeApi();
  const state = new ClusterState(TIME_SHARING.usage);
  state.upsertNode(nodeFromKube(wireNode('n1') as never), NOW);
  const clock = new VirtualClock(NOW);
  const engine = new PolicyEngine({ config: TIME_SHARING, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0 }) });
  const assumed = new AssumedPods({ state, clock, ttlMs: TTL });
  const registry = new Registry();
  const app = createExtenderApp({
    engine,
    source: new ToggleSource(state, true),
    clock,
    log: pino({ level: 'silent' }),
    registry,
    binding: binding ? { client: kubeBindingClient(api.kubeConfig), assumed } : null,
    bindWaitMs,
  });
  const server = await startExtender(app, { host: '127.0.0.1', port: 0 });
  return {
    api,
    server,
    base: `${server.url}/scheduler`,
    state,
    clock,
    assumed,
    registry,
    close: async () => {
      await server.close();
      await api.close();
    },
  };
}

/** A pending batch pod asking for 5 batch cpu, known to the state (its informer) and to the apiserver. */
function pending(r: Rig, name: string, inState = true): Record<string, any> {
  const pod = batchPod(name, { 'tidal.io/batch-cpu': '5000', 'tidal.io/batch-memory': '1Gi' });
  if (inState) r.state.upsertPod(podFromKube(pod as never, { classification: DEFAULT_CLASSIFICATION }), NOW);
  r.api.pods.set(`default/${name}`, { namespace: 'default', name, uid: pod.metadata.uid });
  return pod;
}

/** ExtenderBindingArgs exactly as kube-scheduler's HTTPExtender marshals them (Go field names, no json tags). */
const bindArgs = (pod: Record<string, any>, node: string) => ({ PodName: pod.metadata.name, PodNamespace: pod.metadata.namespace, PodUID: pod.metadata.uid, Node: node });

const filterBatch = (r: Rig, pod: Record<string, any>) => post(`${r.base}/filter`, extenderArgs(pod, [wireNode('n1')], true));

async function metric(r: Rig, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await r.registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((s, v) => s + v.value, 0);
}

describe('bind verb', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.close();
  });

  it('creates the Binding, answers {"Error":""} and counts the pod on its node at once, so the next filter sees the capacity taken', async () => {
    const a = pending(r, 'etl-a');
    const b = pending(r, 'etl-b');
    // Before: both pods pass the filter on their own (8 batch cpu free, 5 asked).
    expect((await filterBatch(r, b)).json.NodeNames).toEqual(['n1']);

    const res = await post(`${r.base}/bind`, bindArgs(a, 'n1'));
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.text).toBe('{"Error":""}');
    expect(r.api.bindings).toEqual(['default/etl-a -> n1']);
    expect(r.api.requests).toContain('POST /api/v1/namespaces/default/pods/etl-a/binding');
    // Recorded without waiting for an informer: the state has the pod on n1.
    expect(r.state.pods.get(a.metadata.uid)?.nodeName).toBe('n1');
    expect(r.state.nodes.get('n1')!.pods.has(a.metadata.uid)).toBe(true);
    expect(r.state.nodes.get('n1')!.requested.batch.cpu).toBe(5000);
    expect(r.assumed.has(a.metadata.uid)).toBe(true);

    const refused = await filterBatch(r, b);
    expect(refused.json.NodeNames).toEqual([]);
    expect(refused.json.FailedAndUnresolvableNodes.n1).toMatch(/^tidal\/BatchCapacityFit: /);
    expect(await metric(r, 'tidal_extender_binds_total', { result: 'bound' })).toBe(1);
    expect(await metric(r, 'tidal_extender_requests_total', { verb: 'bind', code: '200' })).toBe(1);
    expect(await metric(r, 'tidal_extender_assumed_pods', {})).toBe(1);
  });

  it('counts the pod while the binding call is under way, and undoes it when the apiserver refuses: Error, nothing recorded', async () => {
    const a = pending(r, 'etl-a');
    const b = pending(r, 'etl-b');
    r.api.bindDelayMs = 300;
    r.api.bindFailWith.set('default/etl-a', 500);
    const binding = post(`${r.base}/bind`, bindArgs(a, 'n1'));
    // While the apiserver has not answered, the capacity is taken (as kube-scheduler's assumed pods).
    await new Promise((done) => setTimeout(done, 100));
    expect((await filterBatch(r, b)).json.FailedAndUnresolvableNodes.n1).toMatch(/^tidal\/BatchCapacityFit: /);

    const res = await binding;
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual(['Error']);
    expect(res.json.Error).toMatch(/^binding default\/etl-a to n1 failed: HTTP 500: injected failure$/);
    expect(r.api.bindings).toEqual([]);
    // Nothing recorded: the pod is pending again, n1 holds nothing, and the other pod passes.
    expect(r.state.pods.get(a.metadata.uid)?.nodeName).toBe('');
    expect(r.state.nodes.get('n1')!.pods.size).toBe(0);
    expect(r.state.nodes.get('n1')!.requested.batch.cpu).toBe(0);
    expect(r.assumed.size).toBe(0);
    expect((await filterBatch(r, b)).json.NodeNames).toEqual(['n1']);
    expect(await metric(r, 'tidal_extender_binds_total', { result: 'error' })).toBe(1);
    expect(await metric(r, 'tidal_extender_assumed_pods_ended_total', { outcome: 'forgotten' })).toBe(1);
  });

  it('passes the apiserver\'s refusals on (a pod already bound, a replaced pod) and records nothing', async () => {
    const a = pending(r, 'etl-a');
    r.api.pods.get('default/etl-a')!.nodeName = 'n9';
    const already = await post(`${r.base}/bind`, bindArgs(a, 'n1'));
    expect(already.json.Error).toMatch(/HTTP 409: .*already assigned to node "n9"/);
    const b = pending(r, 'etl-b');
    r.api.pods.get('default/etl-b')!.uid = 'a-new-uid';
    const replaced = await post(`${r.base}/bind`, bindArgs(b, 'n1'));
    expect(replaced.json.Error).toMatch(/HTTP 409: .*Precondition failed: UID in precondition/);
    expect(r.state.nodes.get('n1')!.pods.size).toBe(0);
    expect(r.assumed.size).toBe(0);
  });

  it('binds a pod its informer has not delivered yet when kube-scheduler filtered it, and refuses pods it never saw', async () => {
    const early = pending(r, 'etl-early', false);
    const unseen = await post(`${r.base}/bind`, bindArgs(early, 'n1'));
    expect(unseen.status).toBe(200);
    expect(unseen.json.Error).toMatch(/is not known to Tidal/);
    expect(r.api.bindings).toEqual([]);
    expect(await metric(r, 'tidal_extender_binds_total', { result: 'unknown-pod' })).toBe(1);

    await filterBatch(r, early);
    const res = await post(`${r.base}/bind`, bindArgs(early, 'n1'));
    expect(res.json).toEqual({ Error: '' });
    expect(r.api.bindings).toEqual(['default/etl-early -> n1']);
    expect(r.state.pods.get(early.metadata.uid)?.nodeName).toBe('n1');
    // A name that does not go with the UID is refused.
    const other = pending(r, 'etl-x');
    const mismatch = await post(`${r.base}/bind`, { ...bindArgs(other, 'n1'), PodName: 'someone-else' });
    expect(mismatch.json.Error).toMatch(/is default\/etl-x to Tidal, not default\/someone-else/);
  });

  it('expires an assumed pod the informer never confirms, and keeps one it confirms', async () => {
    const a = pending(r, 'etl-a');
    const b = pending(r, 'etl-b');
    expect((await post(`${r.base}/bind`, bindArgs(a, 'n1'))).json).toEqual({ Error: '' });
    r.clock.advance(TTL - 1);
    expect(r.assumed.expire()).toBe(0);
    expect(r.state.pods.get(a.metadata.uid)?.nodeName).toBe('n1');
    r.clock.advance(1);
    expect(r.assumed.expire()).toBe(1);
    // Back to what the informer last showed: pending, n1 free again.
    expect(r.state.pods.get(a.metadata.uid)?.nodeName).toBe('');
    expect(r.state.nodes.get('n1')!.pods.size).toBe(0);
    expect(await metric(r, 'tidal_extender_assumed_pods_ended_total', { outcome: 'expired' })).toBe(1);

    // Confirmed by the informer (its update shows the pod bound): no longer assumed, never expires.
    expect((await post(`${r.base}/bind`, bindArgs(b, 'n1'))).json).toEqual({ Error: '' });
    const seen = podFromKube({ ...b, spec: { ...b.spec, nodeName: 'n1' } } as never, { classification: DEFAULT_CLASSIFICATION });
    r.state.upsertPod(r.assumed.observe(seen), r.clock.now());
    expect(r.assumed.size).toBe(0);
    r.clock.advance(10 * TTL);
    expect(r.assumed.expire()).toBe(0);
    expect(r.state.pods.get(b.metadata.uid)?.nodeName).toBe('n1');
    expect(await metric(r, 'tidal_extender_assumed_pods_ended_total', { outcome: 'confirmed' })).toBe(1);
  });

  it('refuses malformed bodies with 400 naming the field, and other methods with 405', async () => {
    const a = pending(r, 'etl-a');
    const cases: Array<[unknown, RegExp]> = [
      [{ PodName: 'etl-a', PodNamespace: 'default', PodUID: a.metadata.uid }, /^Node: required \(a non-empty string, got nothing\)$/],
      [{ ...bindArgs(a, 'n1'), PodUID: 7 }, /^PodUID: required \(a non-empty string, got a number\)$/],
      [{ ...bindArgs(a, 'n1'), PodName: '' }, /^PodName: required \(a non-empty string, got an empty string\)$/],
      [[bindArgs(a, 'n1')], /^request body must be a JSON object \(ExtenderBindingArgs\), got an array$/],
    ];
    for (const [body, error] of cases) {
      const res = await post(`${r.base}/bind`, body);
      expect(res.status).toBe(400);
      expect(Object.keys(res.json)).toEqual(['Error']);
      expect(res.json.Error).toMatch(error);
    }
    const notJson = await post(`${r.base}/bind`, null, { raw: '{"PodName":' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.Error).toMatch(/^malformed JSON/);
    const wrongType = await post(`${r.base}/bind`, bindArgs(a, 'n1'), { contentType: 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.Error).toMatch(/Content-Type must be application\/json/);
    const get = await fetch(`${r.base}/bind`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    // Nothing reached the apiserver, nothing was recorded.
    expect(r.api.requests.filter((q) => q.includes('/binding'))).toEqual([]);
    expect(r.state.nodes.get('n1')!.pods.size).toBe(0);
    // Go decodes keys case-insensitively: so does Tidal.
    const lower = await post(`${r.base}/bind`, { podname: 'etl-a', podnamespace: 'default', poduid: a.metadata.uid, node: 'n1' });
    expect(lower.json).toEqual({ Error: '' });
  });
});

describe('filter waits for the binds of pods filtered before it (kube-scheduler binds asynchronously)', () => {
  it('answers the next filter only after the previous pod\'s bind came, so that it sees the capacity taken', async () => {
    const r = await rig(true, 2000);
    try {
      const warm = pending(r, 'etl-warm');
      // Waiting starts once binds come at all (kube-scheduler configured with bindVerb).
      await filterBatch(r, warm);
      expect((await post(`${r.base}/bind`, bindArgs(warm, 'n9'))).json).toEqual({ Error: '' });
      const a = pending(r, 'etl-a');
      const b = pending(r, 'etl-b');
      expect((await filterBatch(r, a)).json.NodeNames).toEqual(['n1']);
      // kube-scheduler's next cycle: b's filter arrives before a's bind.
      const t0 = performance.now();
      const filterB = filterBatch(r, b);
      await new Promise((done) => setTimeout(done, 150));
      expect((await post(`${r.base}/bind`, bindArgs(a, 'n1'))).json).toEqual({ Error: '' });
      const answer = await filterB;
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
      expect(answer.json.FailedAndUnresolvableNodes.n1).toMatch(/^tidal\/BatchCapacityFit: /);
      expect(await metric(r, 'tidal_extender_filter_bind_waits_total', { outcome: 'bound' })).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('stops waiting after --bind-wait when the bind never comes, and does not wait for a pod refused everywhere or filtered again', async () => {
    const r = await rig(true, 100);
    try {
      const warm = pending(r, 'etl-warm');
      await post(`${r.base}/bind`, bindArgs(warm, 'n9'));
      const a = pending(r, 'etl-a');
      const b = pending(r, 'etl-b');
      await filterBatch(r, a);
      // a's cycle failed after the filter: b waits until 100 ms after a's filter, then is decided.
      const t0 = performance.now();
      expect((await filterBatch(r, b)).json.NodeNames).toEqual(['n1']);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
      expect(await metric(r, 'tidal_extender_filter_bind_waits_total', { outcome: 'timeout' })).toBe(1);
      const waits = () => metric(r, 'tidal_extender_filter_bind_waits_total', {});
      expect(await waits()).toBe(1);
      // b is filtered again (its earlier cycle ended without a bind): no waiting for itself.
      await filterBatch(r, b);
      expect(await waits()).toBe(1);
      // A pod no node passed is not awaited.
      const big = batchPod('etl-big', { 'tidal.io/batch-cpu': '50000', 'tidal.io/batch-memory': '1Gi' });
      r.state.upsertPod(podFromKube(big as never, { classification: DEFAULT_CLASSIFICATION }), NOW);
      await new Promise((done) => setTimeout(done, 110));
      expect((await filterBatch(r, big)).json.NodeNames).toEqual([]);
      await filterBatch(r, a);
      expect(await waits()).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('never waits before any bind has come (kube-scheduler without bindVerb)', async () => {
    const r = await rig(true, 1000);
    try {
      const a = pending(r, 'etl-a');
      const b = pending(r, 'etl-b');
      await filterBatch(r, a);
      await filterBatch(r, b);
      expect(await metric(r, 'tidal_extender_filter_bind_waits_total', {})).toBe(0);
    } finally {
      await r.close();
    }
  });
});

describe('bind verb without a cluster (tidal extender --state)', () => {
  it('answers an Error that says binding needs a cluster and how to configure kube-scheduler instead', async () => {
    const r = await rig(false);
    try {
      const a = pending(r, 'etl-a');
      const res = await post(`${r.base}/bind`, bindArgs(a, 'n1'));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ Error: NO_CLUSTER_BIND_ERROR });
      expect(res.json.Error).toMatch(/--no-bind/);
      expect(r.api.requests).toEqual([]);
      expect(r.state.pods.get(a.metadata.uid)?.nodeName).toBe('');
      expect(await metric(r, 'tidal_extender_binds_total', { result: 'no-cluster' })).toBe(1);
    } finally {
      await r.close();
    }
  });
});

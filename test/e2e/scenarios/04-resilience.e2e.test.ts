// Scenario 4, resilience: kube-apiserver restarts in the middle of a run, and later the extender itself
// restarts. After each, the cluster changes in ways the extender can only know from its informers
// (pods deleted, a node added, while it or the apiserver was away), and its decisions must follow: the
// batch it admits fills exactly the capacity that is really free, on every node, and no more.
//
// Batch pods ask for tidal.io/batch-cpu, which kube-scheduler ignores: only the extender's view of the
// cluster stands between them and over-commitment, so a stale view shows as a wrong count.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import {
  BATCH_CPU,
  batchTemplate,
  createPod,
  hasVerdict,
  isRunning,
  type Kube,
  kube,
  listPods,
  nativeTemplate,
  podRequest,
  unschedulableMessage,
  waitForPods,
} from '../lib/kube.ts';
import { profileYaml, startTidalScheduling, type TidalExtender, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NS = 'res';
const ZONE = 'topology.kubernetes.io/zone';
// 75% of 4 cpu: 3 batch pods of 1 batch cpu per node.
const PER_NODE = 3;

describe.skipIf(skip !== undefined)('scenario 4: resilience (apiserver restart, extender restart)', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let ext: TidalExtender;
  let seq = 0;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  const liveBatch = async (): Promise<V1Pod[]> => (await listPods(k, NS, 'app=batch')).filter((p) => !p.metadata?.deletionTimestamp);

  /** Creates batch pods one at a time until one is refused; returns how many were bound. */
  async function fillUntilRefused(): Promise<{ bound: number; refusal: string }> {
    for (let bound = 0; ; bound++) {
      const name = `batch-${seq++}`;
      await createPod(k, NS, name, batchTemplate({ batchMilliCpu: 1000, batchMemory: '512Mi', labels: { app: 'batch' }, restartPolicy: 'Never' }));
      const p = await waitFor(`${name} bound or refused`, async () => {
        const pod = await k.core.readNamespacedPod({ name, namespace: NS });
        return hasVerdict(pod) ? pod : undefined;
      }, { timeoutMs: 60_000, intervalMs: 100 });
      if (!isRunning(p)) {
        const refusal = unschedulableMessage(p) ?? '';
        if (!/tidal\/BatchCapacityFit/.test(refusal)) throw new Error(`${name} refused, but not for batch capacity: ${refusal}`);
        await k.core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 });
        return { bound, refusal };
      }
      if (bound > 20) throw new Error('no refusal after 20 batch pods');
    }
  }

  /** Batch cpu (millicores) bound per node. */
  async function batchPerNode(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const node of (await k.core.listNode()).items) out[node.metadata!.name!] = 0;
    for (const p of await liveBatch()) if (p.spec?.nodeName) out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + podRequest(p, BATCH_CPU);
    return out;
  }

  async function deleteBatchOn(node: string, count: number): Promise<void> {
    const victims = (await liveBatch()).filter((p) => p.spec?.nodeName === node).slice(0, count);
    expect(victims).toHaveLength(count);
    for (const v of victims) await k.core.deleteNamespacedPod({ name: v.metadata!.name!, namespace: NS, gracePeriodSeconds: 0 });
    await waitForPods(k, NS, 'app=batch', `${count} batch pods gone from ${node}`, (ps) => !ps.some((p) => victims.some((v) => v.metadata?.uid === p.metadata?.uid)));
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'res-a', cpu: '4', memory: '16Gi', labels: { [ZONE]: 'zone-a' } },
      { name: 'res-b', cpu: '4', memory: '16Gi', labels: { [ZONE]: 'zone-b' } },
    ]);
    await cp.ensureNamespace(NS);
    const profile = writeProfile(cp, 'constant.yaml', profileYaml('e2e-constant', { batchShare: 0.75, onlineHeadroom: 0 }));
    // --timetable: the capacity expected is the profile's batchShare.
    ext = await startTidalScheduling(cp, { profile, logLevel: 'debug', timetable: true });
    const first = await fillUntilRefused();
    expect(first.bound).toBe(2 * PER_NODE);
    expect(first.refusal).toMatch(/0\/2 nodes are available: 2 tidal\/BatchCapacityFit/);
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('kube-apiserver restarts mid-run: the informers recover and see what changed after it', async () => {
    await plane().stopApiserver();
    await sleep(3_000); // the informers' watches fail and retry meanwhile
    await plane().startApiserver();
    // Changes the extender can only learn from re-established watches: 2 pods leave res-a, a node joins.
    await deleteBatchOn('res-a', 2);
    await plane().addNodes([{ name: 'res-c', cpu: '4', memory: '16Gi', labels: { [ZONE]: 'zone-c' } }]);
    // kube-scheduler's own informers (client-go reflectors) come back on their backoff, which grew while
    // the apiserver was away: it may take several seconds more to see res-c. A small online pod pinned
    // there shows when it does (it is scheduled through the extender too, which must know the node).
    await createPod(k, NS, 'probe', nativeTemplate({ cls: 'online', cpu: '100m', memory: '64Mi', nodeSelector: { 'kubernetes.io/hostname': 'res-c' } }));
    await waitFor('kube-scheduler places a pod on res-c', async () => isRunning(await k.core.readNamespacedPod({ name: 'probe', namespace: NS })), { timeoutMs: 60_000 });
    await k.core.deleteNamespacedPod({ name: 'probe', namespace: NS, gracePeriodSeconds: 0 });
    const { bound, refusal } = await fillUntilRefused();
    // Free: 2 on res-a, 3 on res-c.
    expect(bound).toBe(5);
    expect(refusal).toMatch(/0\/3 nodes are available: 3 tidal\/BatchCapacityFit/);
    expect(await batchPerNode()).toEqual({ 'res-a': PER_NODE * 1000, 'res-b': PER_NODE * 1000, 'res-c': PER_NODE * 1000 });
    expect((await ext.readyz()).status).toBe(200);
  });

  it('the extender restarts mid-run: no batch pod is scheduled without it (others are), and after its resync it answers correctly', async () => {
    await ext.stop();
    // While it is away: 3 batch pods leave res-c; 2 batch pods and an online pod arrive.
    await deleteBatchOn('res-c', 3);
    await createPod(k, NS, 'during-0', batchTemplate({ batchMilliCpu: 1000, batchMemory: '512Mi', labels: { app: 'batch' }, restartPolicy: 'Never' }));
    await createPod(k, NS, 'during-1', batchTemplate({ batchMilliCpu: 1000, batchMemory: '512Mi', labels: { app: 'batch' }, restartPolicy: 'Never' }));
    await createPod(k, NS, 'web', nativeTemplate({ cls: 'online', cpu: '500m', memory: '256Mi', labels: { app: 'web' } }));
    // The batch gate is not ignorable: kube-scheduler binds no batch pod while Tidal does not answer. The
    // online pod goes through the ignorable entry only: it is placed without Tidal (deploy/README.md).
    const refused = await waitForPods(k, NS, undefined, 'the new batch pods refused while the extender is down', (ps) => {
      const fresh = ps.filter((p) => ['during-0', 'during-1'].includes(p.metadata?.name ?? ''));
      return fresh.length === 2 && fresh.every((p) => unschedulableMessage(p) !== undefined) ? fresh : undefined;
    }, 30_000);
    for (const p of refused) expect(p.spec?.nodeName ?? '').toBe('');
    await waitForPods(k, NS, undefined, 'the online pod placed without the extender', (ps) => ps.some((p) => p.metadata?.name === 'web' && isRunning(p)), 30_000);
    await sleep(2_000);
    expect((await listPods(k, NS)).filter((p) => ['during-0', 'during-1'].includes(p.metadata?.name ?? '') && p.spec?.nodeName)).toEqual([]);

    await ext.launch();
    await ext.waitReady();
    await waitForPods(k, NS, undefined, 'the waiting pods bound after the extender came back', (ps) => {
      const fresh = ps.filter((p) => ['during-0', 'during-1', 'web'].includes(p.metadata?.name ?? ''));
      return fresh.length === 3 && fresh.every(isRunning);
    }, 60_000);
    // res-c had 3 free: 2 taken by the waiting pods, 1 left.
    const { bound, refusal } = await fillUntilRefused();
    expect(bound).toBe(1);
    expect(refusal).toMatch(/0\/3 nodes are available: 3 tidal\/BatchCapacityFit/);
    expect(await batchPerNode()).toEqual({ 'res-a': PER_NODE * 1000, 'res-b': PER_NODE * 1000, 'res-c': PER_NODE * 1000 });
  });
});

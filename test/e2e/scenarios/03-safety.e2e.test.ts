// Scenario 3, safety of the descheduler against a real apiserver and controller-manager: two replicas
// with Lease leader election evict each pod once (and the other takes over when the leader goes); the
// per-node and per-cycle limits hold; a PodDisruptionBudget's 429 is retried later, never forced.
//
// The profile allows no batch at all, so every batch pod is over capacity. The pods are bare (the
// descheduler runs with --evict-bare-pods): nothing recreates them, so each can be evicted once only
// and the counts are exact. The default kube-scheduler binds them (no extender is involved here).
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { createPod, evictedByApi, isRunning, type Kube, kube, listEvents, nativeTemplate, podName, PodRecorder, waitForPods } from '../lib/kube.ts';
import { profileYaml, TidalDescheduler, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NODES = ['safe-a', 'safe-b', 'safe-c'];
const LEASE_NS = 'tidal-system';
const LEASE = 'tidal-descheduler';

describe.skipIf(skip !== undefined)('scenario 3: descheduler safety (leader election, limits, PodDisruptionBudgets)', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let profile = '';

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes(NODES.map((name) => ({ name, cpu: '8', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': name } })));
    await cp.ensureNamespace(LEASE_NS);
    profile = writeProfile(cp, 'no-batch.yaml', profileYaml('e2e-no-batch', { batchShare: 0, onlineHeadroom: 0 }));
  });

  afterAll(async () => {
    await cp?.stop();
  });

  /** Creates `perNode` bare batch pods on each node (nodeName set) and waits until all run. */
  async function batchPods(ns: string, prefix: string, perNode: number, nodes = NODES): Promise<string[]> {
    const names: string[] = [];
    for (const node of nodes) {
      for (let i = 0; i < perNode; i++) {
        const name = `${prefix}-${node}-${i}`;
        const t = nativeTemplate({ cls: 'batch', cpu: '500m', memory: '256Mi', labels: { app: prefix } });
        t.spec!.nodeName = node;
        await createPod(k, ns, name, t);
        names.push(name);
      }
    }
    await waitForPods(k, ns, `app=${prefix}`, `${names.length} ${prefix} pods Running`, (ps) => ps.length === names.length && ps.every(isRunning));
    return names;
  }

  const descheduler = (name: string, args: string[], identity?: string): Promise<TidalDescheduler> =>
    TidalDescheduler.start(plane(), { name, identity, profile, timetable: true, interval: '2s', args: ['--evict-bare-pods', ...args] });

  it('two replicas with leader election: one acts, each pod is evicted once; the other takes over when it goes', async () => {
    const ns = 'safe-le';
    await plane().ensureNamespace(ns);
    const rec = await PodRecorder.start(k, ns);
    try {
      const wave1 = await batchPods(ns, 'w1', 2);
      const [r1, r2] = await Promise.all([descheduler('desched-1', []), descheduler('desched-2', [])]);
      const replicas = [r1, r2];
      const gone = (names: string[]) => rec.all().filter((h) => names.includes(podName(h.pod)) && h.deleted);
      await waitFor('wave 1 evicted', async () => gone(wave1).length === wave1.length, { timeoutMs: 60_000, intervalMs: 250 });
      await sleep(4_000); // two more cycles of each replica

      const lease = await k.coordination.readNamespacedLease({ name: LEASE, namespace: LEASE_NS });
      const holder = lease.spec?.holderIdentity ?? '';
      const leader = replicas.find((r) => r.identity === holder);
      const follower = replicas.find((r) => r.identity !== holder)!;
      expect(leader, `lease holder ${holder}`).toBeDefined();
      for (const h of gone(wave1)) expect(evictedByApi(h.pod)).toBe(true);
      const events1 = await listEvents(k, ns, 'reason=TidalEvicted');
      // One eviction per pod, all by the leader.
      expect(events1.map((e) => e.involvedObject.name).sort()).toEqual([...wave1].sort());
      expect(new Set(events1.map((e) => e.reportingInstance))).toEqual(new Set([holder]));
      expect((await follower.metrics()).sum('tidal_descheduler_evictions_total')).toBe(0);
      expect((await follower.metrics()).sum('tidal_descheduler_cycles_total', { outcome: 'not-leader' })).toBeGreaterThan(0);
      expect((await leader!.metrics()).sum('tidal_descheduler_evictions_total', { result: 'evicted' })).toBe(wave1.length);

      // The leader shuts down (it releases the Lease); the follower takes over and evicts the next wave.
      await leader!.stop();
      await waitFor('the follower holds the lease', async () => {
        const l = await k.coordination.readNamespacedLease({ name: LEASE, namespace: LEASE_NS });
        return l.spec?.holderIdentity === follower.identity;
      }, { timeoutMs: 30_000 });
      const wave2 = await batchPods(ns, 'w2', 1);
      await waitFor('wave 2 evicted', async () => gone(wave2).length === wave2.length, { timeoutMs: 60_000, intervalMs: 250 });
      await sleep(2_500);
      const events2 = (await listEvents(k, ns, 'reason=TidalEvicted')).filter((e) => wave2.includes(e.involvedObject.name ?? ''));
      expect(events2.map((e) => e.involvedObject.name).sort()).toEqual([...wave2].sort());
      expect(new Set(events2.map((e) => e.reportingInstance))).toEqual(new Set([follower.identity]));
      await follower.stop();
    } finally {
      rec.stop();
    }
  });

  it('per-node and per-cycle limits hold: at most 1 eviction per node and 2 in all per cycle', async () => {
    const ns = 'safe-limits';
    await plane().ensureNamespace(ns);
    const rec = await PodRecorder.start(k, ns);
    try {
      const pods = await batchPods(ns, 'lim', 2);
      // Cycles every 3 s; the rate limit is set out of the way so that only the per-cycle limits bind.
      const d = await TidalDescheduler.start(plane(), {
        name: 'desched-limits',
        profile,
        timetable: true,
        interval: '3s',
        args: ['--evict-bare-pods', '--no-leader-elect', '--max-per-node', '1', '--max-total', '2', '--rate-per-minute', '600', '--burst', '100'],
      });
      await waitFor('every pod evicted', async () => rec.all().filter((h) => h.deleted).length === pods.length, { timeoutMs: 60_000, intervalMs: 250 });
      const m = await d.metrics();
      await d.stop();
      // Group the evictions as the apiserver accepted them (a pod turning terminating), by time: a cycle's
      // evictions come within a few ms, cycles are 3 s apart.
      const times = rec
        .all()
        .map((h) => ({ at: h.terminatingAt!, node: h.nodeName, pod: podName(h.pod), evicted: evictedByApi(h.pod) }))
        .sort((a, b) => a.at - b.at);
      expect(times.every((t) => t.evicted)).toBe(true);
      const groups: (typeof times)[] = [];
      for (const t of times) {
        const last = groups.at(-1);
        if (last && t.at - last.at(-1)!.at < 1_000) last.push(t);
        else groups.push([t]);
      }
      const detail = JSON.stringify(groups.map((g) => g.map((t) => `${t.pod}@${t.at - times[0]!.at}ms`)));
      expect(groups.length, detail).toBeGreaterThanOrEqual(3);
      for (const g of groups) {
        expect(g.length, detail).toBeLessThanOrEqual(2);
        expect(new Set(g.map((t) => t.node)).size, detail).toBe(g.length);
      }
      // The planner said why it stopped short (its metrics), and evicted no more than it was asked to.
      expect(m.sum('tidal_descheduler_skipped_pods_total', { reason: 'limit: per cycle' })).toBeGreaterThan(0);
      expect(m.sum('tidal_descheduler_skipped_pods_total', { reason: 'limit: per node' })).toBeGreaterThan(0);
      expect(m.sum('tidal_descheduler_evictions_total', { result: 'evicted' })).toBe(pods.length);
    } finally {
      rec.stop();
    }
  });

  it('a PodDisruptionBudget that refuses (429) is retried later, never forced', async () => {
    const ns = 'safe-pdb';
    await plane().ensureNamespace(ns);
    const rec = await PodRecorder.start(k, ns);
    try {
      const pods = await batchPods(ns, 'guarded', 2, [NODES[0]!]);
      await k.policy.createNamespacedPodDisruptionBudget({
        namespace: ns,
        body: { metadata: { name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } },
      });
      const pdbReady = (b: V1PodDisruptionBudget): boolean =>
        b.status?.observedGeneration === b.metadata?.generation && b.status?.disruptionsAllowed === 1;
      await waitFor('the disruption controller allows 1 disruption', async () => pdbReady(await k.policy.readNamespacedPodDisruptionBudget({ name: 'guarded', namespace: ns })));

      // With the controller-manager stopped, a spec change leaves the budget's status behind its
      // generation: the apiserver refuses every eviction it covers with 429 until the disruption
      // controller has looked at it again. Tidal's informer still shows 1 disruption allowed, so the
      // descheduler tries, and must take the 429 as "later".
      await plane().stopControllerManager();
      await k.policy.patchNamespacedPodDisruptionBudget(
        { name: 'guarded', namespace: ns, body: { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const d = await TidalDescheduler.start(plane(), { name: 'desched-pdb', profile, timetable: true, interval: '2s', args: ['--evict-bare-pods', '--no-leader-elect'] });
      const blocked = await waitFor('two refused eviction attempts (TidalEvictionBlocked events)', async () => {
        const evs = await listEvents(k, ns, 'reason=TidalEvictionBlocked');
        return evs.length >= 2 ? evs : undefined;
      }, { timeoutMs: 30_000 });
      expect(blocked[0]!.message).toMatch(/refused by the apiserver, will retry next cycle: HTTP 429/);
      expect((await d.metrics()).sum('tidal_descheduler_evictions_total', { result: 'blocked' })).toBeGreaterThanOrEqual(2);
      expect(rec.all().filter((h) => h.terminatingAt !== undefined)).toEqual([]);

      // The controller-manager comes back, recomputes the budget, and the next attempt goes through.
      await plane().startControllerManager();
      await waitFor('one guarded pod evicted', async () => rec.all().some((h) => h.deleted), { timeoutMs: 60_000, intervalMs: 250 });
      await sleep(6_000); // three more cycles: the budget now allows no more disruptions
      const gone = rec.all().filter((h) => h.terminatingAt !== undefined);
      expect(gone).toHaveLength(1);
      expect(evictedByApi(gone[0]!.pod)).toBe(true);
      const survivor = pods.find((p) => p !== podName(gone[0]!.pod))!;
      expect(isRunning(await k.core.readNamespacedPod({ name: survivor, namespace: ns }))).toBe(true);
      const evicted = await listEvents(k, ns, 'reason=TidalEvicted');
      expect(evicted.map((e) => e.involvedObject.name)).toEqual([podName(gone[0]!.pod)]);
      const m = await d.metrics();
      expect(m.sum('tidal_descheduler_evictions_total', { result: 'evicted' })).toBe(1);
      expect(m.sum('tidal_descheduler_skipped_pods_total', { reason: 'PodDisruptionBudget allows no more disruptions' })).toBeGreaterThan(0);
      await d.stop();
    } finally {
      rec.stop();
    }
  });
});

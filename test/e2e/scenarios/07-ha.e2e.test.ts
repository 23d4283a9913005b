// Scenario 7, HA: two `tidal extender --leader-elect` replicas behind a stand-in for their Service (a
// TCP proxy that sends each new connection to the replica whose /readyz is 200, as kube-proxy sends
// it to Ready endpoints). A burst of batch pods with room for 6 binds exactly 6; the leader is killed
// (SIGKILL: no release) and the standby takes over within the lease duration; no pod is double-admitted.
import { createConnection, createServer, type Server } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { freePorts } from '../harness/control-plane.ts';
import { httpGet } from '../harness/process.ts';
import { BATCH_CPU, batchTemplate, createPod, hasVerdict, isRunning, type Kube, kube, listPods, podRequest } from '../lib/kube.ts';
import { profileYaml, TidalExtender, tidalSchedulerConfig, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NS = 'ha';
const LEASE_S = 4;

describe.skipIf(skip !== undefined)('scenario 7: two leader-elected extender replicas', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  const replicas: TidalExtender[] = [];
  const ready = new Set<TidalExtender>();
  let proxy: Server | undefined;
  let probe: NodeJS.Timeout | undefined;

  const live = async (): Promise<V1Pod[]> => (await listPods(k, NS, 'app=batch')).filter((p) => !p.metadata?.deletionTimestamp);
  const batchOn = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const p of await live()) if (p.spec?.nodeName) out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + podRequest(p, BATCH_CPU);
    return out;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'ha-a', cpu: '4', memory: '16Gi' },
      { name: 'ha-b', cpu: '4', memory: '16Gi' },
    ]);
    await cp.ensureNamespace(NS);
    await cp.ensureNamespace('tidal-system');
    const profile = writeProfile(cp, 'constant.yaml', profileYaml('e2e-constant', { batchShare: 0.75, onlineHeadroom: 0 }));
    for (const name of ['ext-a', 'ext-b']) {
      const ext = await TidalExtender.start(cp, {
        name,
        profile,
        timetable: true,
        logLevel: 'debug',
        extraArgs: ['--leader-elect', '--identity', name, '--lease-duration', `${LEASE_S}s`, '--renew-deadline', '3s', '--retry-period', '1s'],
      });
      replicas.push(ext);
    }
    probe = setInterval(() => {
      for (const r of replicas) {
        if (!r.proc) {
          ready.delete(r);
          continue;
        }
        void httpGet(`${r.baseUrl}/readyz`).then(
          (res) => (res.status === 200 ? ready.add(r) : ready.delete(r)),
          () => ready.delete(r),
        );
      }
    }, 200);
    const [port] = await freePorts(1);
    proxy = createServer((client) => {
      const to = [...ready][0];
      if (!to) return client.destroy();
      const up = createConnection({ host: '127.0.0.1', port: to.port });
      client.pipe(up).pipe(client);
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => proxy!.listen(port, '127.0.0.1', r));
    await waitFor('one replica Ready', async () => ready.size === 1, { timeoutMs: 60_000, intervalMs: 200 });
    await cp.startScheduler(await tidalSchedulerConfig(cp, `http://127.0.0.1:${port}/scheduler`));
  });

  afterAll(async () => {
    if (probe) clearInterval(probe);
    proxy?.close();
    await cp?.stop();
  });

  it('exactly one replica is Ready; a burst with room for 6 binds exactly 6', async () => {
    const states = await Promise.all(replicas.map((r) => r.readyz()));
    expect(states.map((s) => s.status).sort()).toEqual([200, 503]);
    expect(states.find((s) => s.status === 503)!.body).toMatch(/standby: the Lease tidal-system\/tidal-extender is held by/);
    await Promise.all(Array.from({ length: 9 }, (_, i) => createPod(k, NS, `burst-${i}`, batchTemplate({ batchMilliCpu: 1000, batchMemory: '512Mi', labels: { app: 'batch' }, restartPolicy: 'Never' }))));
    const pods = await waitFor('every burst pod bound or refused', async () => {
      const ps = await live();
      return ps.length === 9 && ps.every(hasVerdict) ? ps : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    expect(pods.filter(isRunning)).toHaveLength(6);
    expect(await batchOn()).toEqual({ 'ha-a': 3000, 'ha-b': 3000 });
  });

  it('the leader is killed: the standby takes over within the lease duration and the waiting pods bind, no more than fit', async () => {
    const leader = replicas.find((r) => ready.has(r))!;
    const standby = replicas.find((r) => r !== leader)!;
    await cp!.stopChild(leader.name, 0);
    leader.proc = undefined;
    ready.delete(leader);
    const killed = Date.now();
    // Free room for 2 of the 3 waiting pods.
    const running = (await live()).filter(isRunning).slice(0, 2);
    for (const p of running) await k.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('the standby Ready', async () => (await standby.readyz()).status === 200, { timeoutMs: (LEASE_S + 10) * 1000, intervalMs: 100 });
    const tookOver = Date.now() - killed;
    // Lease duration, plus one retry period to notice and one to settle, plus probe periods.
    expect(tookOver).toBeLessThan((LEASE_S + 4) * 1000);
    await waitFor('6 batch pods running again', async () => (await live()).filter(isRunning).length === 6, { timeoutMs: 60_000, intervalMs: 250 });
    expect(await batchOn()).toEqual({ 'ha-a': 3000, 'ha-b': 3000 });
    expect((await live()).filter((p) => !p.spec?.nodeName)).toHaveLength(1);
  });
});

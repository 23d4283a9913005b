// Scenario 9, in-place mode without the bootstrap deadlock: the cluster's kube-scheduler runs the
// configuration `tidal config scheduler --full` prints (the extender listed twice: a non-ignorable batch
// gate through managedResources, an ignorable entry for every pod) and deploy/base is applied. Every
// extender replica is stopped: the replacement pods of Tidal's own Deployment, a kube-system pod and an
// online pod are still scheduled (by kube-scheduler alone), while batch pods wait — none is bound, even
// with free batch room. The extender back, exactly the room binds. With the single non-ignorable
// extender of `--gate all`, the same replacement pod stays Pending: the deadlock this design removes.
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { kubectl } from '../lib/deploy.ts';
import { BATCH_CPU, batchTemplate, createPod, eventText, hasVerdict, isRunning, type Kube, kube, listEvents, listPods, nativeTemplate, podRequest, unschedulableMessage, waitForPods } from '../lib/kube.ts';
import { profileYaml, REPO_ROOT, TidalExtender, tidalSchedulerConfig, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NS = 'tidal-system';
const WORK = 'ip-work';
const EXT_SELECTOR = 'app.kubernetes.io/name=tidal-extender';

const reporter = (e: { reportingComponent?: string; source?: { component?: string } }): string | undefined => e.reportingComponent || e.source?.component;

describe.skipIf(skip !== undefined)('scenario 9: in place, no deadlock when every extender replica is down', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let ext: TidalExtender;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const live = async (selector: string, ns = WORK): Promise<V1Pod[]> => (await listPods(k, ns, selector)).filter((p) => !p.metadata?.deletionTimestamp);
  const batchOn = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const p of await live('app=batch')) if (p.spec?.nodeName) out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + podRequest(p, BATCH_CPU);
    return out;
  };
  const batchPod = (name: string) => createPod(k, WORK, name, batchTemplate({ batchMilliCpu: 1000, batchMemory: '512Mi', labels: { app: 'batch' }, restartPolicy: 'Never' }));

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'ip-a', cpu: '8', memory: '32Gi' },
      { name: 'ip-b', cpu: '8', memory: '32Gi' },
    ]);
    await cp.ensureNamespace(WORK);
    // Batch capacity min(8 x 0.5, 8 - online) = 4 CPUs a node: room for 8 pods of 1 CPU.
    const profile = writeProfile(cp, 'half.yaml', profileYaml('e2e-half', { batchShare: 0.5, onlineHeadroom: 0 }));
    ext = await TidalExtender.start(cp, { name: 'ext-0', profile, timetable: true });
    await ext.waitReady();
    await cp.startScheduler(await tidalSchedulerConfig(cp, ext.urlPrefix));
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('the shipped configuration lists the extender twice: a non-ignorable batch gate, an ignorable entry for every pod', () => {
    const doc = parse(readFileSync(join(REPO_ROOT, 'deploy/kube-scheduler/scheduler-config.yaml'), 'utf8'));
    expect(doc.extenders).toHaveLength(2);
    expect(doc.extenders[0]).toMatchObject({ filterVerb: 'filter', ignorable: false, managedResources: [{ name: 'tidal.io/batch-cpu', ignoredByScheduler: true }, { name: 'tidal.io/batch-memory', ignoredByScheduler: true }] });
    expect(doc.extenders[0].bindVerb).toBeUndefined();
    expect(doc.extenders[1]).toMatchObject({ filterVerb: 'filter', prioritizeVerb: 'prioritize', preemptVerb: 'preempt', bindVerb: 'bind', ignorable: true });
    expect(doc.extenders[1].managedResources).toBeUndefined();
  });

  it('with the extender up, deploy/base rolls out through it and batch fills to capacity', async () => {
    await kubectl(plane(), ['apply', '--server-side', '-k', join(REPO_ROOT, 'deploy/base')]);
    await waitForPods(k, NS, 'app.kubernetes.io/part-of=tidal', '4 Tidal pods Running', (ps) => ps.length === 4 && ps.every(isRunning), 90_000);
    // Tidal bound its own pods (the every-pod entry is the binder while it answers).
    expect((await ext.metrics()).sum('tidal_extender_binds_total', { result: 'bound' })).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 10; i++) await batchPod(`fill-${i}`);
    const pods = await waitFor('every fill pod bound or refused', async () => {
      const ps = await live('app=batch');
      return ps.length === 10 && ps.every(hasVerdict) ? ps : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    expect(pods.filter(isRunning)).toHaveLength(8);
    expect(await batchOn()).toEqual({ 'ip-a': 4000, 'ip-b': 4000 });
    // Make room for 2 (the 2 refused ones are deleted too).
    const drop = [...pods.filter((p) => !isRunning(p)), ...pods.filter(isRunning).slice(0, 2)];
    for (const p of drop) await k.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: WORK, gracePeriodSeconds: 0 });
    await waitFor('6 batch pods left', async () => (await live('app=batch')).length === 6, { timeoutMs: 30_000, intervalMs: 250 });
  });

  it('every extender replica stopped: Tidal\'s replacement pods, kube-system and online pods schedule; batch pods wait though there is room', async () => {
    await ext.stop();
    const stoppedAt = Date.now();
    for (let i = 0; i < 4; i++) await batchPod(`during-${i}`);
    // The extender Deployment's pods go (their node lost, say): the ReplicaSet makes replacements.
    const old = await live(EXT_SELECTOR, NS);
    expect(old).toHaveLength(2);
    for (const p of old) await k.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: NS, gracePeriodSeconds: 0 });
    await createPod(k, 'kube-system', 'system-probe', nativeTemplate({ cls: 'online', cpu: '100m', memory: '64Mi', labels: { app: 'system-probe', 'tidal.io/class': 'system' } }));
    await createPod(k, WORK, 'web', nativeTemplate({ cls: 'online', cpu: '250m', memory: '128Mi', labels: { app: 'web' } }));

    const replacements = await waitForPods(
      k,
      NS,
      EXT_SELECTOR,
      'two replacement extender pods Running',
      (ps) => {
        const fresh = ps.filter((p) => !old.some((o) => o.metadata?.uid === p.metadata?.uid) && !p.metadata?.deletionTimestamp);
        return fresh.length === 2 && fresh.every(isRunning) ? fresh : undefined;
      },
      60_000,
    );
    const placedIn = Date.now() - stoppedAt;
    await waitForPods(k, 'kube-system', 'app=system-probe', 'the kube-system pod Running', (ps) => ps.length === 1 && ps.every(isRunning));
    await waitForPods(k, WORK, 'app=web', 'the online pod Running', (ps) => ps.length === 1 && ps.every(isRunning));
    // Placed by kube-scheduler alone (its default binder; the extender was not there to bind).
    const ev = await listEvents(k, NS, 'reason=Scheduled');
    for (const p of replacements) expect(ev.some((e) => e.involvedObject.uid === p.metadata?.uid && reporter(e) === 'default-scheduler')).toBe(true);

    // Batch pods meanwhile: none bound, though there is room for 2; kube-scheduler says why.
    await new Promise((r) => setTimeout(r, Math.max(0, 8_000 - placedIn)));
    const during = await live('app=batch');
    expect(during.filter((p) => p.metadata!.name!.startsWith('during-') && p.spec?.nodeName)).toEqual([]);
    const total = Object.values(await batchOn()).reduce((a, b) => a + b, 0);
    expect(total).toBe(6000);
    const reasons = (await listEvents(k, WORK, 'involvedObject.name=during-0,reason=FailedScheduling')).map(eventText).join('\n');
    expect(reasons).toMatch(/connection refused|filter/);
  });

  it('the extender back: exactly the room binds, the rest is refused with BatchCapacityFit', async () => {
    await ext.launch();
    await ext.waitReady();
    await waitFor('the during pods decided', async () => {
      const d = (await live('app=batch')).filter((p) => p.metadata!.name!.startsWith('during-'));
      return d.filter(isRunning).length === 2 && d.filter((p) => /BatchCapacityFit/.test(unschedulableMessage(p) ?? '')).length === 2;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    expect(await batchOn()).toEqual({ 'ip-a': 4000, 'ip-b': 4000 });
  });

  it('contrast: with one non-ignorable extender for every pod (--gate all), the same replacement pod cannot schedule', async () => {
    await plane().startScheduler(await tidalSchedulerConfig(plane(), ext.urlPrefix, { extra: ['--gate', 'all'] }));
    await ext.stop();
    const [victim] = await live(EXT_SELECTOR, NS);
    await k.core.deleteNamespacedPod({ name: victim!.metadata!.name!, namespace: NS, gracePeriodSeconds: 0 });
    await new Promise((r) => setTimeout(r, 10_000));
    const stuck = (await live(EXT_SELECTOR, NS)).filter((p) => !p.spec?.nodeName);
    expect(stuck).toHaveLength(1);
    const reasons = (await listEvents(k, NS, `involvedObject.name=${stuck[0]!.metadata!.name},reason=FailedScheduling`)).map(eventText).join('\n');
    expect(reasons).toMatch(/connection refused|filter/);
  });
});

// Scenario 8, second-scheduler mode (deploy/second-scheduler): the overlay renders deploy/base plus a
// kube-scheduler Deployment named tidal-scheduler whose configuration is what `tidal config scheduler
// --mode second-scheduler` prints; it applies and rolls out, placed by the default scheduler. Then the
// real kube-scheduler binary runs a second time as tidal-scheduler, with that configuration, its
// ServiceAccount's token and its own Lease, calling a `tidal extender` over mTLS with the certificates
// `tidal certs bootstrap` made: pods that opt in (schedulerName: tidal-scheduler) are held to batch
// capacity by the extender; pods that do not are placed by the default scheduler, which never calls it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { kubectl, secretFiles, serviceAccountKubeconfig, type TlsFiles } from '../lib/deploy.ts';
import { BATCH_CPU, batchTemplate, createPod, eventText, hasVerdict, isRunning, type Kube, kube, listEvents, listPods, nativeTemplate, podRequest, unschedulableMessage, waitForPods } from '../lib/kube.ts';
import { profileYaml, REPO_ROOT, runTidal, TidalExtender, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const OVERLAY = join(REPO_ROOT, 'deploy/second-scheduler');
const NS = 'tidal-system';
const WORK = 'ss-work';
const SERVICE_NAME = 'tidal-extender.tidal-system.svc';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> };

/** Who reported an event: kube-scheduler's events carry the profile's schedulerName as reporting controller. */
const reporter = (e: { reportingComponent?: string; source?: { component?: string } }): string | undefined => e.reportingComponent || e.source?.component;

describe.skipIf(skip !== undefined)('scenario 8: second-scheduler mode', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let ext: TidalExtender;
  let tls: TlsFiles;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'ss-a', cpu: '4', memory: '16Gi' },
      { name: 'ss-b', cpu: '4', memory: '16Gi' },
    ]);
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('renders deploy/base plus tidal-scheduler, configured as `tidal config scheduler --mode second-scheduler` prints', async () => {
    const docs = parseAllDocuments(await kubectl(plane(), ['kustomize', OVERLAY])).map((d) => d.toJS() as Obj);
    const base = parseAllDocuments(await kubectl(plane(), ['kustomize', join(REPO_ROOT, 'deploy/base')])).map((d) => d.toJS() as Obj);
    const id = (d: Obj) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`;
    const added = docs.map(id).filter((n) => !base.map(id).includes(n)).sort();
    expect(added).toEqual(
      [
        'ClusterRoleBinding//tidal-scheduler-as-kube-scheduler',
        'ClusterRoleBinding//tidal-scheduler-as-volume-scheduler',
        'ConfigMap/tidal-system/tidal-scheduler-config',
        'Deployment/tidal-system/tidal-scheduler',
        'NetworkPolicy/tidal-system/tidal-scheduler',
        'Role/tidal-system/tidal-scheduler-leader-election',
        'RoleBinding/kube-system/tidal-scheduler-extension-apiserver-authentication-reader',
        'RoleBinding/tidal-system/tidal-scheduler-leader-election',
        'ServiceAccount/tidal-system/tidal-scheduler',
      ].sort(),
    );
    expect(docs.length).toBe(base.length + added.length);
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('tidal-scheduler-config-'))!;
    expect(cm.data!['config.yaml']).toBe(await runTidal(['config', 'scheduler', '--mode', 'second-scheduler']));
    const dep = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'tidal-scheduler') as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(dep.spec.template.spec.containers[0]!.image).toBe('registry.k8s.io/kube-scheduler:v1.37.2');
  });

  it('applies, rolls out under Pod Security "restricted"; the default scheduler places Tidal\'s own pods', async () => {
    await kubectl(plane(), ['apply', '--server-side', '-k', OVERLAY]);
    for (const name of ['tidal-extender', 'tidal-descheduler', 'tidal-scheduler']) {
      await waitFor(`${name} available (2 replicas)`, async () => (await k.apps.readNamespacedDeployment({ name, namespace: NS })).status?.availableReplicas === 2, { timeoutMs: 90_000 });
    }
    const pods = await waitForPods(k, NS, 'app.kubernetes.io/part-of=tidal', '6 Tidal pods Running', (ps) => (ps.length === 6 && ps.every(isRunning) ? ps : undefined));
    expect(pods.every((p) => (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler')).toBe(true);
    const scheduled = await listEvents(k, NS, 'reason=Scheduled');
    expect(new Set(scheduled.map(reporter))).toEqual(new Set(['default-scheduler']));
  });

  it('`tidal certs bootstrap` makes the two Secrets once (a second run changes nothing)', async () => {
    const out = await runTidal(['certs', 'bootstrap', '--kubeconfig', plane().kubeconfigPath, '--namespace', NS]);
    expect(out).toMatch(/created Secrets tidal-system\/tidal-extender-tls \(serving: tidal-extender\.tidal-system\.svc, tidal-extender\.tidal-system\.svc\.cluster\.local\) and tidal-system\/tidal-scheduler-client/);
    const before = (await k.core.readNamespacedSecret({ name: 'tidal-extender-tls', namespace: NS })).metadata?.resourceVersion;
    expect(await runTidal(['certs', 'bootstrap', '--kubeconfig', plane().kubeconfigPath, '--namespace', NS])).toMatch(/exist: nothing to do/);
    expect((await k.core.readNamespacedSecret({ name: 'tidal-extender-tls', namespace: NS })).metadata?.resourceVersion).toBe(before);
    tls = await secretFiles(plane(), k, NS);
    // One without the other cannot be matched (the CA key is not kept): refused, nothing created.
    await k.core.deleteNamespacedSecret({ name: 'tidal-scheduler-client', namespace: NS });
    await expect(runTidal(['certs', 'bootstrap', '--kubeconfig', plane().kubeconfigPath, '--namespace', NS])).rejects.toThrow(/Secret tidal-system\/tidal-extender-tls exists but tidal-system\/tidal-scheduler-client does not/);
    await expect(k.core.readNamespacedSecret({ name: 'tidal-scheduler-client', namespace: NS })).rejects.toThrow();
  });

  it('the real kube-scheduler runs as tidal-scheduler with its ServiceAccount and holds its own Lease; the extender serves mTLS', async () => {
    const profile = writeProfile(plane(), 'constant.yaml', profileYaml('e2e-constant', { batchShare: 0.75, onlineHeadroom: 0 }));
    ext = await TidalExtender.start(plane(), {
      name: 'tidal-extender',
      profile,
      // The capacity expected (room for 6) is the profile's batchShare: the timetable mode.
      timetable: true,
      // debug: one log line per decision, naming the pod (the last test reads them).
      logLevel: 'debug',
      kubeconfig: await serviceAccountKubeconfig(plane(), k, NS, 'tidal-extender'),
      tls: { certFile: tls.serving.certFile, keyFile: tls.serving.keyFile, clientCaFile: tls.serving.caFile, caFile: tls.client.caFile, serverName: SERVICE_NAME },
    });
    await ext.waitReady();
    const config = await runTidal([
      'config', 'scheduler', '--mode', 'second-scheduler',
      '--url-prefix', `https://127.0.0.1:${ext.port}/scheduler`,
      '--server-name', SERVICE_NAME,
      '--ca-file', tls.client.caFile,
      '--client-cert-file', tls.client.certFile,
      '--client-key-file', tls.client.keyFile,
    ]);
    await plane().startSecondScheduler('tidal-scheduler', config, await serviceAccountKubeconfig(plane(), k, NS, 'tidal-scheduler'));
    const lease = await waitFor('the Lease tidal-system/tidal-scheduler held', async () => {
      const l = await k.coordination.readNamespacedLease({ name: 'tidal-scheduler', namespace: NS }).catch(() => undefined);
      return l?.spec?.holderIdentity ? l : undefined;
    }, { timeoutMs: 60_000 });
    expect(lease.spec?.holderIdentity).toBeTruthy();
    // The cluster's own scheduler Lease is untouched (the harness runs it without leader election).
    await expect(k.coordination.readNamespacedLease({ name: 'kube-scheduler', namespace: 'kube-system' })).rejects.toThrow();
    const log = readFileSync(plane().logs('tidal-scheduler'), 'utf8');
    expect(log).not.toMatch(/is forbidden/);
  });

  it('opted-in batch pods are held to batch capacity by the extender: room for 6, exactly 6 bind', async () => {
    await plane().ensureNamespace(WORK);
    const before = (await ext.metrics()).sum('tidal_extender_requests_total', { verb: 'filter' });
    await Promise.all(
      Array.from({ length: 9 }, (_, i) => {
        const t = batchTemplate({ batchMilliCpu: 1000, batchMemory: '512Mi', labels: { app: 'batch' }, restartPolicy: 'Never' });
        t.spec!.schedulerName = 'tidal-scheduler';
        return createPod(k, WORK, `batch-${i}`, t);
      }),
    );
    const pods = await waitFor('every batch pod bound or refused', async () => {
      const ps = await listPods(k, WORK, 'app=batch');
      return ps.length === 9 && ps.every(hasVerdict) ? ps : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    const running = pods.filter(isRunning);
    expect(running).toHaveLength(6);
    const perNode: Record<string, number> = {};
    for (const p of running) perNode[p.spec!.nodeName!] = (perNode[p.spec!.nodeName!] ?? 0) + podRequest(p, BATCH_CPU);
    expect(perNode).toEqual({ 'ss-a': 3000, 'ss-b': 3000 });
    for (const p of pods.filter((p) => !isRunning(p))) expect(unschedulableMessage(p)).toMatch(/tidal\/BatchCapacityFit/);
    const failed = await listEvents(k, WORK, 'reason=FailedScheduling');
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map(reporter))).toEqual(new Set(['tidal-scheduler']));
    expect(failed.map(eventText).join('\n')).toMatch(/tidal\/BatchCapacityFit/);
    const scheduled = await listEvents(k, WORK, 'reason=Scheduled');
    expect(new Set(scheduled.map(reporter))).toEqual(new Set(['tidal-scheduler']));
    expect((await ext.metrics()).sum('tidal_extender_requests_total', { verb: 'filter', code: '200' })).toBeGreaterThan(before);
    // kube-scheduler's client certificate was required and presented: no verb was refused.
    expect((await ext.metrics()).sum('tidal_extender_unauthenticated_requests_total')).toBe(0);
  });

  it('pods without schedulerName are placed by the default scheduler without calling the extender', async () => {
    const binds = async () => (await ext.metrics()).sum('tidal_extender_binds_total');
    const before = await binds();
    await Promise.all(Array.from({ length: 3 }, (_, i) => createPod(k, WORK, `web-${i}`, nativeTemplate({ cls: 'online', cpu: '500m', memory: '256Mi', labels: { app: 'web' } }))));
    const web = await waitForPods(k, WORK, 'app=web', '3 web pods Running', (ps) => (ps.length === 3 && ps.every(isRunning) ? ps : undefined));
    const byWeb = (await listEvents(k, WORK, 'reason=Scheduled')).filter((e) => e.involvedObject.name?.startsWith('web-'));
    expect(byWeb.map(reporter)).toEqual(['default-scheduler', 'default-scheduler', 'default-scheduler']);
    // The extender logs every decision (debug): the opted-in pods are there, the web pods never.
    const log = readFileSync(ext.logPath, 'utf8');
    expect(log).toMatch(/"filter ss-work\/batch-0"/);
    expect(log).toMatch(/bound ss-work\/batch-/);
    expect(log).not.toMatch(/ss-work\/web-/);
    expect(await binds()).toBe(before);
    expect(web.every((p: V1Pod) => p.spec?.schedulerName === 'default-scheduler')).toBe(true);
    // A batch pod that does not opt in is not placed behind Tidal's back: the default scheduler counts
    // tidal.io/batch-cpu, which no node advertises.
    await createPod(k, WORK, 'stray-batch', batchTemplate({ batchMilliCpu: 500, batchMemory: '256Mi', labels: { app: 'stray' }, restartPolicy: 'Never' }));
    const stray = await waitForPods(k, WORK, 'app=stray', 'the stray batch pod refused', (ps) => (ps.length === 1 && unschedulableMessage(ps[0]!) !== undefined ? ps[0] : undefined));
    expect(unschedulableMessage(stray)).toMatch(/Insufficient tidal\.io\/batch-cpu/);
  });
});

// Scenario 5, the deploy manifests (deploy/): the kustomize base renders with kubectl's kustomize,
// passes a server-side dry run, applies for real (and again, unchanged), its Deployments roll out on
// the fake nodes under Pod Security "restricted", its RBAC grants what Tidal needs and no more
// (SubjectAccessReviews), and `tidal extender` / `tidal deschedule` run with the ServiceAccounts' own
// tokens: the extender syncs, the descheduler holds its Lease and evicts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { kubectl as kubectlIn, serviceAccountKubeconfig as saKubeconfig } from '../lib/deploy.ts';
import { createPod, evictedByApi, isRunning, type Kube, kube, listEvents, nativeTemplate, PodRecorder, waitForPods } from '../lib/kube.ts';
import { profileYaml, REPO_ROOT, runTidal, TidalDescheduler, TidalExtender, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const BASE = join(REPO_ROOT, 'deploy/base');
const NS = 'tidal-system';

describe.skipIf(skip !== undefined)('scenario 5: deploy manifests on a real apiserver', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  const kubectl = (args: string[]) => kubectlIn(plane(), args);
  /** A kubeconfig for a ServiceAccount of tidal-system, with a token from the TokenRequest API. */
  const serviceAccountKubeconfig = (sa: string) => saKubeconfig(plane(), k, NS, sa);

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'dep-a', cpu: '8', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
      { name: 'dep-b', cpu: '8', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': 'zone-b' } },
    ]);
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('ships the profiles it claims (valid), and the scheduler configuration `tidal config scheduler` prints', async () => {
    for (const f of ['double11.yaml', 'daily-tidal.yaml']) {
      expect(readFileSync(join(BASE, 'profiles', f), 'utf8'), `deploy/base/profiles/${f} differs from profiles/${f}: copy it again`).toBe(readFileSync(join(REPO_ROOT, 'profiles', f), 'utf8'));
      expect(await runTidal(['profile', 'validate', join(BASE, 'profiles', f)])).toMatch(/valid profile/);
    }
    // The defaults are the shipped deploy: no flags but --full.
    const generated = await runTidal(['config', 'scheduler', '--full']);
    expect(readFileSync(join(REPO_ROOT, 'deploy/kube-scheduler/scheduler-config.yaml'), 'utf8'), 'regenerate deploy/kube-scheduler/scheduler-config.yaml (see deploy/README.md)').toBe(generated);
  });

  it('renders with kustomize: the objects the issue lists, nothing else', async () => {
    const docs = parseAllDocuments(await kubectl(['kustomize', BASE])).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    const names = docs.map((d) => `${d.kind}/${d.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    expect(names).toEqual(
      [
        'ClusterRole/tidal-descheduler',
        'ClusterRole/tidal-extender',
        'ClusterRoleBinding/tidal-descheduler',
        'ClusterRoleBinding/tidal-extender',
        'ConfigMap/tidal-config',
        'ConfigMap/tidal-profiles',
        'Deployment/tidal-descheduler',
        'Deployment/tidal-extender',
        'Namespace/tidal-system',
        'NetworkPolicy/tidal-descheduler',
        'NetworkPolicy/tidal-extender',
        'Role/tidal-descheduler-leader-election',
        'Role/tidal-extender-leader-election',
        'RoleBinding/tidal-descheduler-leader-election',
        'RoleBinding/tidal-extender-leader-election',
        'Service/tidal-extender',
        'ServiceAccount/tidal-descheduler',
        'ServiceAccount/tidal-extender',
      ].sort(),
    );
    for (const d of docs) if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind)) expect(d.metadata.namespace).toBe(NS);
  });

  it('passes a server-side dry run (the namespace existing), and creates nothing', async () => {
    await kubectl(['create', 'namespace', NS]);
    const out = await kubectl(['apply', '--server-side', '--dry-run=server', '-k', BASE]);
    expect(out.trim().split('\n').filter((l) => l.endsWith('serverside-applied (server dry run)'))).toHaveLength(18);
    expect((await k.apps.listNamespacedDeployment({ namespace: NS })).items).toEqual([]);
    expect((await k.core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => c.metadata?.name)).toEqual(['kube-root-ca.crt']);
  });

  it('applies for real, again without changes, and both Deployments roll out under Pod Security "restricted"', async () => {
    await kubectl(['apply', '--server-side', '-k', BASE]);
    const again = await kubectl(['apply', '--server-side', '-k', BASE]);
    expect(again.trim().split('\n').filter((l) => l.endsWith('serverside-applied'))).toHaveLength(18);
    const ns = await k.core.readNamespace({ name: NS });
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const name of ['tidal-extender', 'tidal-descheduler']) {
      const d = await waitFor(`${name} available (2 replicas)`, async () => {
        const dep = await k.apps.readNamespacedDeployment({ name, namespace: NS });
        return dep.status?.availableReplicas === 2 ? dep : undefined;
      }, { timeoutMs: 90_000 });
      expect(d.spec?.template.spec?.serviceAccountName).toBe(name);
    }
    const pods = await waitForPods(k, NS, 'app.kubernetes.io/part-of=tidal', '4 Tidal pods Running', (ps) => (ps.length === 4 && ps.every(isRunning) ? ps : undefined));
    // The extender replicas are spread over the two nodes.
    expect(new Set(pods.filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'tidal-extender').map((p) => p.spec?.nodeName)).size).toBe(2);
    const svc = await k.core.readNamespacedService({ name: 'tidal-extender', namespace: NS });
    expect(svc.spec?.ports?.[0]?.port).toBe(8443);
    // No PodDisruptionBudget for the extender: only its leader is Ready (deploy/base/extender.yaml).
    await expect(k.policy.readNamespacedPodDisruptionBudget({ name: 'tidal-extender', namespace: NS })).rejects.toThrow();
  });

  it('grants least privilege (SubjectAccessReviews as the ServiceAccounts)', async () => {
    const can = async (sa: string, attrs: { verb: string; resource: string; group?: string; subresource?: string; namespace?: string; name?: string }): Promise<boolean> => {
      const r = await k.authz.createSubjectAccessReview({
        body: { spec: { user: `system:serviceaccount:${NS}:${sa}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'], resourceAttributes: { group: attrs.group ?? '', ...attrs } } },
      });
      return r.status?.allowed === true;
    };
    const table: Array<[string, Parameters<typeof can>[1], boolean]> = [
      ['tidal-extender', { verb: 'watch', resource: 'nodes' }, true],
      ['tidal-extender', { verb: 'list', resource: 'pods' }, true],
      ['tidal-extender', { verb: 'watch', resource: 'poddisruptionbudgets', group: 'policy' }, true],
      ['tidal-extender', { verb: 'list', resource: 'pods', group: 'metrics.k8s.io' }, true],
      ['tidal-extender', { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: 'default' }, false],
      ['tidal-extender', { verb: 'patch', resource: 'pods', namespace: 'default' }, false],
      // The bind verb (bindVerb: bind): the extender creates Bindings, and nothing else.
      ['tidal-extender', { verb: 'create', resource: 'pods', subresource: 'binding', namespace: 'default' }, true],
      ['tidal-extender', { verb: 'create', resource: 'bindings', namespace: 'default' }, false],
      ['tidal-extender', { verb: 'update', resource: 'pods', namespace: 'default' }, false],
      ['tidal-extender', { verb: 'delete', resource: 'pods', namespace: 'default' }, false],
      ['tidal-descheduler', { verb: 'create', resource: 'pods', subresource: 'binding', namespace: 'default' }, false],
      ['tidal-descheduler', { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: 'default' }, true],
      ['tidal-descheduler', { verb: 'patch', resource: 'pods', namespace: 'default' }, true],
      ['tidal-descheduler', { verb: 'create', resource: 'events', namespace: 'default' }, true],
      ['tidal-descheduler', { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NS, name: 'tidal-descheduler' }, true],
      ['tidal-descheduler', { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NS, name: 'kube-scheduler' }, false],
      ['tidal-descheduler', { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name: 'tidal-descheduler' }, false],
      ['tidal-descheduler', { verb: 'delete', resource: 'pods', namespace: 'default' }, false],
      ['tidal-descheduler', { verb: 'get', resource: 'secrets', namespace: NS }, false],
      ['tidal-descheduler', { verb: 'update', resource: 'nodes' }, false],
    ];
    const got = await Promise.all(table.map(async ([sa, a]) => `${sa} ${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` ${a.name}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}: ${await can(sa, a)}`));
    expect(got).toEqual(table.map(([sa, a, allowed]) => `${sa} ${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` ${a.name}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}: ${allowed}`));
  });

  it('tidal extender and tidal deschedule work with the ServiceAccounts\' own tokens and the shipped config', async () => {
    const config = join(BASE, 'config/tidal-config.yaml');
    const ext = await TidalExtender.start(plane(), { name: 'sa-extender', profile: join(BASE, 'profiles/double11.yaml'), config, kubeconfig: await serviceAccountKubeconfig('tidal-extender') });
    await ext.waitReady(60_000);
    expect(readFileSync(ext.logPath, 'utf8')).not.toMatch(/forbidden|\b403\b/i);

    // The descheduler, leader-elected in tidal-system, with a profile that leaves no batch room.
    const work = 'dep-work';
    await plane().ensureNamespace(work);
    const rec = await PodRecorder.start(k, work);
    try {
      const t = nativeTemplate({ cls: 'batch', cpu: '500m', memory: '256Mi', labels: { app: 'victim' } });
      await createPod(k, work, 'victim', t);
      await waitForPods(k, work, 'app=victim', 'victim Running', (ps) => ps.length === 1 && ps.every(isRunning));
      // The shipped config's base is time-sharing, the forecast mode: it reads a profile's dated windows
      // (an operator's caps) and not its default level, so "no batch room" is a dated window from now.
      const now = Date.now();
      const profile = writeProfile(
        plane(),
        'no-batch.yaml',
        profileYaml('e2e-no-batch', { batchShare: 1, onlineHeadroom: 0 }, [{ name: 'closed', start: now - 60_000, end: now + 3_600_000, batchShare: 0, onlineHeadroom: 0, drainLeadTime: '0s', ramp: '0s' }]),
      );
      const d = await TidalDescheduler.start(plane(), {
        name: 'sa-descheduler',
        identity: 'sa-descheduler-0',
        profile,
        config,
        interval: '2s',
        kubeconfig: await serviceAccountKubeconfig('tidal-descheduler'),
        args: ['--evict-bare-pods', '--lease-namespace', NS],
      });
      await waitFor('the victim evicted', async () => rec.all().some((h) => h.deleted), { timeoutMs: 60_000, intervalMs: 250 });
      const h = rec.all()[0]!;
      expect(evictedByApi(h.pod)).toBe(true);
      expect(h.annotations['tidal.io/eviction-reason']).toMatch(/^peak-drain: /);
      // The descheduler records its Event after the eviction: on a loaded machine it can land after the pod has gone.
      const evs = await waitFor('the TidalEvicted event', async () => {
        const e = await listEvents(k, work, 'reason=TidalEvicted');
        return e.length > 0 ? e : undefined;
      }, { timeoutMs: 15_000, intervalMs: 250 });
      expect(evs.map((e) => e.involvedObject.name)).toEqual(['victim']);
      const lease = await k.coordination.readNamespacedLease({ name: 'tidal-descheduler', namespace: NS });
      expect(lease.spec?.holderIdentity).toBe('sa-descheduler-0');
      expect(d.tail(200)).not.toMatch(/forbidden|\b403\b/i);
      await d.stop();
      await ext.stop();
    } finally {
      rec.stop();
    }
  });
});

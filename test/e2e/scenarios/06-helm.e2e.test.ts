// Scenario 6, the Helm chart (charts/tidal): Helm v4 built from its Go module (build-helm.sh, cached
// next to the control plane) lints the chart; `helm template` with the defaults renders the same
// objects as `kubectl kustomize deploy/base` (labels Helm adds and the ConfigMap hash suffixes aside);
// the chart's copies of the profiles and TidalConfig are the sources; and `helm install` on a real
// apiserver rolls out as scenario 5's kustomize apply does, upgrades in place and uninstalls cleanly.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { isRunning, type Kube, kube, waitForPods } from '../lib/kube.ts';
import { REPO_ROOT, runTidal } from '../lib/tidal.ts';

const run = promisify(execFile);
const skip = e2eSkipReason();
const CHART = join(REPO_ROOT, 'charts/tidal');
const BASE = join(REPO_ROOT, 'deploy/base');
const NS = 'tidal-system';

type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

/** Helm's own bookkeeping and kustomize's ConfigMap name hashes, removed so that the rest compares. */
function normalize(text: string): Obj[] {
  const objs = parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
  const json = JSON.stringify(objs, (key, value) => {
    if (key === 'labels' && value && typeof value === 'object') {
      const { 'app.kubernetes.io/managed-by': _m, 'app.kubernetes.io/instance': _i, 'helm.sh/chart': _c, ...rest } = value as Record<string, string>;
      return rest;
    }
    if (key === 'annotations' && value && typeof value === 'object') {
      const { 'checksum/config': _s, ...rest } = value as Record<string, string>;
      return Object.keys(rest).length > 0 ? rest : undefined;
    }
    return value;
  }).replace(/"(tidal-(?:profiles|config|scheduler-config))-[a-z0-9]{10}"/g, '"$1"');
  return (JSON.parse(json) as Obj[]).sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

describe.skipIf(skip !== undefined)('scenario 6: the Helm chart', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let helmBin = '';

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  async function tool(bin: string, args: string[]): Promise<string> {
    try {
      const { stdout } = await run(bin, args, { timeout: 120_000, maxBuffer: 16 << 20, env: { ...process.env, HELM_CACHE_HOME: join(plane().dir, 'helm/cache'), HELM_CONFIG_HOME: join(plane().dir, 'helm/config'), HELM_DATA_HOME: join(plane().dir, 'helm/data') } });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${bin} ${args.join(' ')}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }
  const helm = (args: string[]) => tool(helmBin, args);
  const helmOnCluster = (args: string[]) => helm([...args, '--kubeconfig', plane().kubeconfigPath]);
  const kubectl = (args: string[]) => tool(join(plane().binDir, 'kubectl'), ['--kubeconfig', plane().kubeconfigPath, ...args]);

  beforeAll(async () => {
    // Builds Helm on first use (minutes), then reuses the cached binary.
    const { stdout } = await run('bash', [join(REPO_ROOT, 'test/e2e/controlplane/build-helm.sh')], { timeout: 1_500_000, maxBuffer: 16 << 20 });
    helmBin = stdout.trim().split('\n').at(-1)!;
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'helm-a', cpu: '8', memory: '16Gi' },
      { name: 'helm-b', cpu: '8', memory: '16Gi' },
    ]);
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('is Helm v4 and lints clean', async () => {
    expect(await helm(['version', '--short'])).toMatch(/^v4\./);
    const out = await helm(['lint', '--strict', CHART]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('ships copies of the profiles and the TidalConfig identical to their sources', () => {
    for (const f of readdirSync(join(REPO_ROOT, 'profiles')).filter((f) => f.endsWith('.yaml'))) {
      expect(readFileSync(join(CHART, 'files/profiles', f), 'utf8'), `charts/tidal/files/profiles/${f} differs from profiles/${f}`).toBe(readFileSync(join(REPO_ROOT, 'profiles', f), 'utf8'));
    }
    expect(readFileSync(join(CHART, 'files/tidal-config.yaml'), 'utf8')).toBe(readFileSync(join(BASE, 'config/tidal-config.yaml'), 'utf8'));
  });

  it('renders the same objects as the kustomize base', async () => {
    const chart = normalize(await helm(['template', 'tidal', CHART, '--namespace', NS, '--set', 'createNamespace=true']));
    const base = normalize(await kubectl(['kustomize', BASE]));
    expect(chart.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(base.map((o) => `${o.kind}/${o.metadata.name}`));
    for (let i = 0; i < base.length; i++) expect(chart[i], `${base[i]!.kind}/${base[i]!.metadata.name}`).toEqual(base[i]);
  });

  it('mode=second-scheduler renders the same objects as deploy/second-scheduler; an unknown mode is refused', async () => {
    const chart = normalize(await helm(['template', 'tidal', CHART, '--namespace', NS, '--set', 'createNamespace=true', '--set', 'mode=second-scheduler']));
    const overlay = normalize(await kubectl(['kustomize', join(REPO_ROOT, 'deploy/second-scheduler')]));
    expect(chart.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(overlay.map((o) => `${o.kind}/${o.metadata.name}`));
    for (let i = 0; i < overlay.length; i++) expect(chart[i], `${overlay[i]!.kind}/${overlay[i]!.metadata.name}`).toEqual(overlay[i]);
    expect(chart.some((o) => o.kind === 'Deployment' && o.metadata.name === 'tidal-scheduler')).toBe(true);
    // Another namespace and port: the configuration follows (Service host, Lease namespace).
    const other = normalize(await helm(['template', 'tidal', CHART, '--namespace', 'tidal', '--set', 'mode=second-scheduler', '--set', 'extender.port=9443', '--set', 'secondScheduler.image.tag=v1.36.4']));
    const cm = other.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'tidal-scheduler-config') as unknown as { data: Record<string, string> };
    expect(cm.data['config.yaml']).toContain('urlPrefix: "https://tidal-extender.tidal.svc:9443/scheduler"');
    expect(cm.data['config.yaml']).toContain('resourceNamespace: tidal\n');
    const dep = other.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tidal-scheduler') as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(dep.spec.template.spec.containers[0]!.image).toBe('registry.k8s.io/kube-scheduler:v1.36.4');
    await expect(helm(['template', 'tidal', CHART, '--set', 'mode=sidecar'])).rejects.toThrow(/mode must be in-place or second-scheduler \(got "sidecar"\)/);
  });

  it('renders each TLS source: existingSecret (nothing), certManager (two Certificates), selfSigned (a hook Job with least-privilege RBAC)', async () => {
    type Tls = Obj & { spec?: Record<string, unknown>; rules?: unknown; metadata: Obj['metadata'] & { annotations?: Record<string, string> } };
    const render = async (...sets: string[]) => parseAllDocuments(await helm(['template', 'tidal', CHART, '--namespace', 'tidal', ...sets.flatMap((x) => ['--set', x])])).map((d) => d.toJS() as Tls).filter((o) => o !== null);
    const kinds = (objs: Tls[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);

    const existing = await render();
    expect(kinds(existing).filter((k) => /Certificate|Job|tls-bootstrap/.test(k))).toEqual([]);

    const cm = await render('tls.source=certManager');
    const certs = cm.filter((o) => o.kind === 'Certificate');
    expect(certs.map((c) => [c.metadata.name, (c.spec as { secretName: string }).secretName, (c.spec as { usages: string[] }).usages])).toEqual([
      ['tidal-extender', 'tidal-extender-tls', ['server auth']],
      ['tidal-scheduler-client', 'tidal-scheduler-client', ['client auth']],
    ]);
    expect((certs[0]!.spec as { dnsNames: string[] }).dnsNames).toEqual(['tidal-extender.tidal.svc', 'tidal-extender.tidal.svc.cluster.local']);
    expect((certs[1]!.spec as { commonName: string }).commonName).toBe('system:kube-scheduler');

    const ss = await render('tls.source=selfSigned', 'image.repository=registry.example.com/tidal', 'image.tag=9.9.9');
    expect(ss.filter((o) => o.kind === 'Certificate')).toEqual([]);
    const hooks = ss.filter((o) => o.metadata.annotations?.['helm.sh/hook']);
    expect(kinds(hooks).sort()).toEqual(['Job/tidal-tls-bootstrap', 'Role/tidal-tls-bootstrap', 'RoleBinding/tidal-tls-bootstrap', 'ServiceAccount/tidal-tls-bootstrap']);
    for (const h of hooks) {
      expect(h.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(h.metadata.annotations!['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
    }
    // Least privilege: create Secrets (create cannot be limited by name), read only the two it makes.
    expect(hooks.find((o) => o.kind === 'Role')!.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['tidal-extender-tls', 'tidal-scheduler-client'], verbs: ['get'] },
    ]);
    const job = hooks.find((o) => o.kind === 'Job') as unknown as { spec: { template: { spec: { serviceAccountName: string; containers: { image: string; args: string[]; securityContext: Record<string, unknown> }[] } } } };
    const c = job.spec.template.spec.containers[0]!;
    expect(job.spec.template.spec.serviceAccountName).toBe('tidal-tls-bootstrap');
    expect(c.image).toBe('registry.example.com/tidal:9.9.9');
    expect(c.args).toEqual([
      'certs',
      'bootstrap',
      '--namespace=tidal',
      '--serving-secret=tidal-extender-tls',
      '--client-secret=tidal-scheduler-client',
      '--dns-name=tidal-extender.tidal.svc',
      '--dns-name=tidal-extender.tidal.svc.cluster.local',
      '--days=825',
    ]);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    // The command the Job runs exists with those flags.
    expect(await runTidal(['certs', 'bootstrap', '--help'])).toMatch(/--serving-secret <name>[\s\S]*--client-secret <name>[\s\S]*--dns-name <name>[\s\S]*--days <n>/);
  });

  it('renders its values: cert-manager TLS, no NetworkPolicy, another profile, replicas; refuses an unknown TLS source', async () => {
    const objs = normalize(
      await helm(['template', 'tidal', CHART, '--namespace', 'tidal', '--set', 'tls.source=certManager', '--set', 'networkPolicy.enabled=false', '--set', 'profile=daily-tidal.yaml', '--set', 'extender.replicas=3', '--set', 'image.repository=registry.example.com/tidal', '--set', 'image.tag=9.9.9']),
    );
    const cert = objs.find((o) => o.kind === 'Certificate') as unknown as { spec: { secretName: string; dnsNames: string[] } };
    expect(cert.spec.secretName).toBe('tidal-extender-tls');
    expect(cert.spec.dnsNames).toContain('tidal-extender.tidal.svc');
    expect(objs.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
    const ext = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tidal-extender') as unknown as { spec: { replicas: number; template: { spec: { containers: { image: string; args: string[] }[] } } } };
    expect(ext.spec.replicas).toBe(3);
    expect(ext.spec.template.spec.containers[0]!.image).toBe('registry.example.com/tidal:9.9.9');
    expect(ext.spec.template.spec.containers[0]!.args).toContain('--profile=/etc/tidal/profiles/daily-tidal.yaml');
    await expect(helm(['template', 'tidal', CHART, '--set', 'tls.source=manual'])).rejects.toThrow(/tls.source must be existingSecret, certManager or selfSigned \(got "manual"\)/);
  });

  it('installs on a real apiserver and rolls out under Pod Security "restricted", upgrades unchanged, uninstalls', async () => {
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
    await helmOnCluster(['install', 'tidal', CHART, '--namespace', NS, '--wait=false']);
    for (const name of ['tidal-extender', 'tidal-descheduler']) {
      const d = await waitFor(`${name} available (2 replicas)`, async () => {
        const dep = await k.apps.readNamespacedDeployment({ name, namespace: NS });
        return dep.status?.availableReplicas === 2 ? dep : undefined;
      }, { timeoutMs: 90_000 });
      expect(d.spec?.template.spec?.serviceAccountName).toBe(name);
      expect(d.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    }
    const pods = await waitForPods(k, NS, 'app.kubernetes.io/part-of=tidal', '4 Tidal pods Running', (ps) => (ps.length === 4 && ps.every(isRunning) ? ps : undefined));
    expect(new Set(pods.filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'tidal-extender').map((p) => p.spec?.nodeName)).size).toBe(2);
    const svc = await k.core.readNamespacedService({ name: 'tidal-extender', namespace: NS });
    expect(svc.spec?.ports?.[0]?.port).toBe(8443);
    // No PodDisruptionBudget for the extender: only its leader is Ready (deploy/base/extender.yaml).
    await expect(k.policy.readNamespacedPodDisruptionBudget({ name: 'tidal-extender', namespace: NS })).rejects.toThrow();
    const policies = await plane().kubeConfig().makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: NS });
    expect(policies.items.map((p) => p.metadata?.name).sort()).toEqual(['tidal-descheduler', 'tidal-extender']);

    const before = (await k.apps.readNamespacedDeployment({ name: 'tidal-extender', namespace: NS })).metadata?.generation;
    await helmOnCluster(['upgrade', 'tidal', CHART, '--namespace', NS, '--wait=false']);
    expect((await k.apps.readNamespacedDeployment({ name: 'tidal-extender', namespace: NS })).metadata?.generation, 'an unchanged upgrade rolls nothing').toBe(before);
    expect(await helmOnCluster(['status', 'tidal', '--namespace', NS])).toMatch(/REVISION: 2/);

    await helmOnCluster(['uninstall', 'tidal', '--namespace', NS, '--wait']);
    expect((await k.apps.listNamespacedDeployment({ namespace: NS })).items).toEqual([]);
    const roles = await plane().kubeConfig().makeApiClient(RbacAuthorizationV1Api).listClusterRole();
    expect(roles.items.map((r) => r.metadata?.name).filter((n) => n?.startsWith('tidal-'))).toEqual([]);
  });

  it('installs in second-scheduler mode with the self-signed bootstrap: the hook Job runs before the Deployments, its objects go once it succeeded', async () => {
    const ns = 'tidal-ss';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    // kwok completes the Job's pod without running it: this checks the hook mechanics (order, RBAC
    // objects accepted, cleanup); scenario 8 runs `tidal certs bootstrap` itself.
    await helmOnCluster(['install', 'tidal-ss', CHART, '--namespace', ns, '--set', 'mode=second-scheduler', '--set', 'tls.source=selfSigned', '--wait=false', '--timeout', '2m']);
    await waitFor('tidal-scheduler available (2 replicas)', async () => (await k.apps.readNamespacedDeployment({ name: 'tidal-scheduler', namespace: ns })).status?.availableReplicas === 2, { timeoutMs: 90_000 });
    await expect(k.batch.readNamespacedJob({ name: 'tidal-tls-bootstrap', namespace: ns })).rejects.toThrow();
    await expect(k.core.readNamespacedServiceAccount({ name: 'tidal-tls-bootstrap', namespace: ns })).rejects.toThrow();
    const rbac = plane().kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    expect((await rbac.readNamespacedRoleBinding({ name: 'tidal-scheduler-extension-apiserver-authentication-reader', namespace: 'kube-system' })).subjects?.[0]).toMatchObject({ name: 'tidal-scheduler', namespace: ns });
    await helmOnCluster(['uninstall', 'tidal-ss', '--namespace', ns, '--wait']);
    await expect(rbac.readNamespacedRoleBinding({ name: 'tidal-scheduler-extension-apiserver-authentication-reader', namespace: 'kube-system' })).rejects.toThrow();
  });
});

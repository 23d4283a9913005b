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
import { REPO_ROOT } from '../lib/tidal.ts';

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
  }).replace(/"(tidal-(?:profiles|config))-[a-z0-9]{10}"/g, '"$1"');
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
    await expect(helm(['template', 'tidal', CHART, '--set', 'tls.source=manual'])).rejects.toThrow(/tls.source must be existingSecret or certManager \(got "manual"\)/);
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
});

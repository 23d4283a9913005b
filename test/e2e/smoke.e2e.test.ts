// Smoke test of the e2e tier itself: a real control plane with the default scheduler (no
// extender) and kwok fake nodes runs a Deployment, honours evictions and PDBs, and survives an
// apiserver restart.
import { AppsV1Api, BatchV1Api, CoreV1Api, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiserverGet,
  type ControlPlane,
  e2eSkipReason,
  K8S_VERSION,
  RUN_DURATION_ANNOTATION,
  startControlPlane,
  waitFor,
} from './harness/index.ts';

const skip = e2eSkipReason();
const NS = 'smoke';
const APP = 'smoke-web';
const REPLICAS = 3;
const NODES = ['kwok-a', 'kwok-b'];

describe.skipIf(skip !== undefined)('e2e smoke: real control plane with kwok nodes', () => {
  let cp: ControlPlane | undefined;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let policy: PolicyV1Api;
  let batch: BatchV1Api;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  const appPods = async (): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${APP}` })).items;

  /** Names of the app's pods once exactly `count` are Running on the fake nodes, not being deleted. */
  const runningPods = (count: number): Promise<string[]> =>
    waitFor(`${count} Running ${APP} pods on the fake nodes`, async () => {
      const pods = await appPods();
      const running = pods.filter(
        (p) =>
          p.status?.phase === 'Running' &&
          !p.metadata?.deletionTimestamp &&
          NODES.includes(p.spec?.nodeName ?? ''),
      );
      return pods.length === count && running.length === count
        ? running.map((p) => p.metadata?.name ?? '')
        : undefined;
    }, { timeoutMs: 90_000 });

  const evict = (name: string): Promise<unknown> =>
    core.createNamespacedPodEviction({
      name,
      namespace: NS,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } },
    });

  beforeAll(async () => {
    cp = await startControlPlane();
    const kc = cp.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    policy = kc.makeApiClient(PolicyV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    await cp.addNodes([
      { name: NODES[0]!, cpu: '8', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
      { name: NODES[1]!, cpu: '8', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': 'zone-b' } },
    ]);
    await cp.ensureNamespace(NS);
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('serves the built Kubernetes version and has Ready zone-labelled fake nodes', async () => {
    const version = await apiserverGet(plane(), '/version');
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body).gitVersion).toBe(K8S_VERSION);

    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(NODES);
    for (const n of nodes) {
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.metadata?.labels?.['topology.kubernetes.io/zone']).toMatch(/^zone-[ab]$/);
      expect(n.status?.allocatable?.cpu).toBe('8');
    }
  });

  it('runs a Deployment on the fake nodes', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: APP },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: APP } },
          template: {
            metadata: { labels: { app: APP } },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'registry.k8s.io/pause:3.10',
                  resources: { requests: { cpu: '100m', memory: '64Mi' } },
                },
              ],
            },
          },
        },
      },
    });
    const names = await runningPods(REPLICAS);
    expect(names).toHaveLength(REPLICAS);
    const pods = await appPods();
    for (const p of pods) {
      expect(p.status?.podIP).toBeTruthy();
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('evicts a pod and the ReplicaSet replaces it', async () => {
    const before = await runningPods(REPLICAS);
    const victim = before[0]!;
    await evict(victim);
    const after = await waitFor('the evicted pod to be replaced', async () => {
      const names = await runningPods(REPLICAS);
      return names.includes(victim) ? undefined : names;
    }, { timeoutMs: 90_000 });
    expect(after).not.toContain(victim);
    expect(after).toHaveLength(REPLICAS);
  });

  it('refuses an eviction with 429 when a PDB allows no disruption', async () => {
    await policy.createNamespacedPodDisruptionBudget({
      namespace: NS,
      body: {
        metadata: { name: APP },
        spec: { minAvailable: REPLICAS, selector: { matchLabels: { app: APP } } },
      },
    });
    // The disruption controller has to observe the PDB before it is meaningful.
    await waitFor('PDB status from the disruption controller', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ name: APP, namespace: NS });
      const s = pdb.status;
      return s?.observedGeneration === pdb.metadata?.generation && s?.currentHealthy === REPLICAS && s?.disruptionsAllowed === 0;
    });
    const [victim] = await runningPods(REPLICAS);
    let code: number | undefined;
    try {
      await evict(victim!);
    } catch (err) {
      code = (err as { code?: number }).code;
    }
    expect(code).toBe(429);
    // And the pod is still there.
    expect(await runningPods(REPLICAS)).toContain(victim);
  });

  it('runs a Job pod for its run-duration annotation, then completes the Job', async () => {
    const started = Date.now();
    await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: 'smoke-batch' },
        spec: {
          template: {
            metadata: { labels: { app: 'smoke-batch' }, annotations: { [RUN_DURATION_ANNOTATION]: '2s' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      },
    });
    await waitFor('the Job to succeed', async () => {
      const job = await batch.readNamespacedJob({ name: 'smoke-batch', namespace: NS });
      return job.status?.succeeded === 1;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });

  it('answers again after an apiserver restart, with its state kept in etcd', async () => {
    await plane().restartApiserver();
    const readyz = await apiserverGet(plane(), '/readyz');
    expect(readyz.status).toBe(200);
    expect(await runningPods(REPLICAS)).toHaveLength(REPLICAS);
    const pdb = await policy.readNamespacedPodDisruptionBudget({ name: APP, namespace: NS });
    expect(pdb.spec?.minAvailable).toBe(REPLICAS);
  });
});

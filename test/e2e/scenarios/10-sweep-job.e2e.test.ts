// Scenario 10, a sweep fanned out on Kubernetes: `tidal sweep emit-job` writes an Indexed Job (one
// shard per completion index) and its ConfigMap; both pass a server-side dry run, and applied for
// real, the Job controller makes one pod per index with the index in JOB_COMPLETION_INDEX, each
// running its own shard against the shared results claim, and the Job completes once every index
// has. The merge Job passes a dry run too.
// kwok runs no containers, so the shards' own work is proven elsewhere: test/unit/package runs the
// same `sweep run --shard K --shards N` and `sweep merge` from the installed package.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import { kubectl as kubectlIn } from '../lib/deploy.ts';
import { type Kube, kube, waitForPods } from '../lib/kube.ts';
import { REPO_ROOT, runTidal } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NS = 'sims';
const NAME = 'week';
const SWEEP = join(REPO_ROOT, 'simulator/scenarios/sweep.yaml');

describe.skipIf(skip !== undefined)('scenario 10: a sweep as an Indexed Job', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  const kubectl = (args: string[]) => kubectlIn(plane(), args);

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: 'sim-a', cpu: '8', memory: '32Gi' },
      { name: 'sim-b', cpu: '8', memory: '32Gi' },
    ]);
    await cp.ensureNamespace(NS);
    // The results claim, bound to a volume made for it (no provisioner here; kwok mounts nothing).
    await k.core.createPersistentVolume({
      body: {
        metadata: { name: 'sweep-results' },
        spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany'], hostPath: { path: '/srv/sweep-results' }, storageClassName: '' },
      },
    });
    await k.core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: { metadata: { name: 'sweep-results' }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } }, storageClassName: '', volumeName: 'sweep-results' } },
    });
  });

  afterAll(async () => {
    await cp?.stop();
  });

  const emit = async (extra: string[] = []) => {
    const out = join(plane().dir, `sweep-job${extra.length > 0 ? '-merge' : ''}.yaml`);
    await runTidal(['sweep', 'emit-job', SWEEP, '--image', 'tidal:0.1.0', '--results-claim', 'sweep-results', '--shards', '3', '--parallelism', '2', '--namespace', NS, '--name', NAME, '--out', out, ...extra]);
    return out;
  };

  it('passes a server-side dry run and creates nothing', async () => {
    const file = await emit();
    const kinds = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(['ConfigMap', 'Job']);
    const out = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', file]);
    expect(out).toContain(`configmap/${NAME}-sweep serverside-applied (server dry run)`);
    expect(out).toContain(`job.batch/${NAME} serverside-applied (server dry run)`);
    expect((await k.batch.listNamespacedJob({ namespace: NS })).items).toEqual([]);
  });

  it('applied, the Job controller runs one pod per completion index, each told its index, and the Job completes', async () => {
    await kubectl(['apply', '--server-side', '-f', await emit()]);
    // kwok ends a Job's pods as soon as they run, so every index runs and the Job completes.
    const pods = await waitForPods(
      k,
      NS,
      `batch.kubernetes.io/job-name=${NAME}`,
      'three shard pods succeeded',
      (ps) => {
        if (ps.length === 3 && ps.every((p) => p.status?.phase === 'Succeeded')) return ps;
        // Said in the timeout's message: where each pod is.
        throw new Error(ps.map((p) => `${p.metadata!.name} ${p.status?.phase} ${(p.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.message ?? ''}`).join('; ')}`).join(' | ') || 'no pods');
      },
      120_000,
    );
    const index = (p: (typeof pods)[number]) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
    expect(pods.map(index).sort()).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const c = p.spec!.containers[0]!;
      expect(c.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX'), 'the Job controller sets JOB_COMPLETION_INDEX').toBeDefined();
      expect(c.args).toEqual(['sweep', 'run', '/sweep/sweep.yaml', '--out', `/results/${NAME}`, '--shard', '$(JOB_COMPLETION_INDEX)', '--shards', '3', '--workers', '1']);
      expect(p.spec!.volumes!.find((v) => v.name === 'results')?.persistentVolumeClaim?.claimName).toBe('sweep-results');
    }
    const job = await waitFor('the Job complete', async () => {
      const j = await k.batch.readNamespacedJob({ name: NAME, namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    }, { timeoutMs: 60_000 });
    expect(job.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
  });

  it('the merge Job passes a server-side dry run', async () => {
    const out = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', await emit(['--merge'])]);
    expect(out).toContain(`job.batch/${NAME}-merge serverside-applied (server dry run)`);
  });
});

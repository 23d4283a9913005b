// Scenario 7, calibration: does the simulator place pods where the real kube-scheduler does? Three times
// on a fresh control plane of kwok nodes in three shapes and three zones, the same workload (online
// Deployments scaled one replica at a time, batch Jobs whose pods are created together: bursts, four
// request sizes each): with kube-scheduler alone, with kube-scheduler calling Tidal's extender as it
// runs by default (the forecast mode), and with the extender in its timetable mode (--timetable). Each
// run is recorded with `tidal trace record` (pods pinned where they were bound, in the order
// kube-scheduler's Scheduled events say it bound them) and judged with `tidal simulate --calibrate`:
// kube-default against the first, time-sharing against the second, time-sharing-timetable against the
// third. The share asserted is the bar (see AGREEMENT below and docs/calibration.md); the
// confusion summary is printed either way.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type ControlPlane, e2eSkipReason, type FakeNodeSpec, startControlPlane } from '../harness/index.ts';
import { RUN_DURATION_ANNOTATION } from '../harness/kwok-stages.ts';
import { batchTemplate, hasVerdict, type Kube, kube, nativeTemplate, waitForPods } from '../lib/kube.ts';
import { profileYaml, runTidal, startTidalScheduling, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();

const NS = 'calib';
const SHAPES = [
  { cpu: '4', memory: '8Gi' },
  { cpu: '8', memory: '16Gi' },
  { cpu: '16', memory: '32Gi' },
];
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
/** 9 nodes: every shape in every zone. */
const NODES: FakeNodeSpec[] = SHAPES.flatMap((s, i) => ZONES.map((z, j) => ({ name: `calib-${i}${j}`, ...s, labels: { 'topology.kubernetes.io/zone': z } })));

interface Online {
  kind: 'deployment';
  name: string;
  cpu: string;
  memory: string;
  replicas: number;
}
interface Batch {
  kind: 'job';
  name: string;
  milliCpu: number;
  memory: string;
  /** Pods created together (parallelism = completions). */
  burst: number;
}
const WORKLOAD: Array<Online | Batch> = [
  { kind: 'deployment', name: 'web', cpu: '500m', memory: '512Mi', replicas: 6 },
  { kind: 'job', name: 'etl', milliCpu: 1000, memory: '2Gi', burst: 4 },
  { kind: 'deployment', name: 'api', cpu: '1', memory: '2Gi', replicas: 5 },
  { kind: 'job', name: 'train', milliCpu: 2000, memory: '4Gi', burst: 3 },
  { kind: 'deployment', name: 'cache', cpu: '250m', memory: '3Gi', replicas: 4 },
  { kind: 'job', name: 'sweep', milliCpu: 500, memory: '512Mi', burst: 6 },
  { kind: 'deployment', name: 'search', cpu: '2', memory: '1Gi', replicas: 3 },
];
const PODS = WORKLOAD.reduce((n, w) => n + (w.kind === 'job' ? w.burst : w.replicas), 0);

/**
 * The share of pods on the recorded node or one of the same score class that each run must reach: the
 * issue's bar, 95% (30 of 31 pods). Measured on this scenario (docs/calibration.md) with kube-scheduler's
 * default scores modelled (BalancedAllocation as 1.37 scores it, default PodTopologySpread, the
 * extender's wire score x weight) and the pods decided in the order kube-scheduler bound them (its
 * Scheduled events); before that order was read, same-second pods of different Deployments and Jobs were
 * put in an inferred order, which cost a pod in one run of three (93.5-96.8%).
 */
const AGREEMENT = { 'kube-default': 0.95, 'time-sharing': 0.95, 'time-sharing-timetable': 0.95 };

async function runWorkload(k: Kube, withTidal: boolean): Promise<void> {
  for (const w of WORKLOAD) {
    const labels = { app: w.name };
    if (w.kind === 'deployment') {
      await k.apps.createNamespacedDeployment({
        namespace: NS,
        body: { metadata: { name: w.name }, spec: { replicas: 0, selector: { matchLabels: labels }, template: nativeTemplate({ cls: 'online', cpu: w.cpu, memory: w.memory, labels }) } },
      });
      // One replica at a time, each bound before the next exists: the order the recording keeps.
      for (let n = 1; n <= w.replicas; n++) {
        await k.apps.patchNamespacedDeploymentScale({ name: w.name, namespace: NS, body: { spec: { replicas: n } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        await waitForPods(k, NS, `app=${w.name}`, `${w.name}: ${n} pods with a verdict`, (ps) => ps.length === n && ps.every(hasVerdict));
      }
    } else {
      // Batch as each cluster's users write it: native requests for kube-scheduler alone, Tidal's
      // batch resources where the extender runs.
      // kwok ends a Job's pod after its run-duration: longer than the scenario, so all are recorded running.
      const annotations = { [RUN_DURATION_ANNOTATION]: '1h' };
      const t: V1PodTemplateSpec = withTidal
        ? batchTemplate({ batchMilliCpu: w.milliCpu, batchMemory: w.memory, labels, annotations, expectedRuntime: '1h', restartPolicy: 'Never' })
        : nativeTemplate({ cls: 'batch', cpu: `${w.milliCpu}m`, memory: w.memory, labels, annotations, restartPolicy: 'Never' });
      await k.batch.createNamespacedJob({ namespace: NS, body: { metadata: { name: w.name }, spec: { parallelism: w.burst, completions: w.burst, template: t } } });
      await waitForPods(k, NS, `app=${w.name}`, `${w.name}: ${w.burst} pods with a verdict`, (ps) => ps.length === w.burst && ps.every(hasVerdict));
    }
  }
}

function agreementOf(out: string, policy: string): number {
  const m = new RegExp(`^${policy}: ([0-9.]+)% of (\\d+) pods agree`, 'm').exec(out);
  if (!m) throw new Error(`no ${policy} line in:\n${out}`);
  expect(Number(m[2])).toBe(PODS);
  return Number(m[1]) / 100;
}

for (const run of [
  { policy: 'kube-default' as const, withTidal: false, timetable: false, title: 'kube-scheduler alone vs kube-default' },
  { policy: 'time-sharing' as const, withTidal: true, timetable: false, title: "kube-scheduler with Tidal's extender (the default, forecast mode) vs time-sharing" },
  { policy: 'time-sharing-timetable' as const, withTidal: true, timetable: true, title: "kube-scheduler with Tidal's extender --timetable vs time-sharing-timetable" },
]) {
  describe.skipIf(skip !== undefined)(`scenario 7: calibration, ${run.title}`, () => {
    let cp: ControlPlane | undefined;
    let profile = '';

    beforeAll(async () => {
      cp = await startControlPlane();
      await cp.addNodes(NODES);
      profile = writeProfile(cp, 'constant.yaml', profileYaml('calib-constant', { batchShare: 0.8, onlineHeadroom: 0 }));
      if (run.withTidal) await startTidalScheduling(cp, { profile, timetable: run.timetable });
      await cp.ensureNamespace(NS);
    });

    afterAll(async () => {
      await cp?.stop();
    });

    it(`places the recorded pods where the cluster did (at least ${AGREEMENT[run.policy] * 100}%)`, async () => {
      const k = kube(cp!);
      await runWorkload(k, run.withTidal);
      const trace = join(cp!.dir, `${run.policy}.jsonl`);
      await runTidal(['trace', 'record', '--kubeconfig', cp!.kubeconfigPath, '--out', trace]);
      // TIDAL_E2E_KEEP_TRACES=DIR keeps the recording and the profile, to calibrate again offline.
      const keep = process.env['TIDAL_E2E_KEEP_TRACES'];
      if (keep) {
        mkdirSync(keep, { recursive: true });
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        copyFileSync(trace, join(keep, `${run.policy}-${stamp}.jsonl`));
        copyFileSync(profile, join(keep, `${run.policy}-${stamp}.profile.yaml`));
      }
      const out = await runTidal(['simulate', '--calibrate', trace, '--profile', profile, '--policy', run.policy, '--no-progress']);
      console.log(`scenario 7, ${run.title}:\n${out}`);
      expect(agreementOf(out, run.policy)).toBeGreaterThanOrEqual(AGREEMENT[run.policy]);
    });
  });
}

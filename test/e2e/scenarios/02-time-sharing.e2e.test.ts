// Scenario 2, time-sharing on a real clock with short windows: a profile whose peak window opens about
// half a minute after the start, with a 15 s drain lead. Batch fills the night capacity through the
// extender; `tidal deschedule` drains it ahead of the peak through the Eviction API; the controller-manager
// recreates the evicted pods, which wait (the extender refuses them at the peak level); the online pods of
// the peak, which would not have fit beside the night's batch, all schedule. Asserted on the cluster: pod
// placements, the apiserver's DisruptionTarget condition on evicted pods and when they went, the
// ReplicaSet's replacements and their FailedScheduling events.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import {
  EVICTION_REASON,
  evictedByApi,
  isPending,
  isRunning,
  type Kube,
  kube,
  listEvents,
  listPods,
  nativeTemplate,
  podName,
  PodRecorder,
  podRequest,
  scaleUpOneByOne,
  unschedulableMessage,
  waitForFailedScheduling,
  waitForPods,
} from '../lib/kube.ts';
import { profileYaml, runTidal, startTidalScheduling, TidalDescheduler, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();
const NS = 'tide';
const NODES = ['tide-a', 'tide-b'];
const NODE_CPU = 4;
// Night (default level): batch may hold 75% of a node = 3 cpu. Peak: 25% = 1 cpu.
const NIGHT_SHARE = 0.75;
const PEAK_SHARE = 0.25;
const BATCH_REPLICAS = 7;
// From the profile's writing: time for the extender, the scheduler and the night fill.
// The drain starts FILL_MS after the profile is written, and the extender and descheduler start inside
// that time: on a busy 2-core machine each start took seconds, and 15 s left the fill short of its pods;
// with five sessions sharing 2 cores the setup took about 45 s, so 25 s let the drain lead begin before
// the night fill (2 pods at the peak capacity instead of 6).
const FILL_MS = 60_000;
const DRAIN_LEAD_MS = 15_000;

describe.skipIf(skip !== undefined)('scenario 2: time-sharing, drain ahead of a peak window', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let recorder: PodRecorder;
  let desched: TidalDescheduler;
  let drainAt = 0;
  let peakAt = 0;
  let original: string[] = [];
  let neverFitted = '';

  const batchPods = async () => (await listPods(k, NS, 'app=batch')).filter((p) => !p.metadata?.deletionTimestamp);

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes(NODES.map((name, i) => ({ name, cpu: String(NODE_CPU), memory: '16Gi', labels: { 'topology.kubernetes.io/zone': `zone-${'ab'[i]}` } })));
    await cp.ensureNamespace(NS);
    recorder = await PodRecorder.start(k, NS);
    drainAt = Date.now() + FILL_MS;
    peakAt = drainAt + DRAIN_LEAD_MS;
    const profile = writeProfile(
      cp,
      'tide.yaml',
      profileYaml('e2e-tide', { batchShare: NIGHT_SHARE, onlineHeadroom: 0 }, [
        { name: 'peak', start: peakAt, end: peakAt + 3_600_000, batchShare: PEAK_SHARE, onlineHeadroom: 0, drainLeadTime: `${DRAIN_LEAD_MS / 1000}s`, ramp: '0s' },
      ]),
    );
    // The timetable mode (--timetable): the profile's default level (the night capacity) and the peak
    // window's drain lead are the scenario; the default forecast mode does not read the default level.
    await startTidalScheduling(cp, { profile, timetable: true });
    desched = await TidalDescheduler.start(cp, { name: 'tidal-descheduler', profile, timetable: true, interval: '2s', args: ['--no-leader-elect'] });
    // Batch on native cpu requests: kube-scheduler counts them too, so online pods of the peak fit only
    // where batch has left. Class by label; replicas come back through the ReplicaSet.
    await k.apps.createNamespacedReplicaSet({
      namespace: NS,
      body: {
        metadata: { name: 'batch' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'batch' } },
          template: nativeTemplate({ cls: 'batch', cpu: '1', memory: '1Gi', labels: { app: 'batch' } }),
        },
      },
    });
  });

  afterAll(async () => {
    recorder?.stop();
    await cp?.stop();
  });

  it('night: batch fills the night capacity through the extender, and no more', async () => {
    await scaleUpOneByOne(k, NS, 'batch', 'app=batch', BATCH_REPLICAS);
    const pods = await batchPods();
    const running = pods.filter(isRunning);
    expect(running).toHaveLength(6);
    for (const node of NODES) {
      expect(running.filter((p) => p.spec?.nodeName === node).reduce((s, p) => s + podRequest(p, 'cpu'), 0)).toBe(NIGHT_SHARE * NODE_CPU);
    }
    const waiting = pods.find(isPending)!;
    expect(await waitForFailedScheduling(k, NS, podName(waiting), /tidal\/BatchCapacityFit/)).toMatch(/0\/2 nodes are available: 2 tidal\/BatchCapacityFit/);
    original = running.map(podName);
    neverFitted = podName(waiting);
    expect(Date.now(), 'the night fill took longer than the time the profile leaves before the drain').toBeLessThan(drainAt);
    // Nothing is evicted before the drain starts.
    expect(recorder.all().filter((h) => h.deleted)).toEqual([]);
  });

  it('drains batch ahead of the peak window through the Eviction API, down to the peak capacity', async () => {
    // At the peak level each node may keep 1 cpu of batch: 2 of 3 pods per node must go.
    await waitFor(
      'the night batch pods drained to 1 per node',
      async () => recorder.all().filter((h) => original.includes(podName(h.pod)) && h.deleted).length >= 4,
      { timeoutMs: peakAt - Date.now() + 20_000, intervalMs: 250 },
    );
    await sleep(4_000); // two more descheduler cycles: nothing more may go
    const gone = recorder.all().filter((h) => original.includes(podName(h.pod)) && h.deleted);
    expect(gone).toHaveLength(4);
    for (const h of gone) {
      // After the drain started (ms clock of this machine; the apiserver and the descheduler share it)
      // and before the peak opened.
      expect(h.deletedAt!).toBeGreaterThanOrEqual(drainAt - 500);
      expect(h.deletedAt!).toBeLessThan(peakAt);
      // The apiserver's own mark of an eviction (policy/v1 Eviction subresource), and Tidal's reason.
      expect(evictedByApi(h.pod), `${podName(h.pod)} conditions: ${JSON.stringify(h.pod.status?.conditions)}`).toBe(true);
      expect(h.annotations[EVICTION_REASON]).toMatch(/^peak-drain: Tidal peak drain: batch on tide-[ab] exceeds its capacity at batchShare 0\.25.*draining ahead of window peak/);
    }
    const perNode = NODES.map((n) => gone.filter((h) => h.nodeName === n).length);
    expect(perNode).toEqual([2, 2]);
    const events = await listEvents(k, NS, 'reason=TidalEvicted');
    expect(events.map((e) => e.involvedObject.name).sort()).toEqual(gone.map((h) => podName(h.pod)).sort());
    // Each node keeps at most the peak's batch capacity.
    const live = (await batchPods()).filter(isRunning);
    for (const node of NODES) {
      expect(live.filter((p) => p.spec?.nodeName === node).reduce((s, p) => s + podRequest(p, 'cpu'), 0)).toBeLessThanOrEqual(PEAK_SHARE * NODE_CPU);
    }
  });

  it('the controller-manager recreates the evicted pods, and they wait for capacity', async () => {
    const pods = await waitForPods(k, NS, 'app=batch', `${BATCH_REPLICAS} batch pods again`, (ps) => {
      const live = ps.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === BATCH_REPLICAS && live.filter((p) => unschedulableMessage(p) !== undefined).length === 5 ? live : undefined;
    });
    const replacements = pods.filter((p) => !original.includes(podName(p)) && isPending(p));
    expect(replacements.length).toBe(5); // 4 replacements + the pod that never fitted
    for (const p of replacements) {
      expect(p.spec?.nodeName ?? '').toBe('');
      expect(p.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    }
    const newest = replacements.find((p) => podName(p) !== neverFitted);
    expect(newest).toBeDefined();
    expect(await waitForFailedScheduling(k, NS, podName(newest!), /tidal\/BatchCapacityFit/)).toMatch(/2 tidal\/BatchCapacityFit/);
  });

  it('at the peak, the online pods all schedule (they would not have fitted beside the night batch)', async () => {
    await sleep(Math.max(0, peakAt - Date.now()));
    // 3 cpu each: a node held 3 cpu of batch at night (1 cpu free); now 1 cpu, so one fits per node.
    await k.apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'shop' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'shop' } },
          template: nativeTemplate({ cls: 'online', cpu: '3', memory: '1Gi', labels: { app: 'shop' } }),
        },
      },
    });
    const shop = await waitForPods(k, NS, 'app=shop', '2 online peak pods Running', (ps) => (ps.length === 2 && ps.every(isRunning) ? ps : undefined), 60_000);
    expect(shop.map((p) => p.spec?.nodeName).sort()).toEqual(NODES);
    // The batch that stayed within the peak capacity is left alone (online requests 3 + batch 1 = 4 cpu).
    await sleep(4_000);
    const gone = recorder.all().filter((h) => original.includes(podName(h.pod)) && h.deleted);
    expect(gone).toHaveLength(4);
    expect(desched.proc?.exited()).toBeUndefined();
  });

  it('tidal deschedule --once --dry-run rehearses a coming window against the live cluster and evicts nothing', async () => {
    // A window that would take all batch back: the rehearsal plans the remaining batch pod on each node.
    const at = peakAt + 2 * 3_600_000;
    const zero = writeProfile(
      cp!,
      'tide-zero.yaml',
      profileYaml('e2e-tide-zero', { batchShare: NIGHT_SHARE, onlineHeadroom: 0 }, [{ name: 'closed', start: at, end: at + 3_600_000, batchShare: 0, onlineHeadroom: 0, drainLeadTime: '0s', ramp: '0s' }]),
    );
    const before = recorder.all().filter((h) => h.deleted).length;
    const out = await runTidal(['deschedule', '--kubeconfig', cp!.kubeconfigPath, '--profile', zero, '--once', '--dry-run', '--at', new Date(at + 60_000).toISOString(), '--no-leader-elect', '--timetable']);
    expect(out).toMatch(/Eviction plan at .*\[dry run: nothing evicted\]: window closed; batchShare 0\.00/);
    expect(out).toMatch(/2 eviction\(s\): 2 peak-drain/);
    for (const node of NODES) expect(out).toMatch(new RegExp(`^  ${node}: 1$`, 'm'));
    expect(out).toMatch(new RegExp(`^  ${NS}: 2$`, 'm'));
    await sleep(2_000);
    expect(recorder.all().filter((h) => h.deleted).length).toBe(before);
    expect((await batchPods()).filter(isRunning)).toHaveLength(2);
  });
});

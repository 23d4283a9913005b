// Scenario 1, wire compatibility: the real kube-scheduler, configured by `tidal config scheduler --full`,
// calls `tidal extender` (a child process on 127.0.0.1) for filter, prioritize, preempt and bind, with
// nodeCacheCapable true and then false (the scheduler restarted between). What is asserted is what the
// cluster did: where pods were bound, which stayed Pending and the scheduler's FailedScheduling
// Events, which pod preemption deleted; the extender's /metrics only confirm which verbs were called.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentGet, type ControlPlane, e2eSkipReason, startControlPlane, waitFor } from '../harness/index.ts';
import {
  BATCH_CPU,
  batchTemplate,
  createPod,
  isPending,
  isRunning,
  type Kube,
  kube,
  listEvents,
  listPods,
  nativeTemplate,
  podName,
  podRequest,
  unschedulableMessage,
  waitForFailedScheduling,
  waitForPods,
} from '../lib/kube.ts';
import { profileYaml, TidalExtender, tidalSchedulerConfig, writeProfile } from '../lib/tidal.ts';

const skip = e2eSkipReason();

const POOL = 'e2e.tidal.io/pool';
const GENERAL = ['wire-a', 'wire-b'];
const PREEMPT_NODE = 'wire-p';
// Constant level: batch may hold 80% of a node (and what online does not request: no headroom).
const BATCH_SHARE = 0.8;
const NODE_MILLICPU = 4000;

describe.skipIf(skip !== undefined)('scenario 1: kube-scheduler <-> tidal extender on the wire', () => {
  let cp: ControlPlane | undefined;
  let k: Kube;
  let ext: TidalExtender;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    k = kube(cp);
    await cp.addNodes([
      { name: GENERAL[0]!, cpu: '4', memory: '8Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a', [POOL]: 'general' } },
      { name: GENERAL[1]!, cpu: '4', memory: '8Gi', labels: { 'topology.kubernetes.io/zone': 'zone-b', [POOL]: 'general' } },
      { name: PREEMPT_NODE, cpu: '4', memory: '8Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a', [POOL]: 'preempt' } },
    ]);
    for (const [name, value] of [['e2e-high', 1000], ['e2e-mid', 10], ['e2e-low', 5]] as const) {
      await k.scheduling.createPriorityClass({ body: { metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority' } });
    }
    const profile = writeProfile(cp, 'constant.yaml', profileYaml('e2e-constant', { batchShare: BATCH_SHARE, onlineHeadroom: 0 }));
    // --timetable: the expectations are the profile's batchShare (the forecast mode reads no default level).
    ext = await TidalExtender.start(cp, { profile, logLevel: 'debug', timetable: true });
    await ext.waitReady();
  });

  afterAll(async () => {
    await cp?.stop();
  });

  /** Deletes every pod of the namespace at once and waits until they are gone. */
  async function clearNamespace(ns: string): Promise<void> {
    await k.core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 });
    await waitForPods(k, ns, undefined, `every pod of ${ns} gone`, (pods) => pods.length === 0, 60_000);
  }

  for (const nodeCacheCapable of [true, false]) {
    const ns = nodeCacheCapable ? 'wire-cache' : 'wire-nocache';

    describe(`nodeCacheCapable: ${nodeCacheCapable}`, () => {
      let before: Awaited<ReturnType<TidalExtender['metrics']>>;

      beforeAll(async () => {
        const config = await tidalSchedulerConfig(plane(), ext.urlPrefix, { nodeCacheCapable });
        expect(config).toContain(`nodeCacheCapable: ${nodeCacheCapable}`);
        await plane().startScheduler(config);
        await plane().ensureNamespace(ns);
        before = await ext.metrics();
      });

      it('kube-scheduler runs the generated configuration (its /configz)', async () => {
        // Right after a start the scheduler's delegated authentication may not know the client CA yet (403).
        const body = await waitFor('kube-scheduler /configz as the admin', async () => {
          const res = await componentGet(plane(), `${plane().schedulerUrl}/configz`);
          return res.status === 200 ? res.body : undefined;
        }, { timeoutMs: 30_000 });
        const extenders = JSON.parse(body).componentconfig.extenders as Array<Record<string, unknown>>;
        // The in-place layout: the batch gate (non-ignorable, batch resources only), then every pod (ignorable).
        expect(extenders).toHaveLength(2);
        const [gate, e] = extenders as [Record<string, unknown>, Record<string, unknown>];
        expect(gate).toMatchObject({ urlPrefix: ext.urlPrefix, filterVerb: 'filter', managedResources: [{ name: 'tidal.io/batch-cpu', ignoredByScheduler: true }, { name: 'tidal.io/batch-memory', ignoredByScheduler: true }] });
        expect(gate.ignorable ?? false).toBe(false);
        expect(gate.bindVerb ?? '').toBe('');
        expect(e).toMatchObject({ urlPrefix: ext.urlPrefix, filterVerb: 'filter', prioritizeVerb: 'prioritize', preemptVerb: 'preempt', bindVerb: 'bind', weight: 5, ignorable: true });
        // false fields are omitted (omitempty) in kubescheduler.config.k8s.io/v1.
        expect(e.nodeCacheCapable ?? false).toBe(nodeCacheCapable);
        expect(gate.nodeCacheCapable ?? false).toBe(nodeCacheCapable);
      });

      it('places batch pods (tidal.io/batch-cpu, batch-memory) up to the batch capacity, and the rest wait with Tidal\'s reason', async () => {
        // kube-scheduler ignores the tidal.io resources (NodeResourcesFit ignoredResourceGroups), so only
        // the extender can stop the 7th pod: two empty nodes hold 3 pods of 1 batch cpu each (80% of 4 cpu).
        // Created one after another, each bound before the next is created (the burst is the next test).
        for (let i = 0; i < 7; i++) {
          const name = `batch-${i}`;
          await createPod(k, ns, name, batchTemplate({ batchMilliCpu: 1000, batchMemory: '1Gi', expectedRuntime: '10m', labels: { app: 'batch' }, nodeSelector: { [POOL]: 'general' }, restartPolicy: 'Never' }));
          await waitFor(`${name} bound or refused`, async () => {
            const p = await k.core.readNamespacedPod({ name, namespace: ns });
            return isRunning(p) || unschedulableMessage(p) !== undefined;
          });
        }
        const pods = await listPods(k, ns, 'app=batch');
        const running = pods.filter(isRunning);
        const pending = pods.filter(isPending);
        expect(running).toHaveLength(6);
        expect(pending).toHaveLength(1);
        for (const node of GENERAL) {
          const batchMilli = running.filter((p) => p.spec?.nodeName === node).reduce((s, p) => s + podRequest(p, BATCH_CPU), 0);
          expect(batchMilli).toBeLessThanOrEqual(BATCH_SHARE * NODE_MILLICPU);
        }
        const waiting = podName(pending[0]!);
        const msg = await waitForFailedScheduling(k, ns, waiting, /tidal\/BatchCapacityFit/);
        expect(msg).toMatch(/0\/3 nodes are available: .*2 tidal\/BatchCapacityFit: not enough batch cpu/);
        expect(unschedulableMessage(await k.core.readNamespacedPod({ name: waiting, namespace: ns }))).toMatch(/tidal\/BatchCapacityFit/);
        const m = await ext.metrics();
        expect(m.sum('tidal_extender_filter_decisions_total', { class: 'batch', result: 'unresolvable', plugin: 'BatchCapacityFit' })).toBeGreaterThan(
          before.sum('tidal_extender_filter_decisions_total', { class: 'batch', result: 'unresolvable', plugin: 'BatchCapacityFit' }),
        );
        await k.core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector: 'app=batch', gracePeriodSeconds: 0 });
        await waitForPods(k, ns, 'app=batch', 'batch pods gone', (ps) => ps.length === 0);
      });

      it('holds a burst of batch pods created together to the batch capacity: Tidal binds them and counts each at once', async () => {
        // Eight pods at once where 3 + 3 fit. kube-scheduler starts the next pod's cycle before the
        // previous binding is written; Tidal binds (bindVerb) and counts each bound pod on its node at
        // once, so the 7th and 8th see the capacity taken and wait with Tidal's reason.
        const m0 = await ext.metrics();
        const names = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
        await Promise.all(
          names.map((name) =>
            createPod(k, ns, name, batchTemplate({ batchMilliCpu: 1000, batchMemory: '1Gi', expectedRuntime: '10m', labels: { app: 'burst' }, nodeSelector: { [POOL]: 'general' }, restartPolicy: 'Never' })),
          ),
        );
        await waitForPods(k, ns, 'app=burst', '8 burst pods bound or refused', (ps) => ps.length === 8 && ps.every((p) => !!p.spec?.nodeName || unschedulableMessage(p) !== undefined), 60_000);
        // Give any late binding the chance to show (there must be none).
        await new Promise((r) => setTimeout(r, 2000));
        const pods = await listPods(k, ns, 'app=burst');
        const bound = pods.filter((p) => !!p.spec?.nodeName);
        const waiting = pods.filter((p) => !p.spec?.nodeName);
        expect(bound.map(podName).sort()).toHaveLength(6);
        expect(waiting).toHaveLength(2);
        for (const node of GENERAL) {
          const onNode = bound.filter((p) => p.spec?.nodeName === node);
          expect(onNode.reduce((s, p) => s + podRequest(p, BATCH_CPU), 0), `batch cpu bound on ${node}`).toBeLessThanOrEqual(BATCH_SHARE * NODE_MILLICPU);
        }
        for (const p of waiting) {
          expect(isPending(p)).toBe(true);
          expect(unschedulableMessage(p)).toMatch(/tidal\/BatchCapacityFit/);
          expect(await waitForFailedScheduling(k, ns, podName(p), /tidal\/BatchCapacityFit/)).toMatch(/2 tidal\/BatchCapacityFit: not enough batch cpu/);
        }
        // Every binding went through Tidal's bind verb.
        const m1 = await ext.metrics();
        expect(m1.sum('tidal_extender_binds_total', { result: 'bound' }) - m0.sum('tidal_extender_binds_total', { result: 'bound' })).toBe(6);
        await k.core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector: 'app=burst', gracePeriodSeconds: 0 });
        await waitForPods(k, ns, 'app=burst', 'burst pods gone', (ps) => ps.length === 0);
      });

      it('schedules online pods through the extender', async () => {
        for (let i = 0; i < 4; i++) {
          await createPod(k, ns, `web-${i}`, nativeTemplate({ cls: 'online', cpu: '500m', memory: '256Mi', labels: { app: 'web' }, nodeSelector: { [POOL]: 'general' } }));
        }
        const pods = await waitForPods(k, ns, 'app=web', '4 online pods Running', (ps) => (ps.length === 4 && ps.every(isRunning) ? ps : undefined));
        for (const p of pods) expect(GENERAL).toContain(p.spec?.nodeName);
        const m = await ext.metrics();
        expect(m.sum('tidal_extender_requests_total', { verb: 'filter', code: '200' })).toBeGreaterThan(before.sum('tidal_extender_requests_total', { verb: 'filter', code: '200' }));
        // Two feasible nodes: kube-scheduler asks for scores too.
        expect(m.sum('tidal_extender_requests_total', { verb: 'prioritize', code: '200' })).toBeGreaterThan(before.sum('tidal_extender_requests_total', { verb: 'prioritize', code: '200' }));
        expect(m.sum('tidal_extender_filter_decisions_total', { class: 'online', result: 'passed' })).toBeGreaterThan(before.sum('tidal_extender_filter_decisions_total', { class: 'online', result: 'passed' }));
      });

      const HOG_REASON = 'tidal/OnlineLoadThreshold: predicted online cpu usage would exceed the 90 percent load threshold';

      it('refuses an online pod over the load threshold that kube-scheduler alone would bind (tidal/OnlineLoadThreshold)', async () => {
        // Sized so that NodeResourcesFit passes (requests fit the node) but Tidal's 90% online load
        // threshold does not: only the extender can keep it Pending.
        const node = GENERAL[0]!;
        const onNode = (await listPods(k, ns)).filter((p) => p.spec?.nodeName === node);
        const used = onNode.reduce((s, p) => s + podRequest(p, 'cpu') * 1000, 0);
        const hog = 3800 - used; // used + hog = 95% of 4 cpu
        await createPod(k, ns, 'hog', nativeTemplate({ cls: 'online', cpu: `${hog}m`, memory: '256Mi', nodeSelector: { 'kubernetes.io/hostname': node } }));
        // kube-scheduler hands the FailedScheduling text to EventRecorder.Eventf as the FORMAT string
        // (pkg/scheduler/schedule_one.go, handleSchedulingFailure): Tidal's reasons carry no "%" so
        // that the event quotes them whole.
        expect(HOG_REASON).not.toContain('%');
        const hogEvent = await waitForFailedScheduling(k, ns, 'hog', /tidal\/OnlineLoadThreshold/);
        expect(hogEvent).toContain(`1 ${HOG_REASON}`);
        const hogPod = await k.core.readNamespacedPod({ name: 'hog', namespace: ns });
        expect(hogPod.spec?.nodeName ?? '').toBe('');
        // The PodScheduled condition carries the extender's reason verbatim.
        expect(unschedulableMessage(hogPod)).toContain(`1 ${HOG_REASON}`);
        await k.core.deleteNamespacedPod({ name: 'hog', namespace: ns, gracePeriodSeconds: 0 });
      });

      it('preempts through the preempt verb: the victim is a batch pod, not the lower-priority online pod kube-scheduler alone would pick', async () => {
        const sel = { [POOL]: 'preempt' };
        // The node: an online pod of the LOWEST priority (5) and three batch pods on native cpu (priority 10);
        // batch capacity there is min(80% of 4 cpu, 4 cpu - 1 cpu online) = 3 cpu.
        // kube-scheduler's DefaultPreemption reprieves the more important pods first, so on its own it
        // would delete only the online pod. Tidal's preempt verb answers with batch victims only.
        await createPod(k, ns, 'low-online', nativeTemplate({ cls: 'online', cpu: '1', memory: '256Mi', labels: { app: 'low-online' }, nodeSelector: sel, priorityClassName: 'e2e-low' }));
        await waitForPods(k, ns, 'app=low-online', 'low-online Running', (ps) => ps.length === 1 && ps.every(isRunning));
        for (let i = 0; i < 3; i++) {
          await createPod(k, ns, `native-batch-${i}`, nativeTemplate({ cls: 'batch', cpu: '1', memory: '256Mi', labels: { app: 'native-batch' }, nodeSelector: sel, priorityClassName: 'e2e-mid', restartPolicy: 'Never' }));
        }
        const batchBefore = await waitForPods(k, ns, 'app=native-batch', '3 native batch pods Running', (ps) => (ps.length === 3 && ps.every(isRunning) ? ps : undefined));
        expect(batchBefore.every((p) => p.spec?.nodeName === PREEMPT_NODE)).toBe(true);
        const m0 = await ext.metrics();

        // The node's 4 cpu are all requested: a 1-cpu online pod of high priority needs a victim.
        await createPod(k, ns, 'vip', nativeTemplate({ cls: 'online', cpu: '1', memory: '256Mi', labels: { app: 'vip' }, nodeSelector: sel, priorityClassName: 'e2e-high' }));
        const vip = await waitFor('vip Running on the preempt node', async () => {
          const p = await k.core.readNamespacedPod({ name: 'vip', namespace: ns });
          return isRunning(p) ? p : undefined;
        }, { timeoutMs: 90_000 });
        expect(vip.spec?.nodeName).toBe(PREEMPT_NODE);

        const batchAfter = (await listPods(k, ns, 'app=native-batch')).filter((p) => !p.metadata?.deletionTimestamp);
        expect(batchAfter).toHaveLength(2);
        const victim = batchBefore.find((p) => !batchAfter.some((q) => q.metadata?.uid === p.metadata?.uid))!;
        expect(victim).toBeDefined();
        // The online pod of lower priority survived.
        const low = await k.core.readNamespacedPod({ name: 'low-online', namespace: ns });
        expect(isRunning(low)).toBe(true);
        // kube-scheduler's own record of the preemption names the batch pod.
        const preempted = await waitFor('a Preempted event', async () => {
          const evs = await listEvents(k, ns, 'reason=Preempted');
          return evs.length > 0 ? evs : undefined;
        });
        expect(preempted.map((e) => e.involvedObject.name)).toEqual([podName(victim)]);
        const m1 = await ext.metrics();
        expect(m1.sum('tidal_extender_requests_total', { verb: 'preempt', code: '200' })).toBeGreaterThan(m0.sum('tidal_extender_requests_total', { verb: 'preempt', code: '200' }));
        expect(m1.sum('tidal_extender_preemption_victims_total', { class: 'online' })).toBe(m0.sum('tidal_extender_preemption_victims_total', { class: 'online' }) + 1);
      });

      afterAll(async () => {
        await clearNamespace(ns);
      });
    });
  }
});

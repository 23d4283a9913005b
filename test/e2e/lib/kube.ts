// kubectl-like helpers over @kubernetes/client-node for the scenarios: clients, pod templates for
// Tidal's workload classes, waits on pods, and readers for Events and pod histories.
import {
  AppsV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  SchedulingV1Api,
  setHeaderOptions,
  type V1Pod,
  type V1PodSpec,
  type V1PodTemplateSpec,
  Watch,
} from '@kubernetes/client-node';
import type { ControlPlane } from '../harness/control-plane.ts';
import { waitFor } from '../harness/wait.ts';

export interface Kube {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  policy: PolicyV1Api;
  coordination: CoordinationV1Api;
  scheduling: SchedulingV1Api;
  authz: AuthorizationV1Api;
}

/** API clients as the control plane's admin. */
export function kube(cp: ControlPlane): Kube {
  const kc = cp.kubeConfig();
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    scheduling: kc.makeApiClient(SchedulingV1Api),
    authz: kc.makeApiClient(AuthorizationV1Api),
  };
}

export const CLASS_LABEL = 'tidal.io/class';
export const BATCH_CPU = 'tidal.io/batch-cpu';
export const BATCH_MEMORY = 'tidal.io/batch-memory';
export const EXPECTED_RUNTIME = 'tidal.io/expected-runtime';
export const CHECKPOINTABLE = 'tidal.io/checkpointable';
export const EVICTION_REASON = 'tidal.io/eviction-reason';
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export interface BatchPodOptions {
  /** tidal.io/batch-cpu in millicores (an integer count, like Koordinator's batch-cpu). */
  batchMilliCpu: number;
  /** tidal.io/batch-memory, a quantity such as 1Gi. */
  batchMemory: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** tidal.io/expected-runtime (a duration such as 10m). */
  expectedRuntime?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  priorityClassName?: string;
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
}

/**
 * A batch pod as Tidal's users write one: label tidal.io/class=batch, and the extended resources
 * tidal.io/batch-cpu / tidal.io/batch-memory (requests = limits: the apiserver requires it for
 * extended resources) instead of native cpu/memory.
 */
export function batchTemplate(o: BatchPodOptions): V1PodTemplateSpec {
  const amounts = { [BATCH_CPU]: String(o.batchMilliCpu), [BATCH_MEMORY]: o.batchMemory };
  const annotations: Record<string, string> = { ...o.annotations };
  if (o.expectedRuntime) annotations[EXPECTED_RUNTIME] = o.expectedRuntime;
  const spec: V1PodSpec = {
    restartPolicy: o.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'work', image: PAUSE_IMAGE, resources: { requests: amounts, limits: amounts } }],
  };
  if (o.nodeName) spec.nodeName = o.nodeName;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.priorityClassName) spec.priorityClassName = o.priorityClassName;
  return { metadata: { labels: { [CLASS_LABEL]: 'batch', ...o.labels }, annotations }, spec };
}

export interface NativePodOptions {
  cpu: string;
  memory: string;
  cls: 'online' | 'batch';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  priorityClassName?: string;
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
}

/** A pod on native cpu/memory requests, of the class given by the tidal.io/class label. */
export function nativeTemplate(o: NativePodOptions): V1PodTemplateSpec {
  const spec: V1PodSpec = {
    restartPolicy: o.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: PAUSE_IMAGE, resources: { requests: { cpu: o.cpu, memory: o.memory } } }],
  };
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.priorityClassName) spec.priorityClassName = o.priorityClassName;
  return { metadata: { labels: { [CLASS_LABEL]: o.cls, ...o.labels }, annotations: { ...o.annotations } }, spec };
}

/** Creates a bare pod from a template. */
export async function createPod(k: Kube, namespace: string, name: string, t: V1PodTemplateSpec): Promise<V1Pod> {
  return k.core.createNamespacedPod({ namespace, body: { metadata: { ...t.metadata, name, namespace }, spec: t.spec } });
}

export const isRunning = (p: V1Pod): boolean => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;
export const isPending = (p: V1Pod): boolean => p.status?.phase === 'Pending' && !p.metadata?.deletionTimestamp;
export const podName = (p: V1Pod): string => p.metadata?.name ?? '';
export const podUid = (p: V1Pod): string => p.metadata?.uid ?? '';

export async function listPods(k: Kube, namespace: string, labelSelector?: string): Promise<V1Pod[]> {
  return (await k.core.listNamespacedPod({ namespace, labelSelector })).items;
}

/** Waits until `check(pods)` returns a value (the pods of the namespace matching the selector). */
export function waitForPods<T>(
  k: Kube,
  namespace: string,
  labelSelector: string | undefined,
  what: string,
  check: (pods: V1Pod[]) => T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  return waitFor(what, async () => check(await listPods(k, namespace, labelSelector)), { timeoutMs, intervalMs: 250 });
}

/** The PodScheduled=False condition's message (what kube-scheduler says about an unschedulable pod). */
export function unschedulableMessage(p: V1Pod): string | undefined {
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
  return c?.status === 'False' ? (c.message ?? '') : undefined;
}

/** Events of a namespace (core/v1 view, which includes events.k8s.io events), filtered server side. */
export async function listEvents(k: Kube, namespace: string, fieldSelector: string): Promise<CoreV1Event[]> {
  return (await k.core.listNamespacedEvent({ namespace, fieldSelector })).items;
}

/** The message of an Event (events.k8s.io events carry it as `note`, shown as core/v1 `message`). */
export const eventText = (e: CoreV1Event): string => e.message ?? (e as { note?: string }).note ?? '';

/** Waits for a FailedScheduling event of the pod whose message matches, and returns that message. */
export async function waitForFailedScheduling(k: Kube, namespace: string, pod: string, match: RegExp, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    `a FailedScheduling event of ${namespace}/${pod} matching ${match}`,
    async () => {
      const events = await listEvents(k, namespace, `involvedObject.name=${pod},reason=FailedScheduling`);
      return events.map(eventText).find((m) => match.test(m));
    },
    { timeoutMs, intervalMs: 250 },
  );
}

export interface PodHistory {
  /** The latest version seen (the DELETED event carries the final one). */
  pod: V1Pod;
  /** Every annotation value seen on the pod, latest wins per key. */
  annotations: Record<string, string>;
  nodeName: string;
  deleted: boolean;
  deletedAt: number | undefined;
  /** When the watch first showed it with a deletionTimestamp (an eviction or a delete was accepted). */
  terminatingAt: number | undefined;
}

/**
 * Records every pod of a namespace through a watch: which pods existed, where they ran, the
 * annotations they carried (even if deleted right after), and when they went away.
 */
export class PodRecorder {
  readonly byUid = new Map<string, PodHistory>();
  #abort: AbortController | undefined;
  #errors: unknown[] = [];
  #stopped = false;
  #rv: string | undefined;
  #gen = 0;

  static async start(k: Kube, namespace: string): Promise<PodRecorder> {
    const r = new PodRecorder();
    await r.#watch(k, namespace, true);
    return r;
  }

  /**
   * Lists (the first time, or when the last resourceVersion has expired) and watches from there. The
   * client's watch ends after 30 s without an event (its inactivity timeout), so a quiet namespace would
   * stop being recorded: the watch is resumed from the last resourceVersion seen until stop().
   */
  async #watch(k: Kube, namespace: string, list: boolean): Promise<void> {
    if (list || this.#rv === undefined) {
      const l = await k.core.listNamespacedPod({ namespace });
      for (const p of l.items) this.#see('ADDED', p);
      this.#rv = l.metadata?.resourceVersion;
    }
    const watch = new Watch(k.kc);
    const gen = ++this.#gen;
    const resume = (relist: boolean) => {
      // Once per watch (an ERROR event is followed by the watch's end).
      if (this.#stopped || gen !== this.#gen) return;
      this.#gen++;
      setTimeout(() => void this.#watch(k, namespace, relist).catch((e) => this.#errors.push(e)), 100);
    };
    this.#abort = await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: this.#rv, allowWatchBookmarks: true },
      (phase, obj: V1Pod & { metadata?: { resourceVersion?: string } }) => {
        if (obj?.metadata?.resourceVersion) this.#rv = obj.metadata.resourceVersion;
        if (phase === 'ERROR') return resume(true); // 410 Gone: the resourceVersion expired
        if (phase !== 'BOOKMARK') this.#see(phase, obj);
      },
      (err) => {
        if (err && (err as { name?: string }).name !== 'AbortError' && (err as { name?: string }).name !== 'TimeoutError') this.#errors.push(err);
        resume(false);
      },
    );
  }

  #see(phase: string, p: V1Pod): void {
    const uid = podUid(p);
    if (!uid) return;
    const h = this.byUid.get(uid) ?? { pod: p, annotations: {}, nodeName: '', deleted: false, deletedAt: undefined, terminatingAt: undefined };
    h.pod = p;
    Object.assign(h.annotations, p.metadata?.annotations ?? {});
    if (p.spec?.nodeName) h.nodeName = p.spec.nodeName;
    if ((p.metadata?.deletionTimestamp || phase === 'DELETED') && h.terminatingAt === undefined) h.terminatingAt = Date.now();
    if (phase === 'DELETED') {
      h.deleted = true;
      h.deletedAt = Date.now();
    }
    this.byUid.set(uid, h);
  }

  get errors(): unknown[] {
    return this.#errors;
  }

  all(): PodHistory[] {
    return [...this.byUid.values()];
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }
}

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity as a number ("1k" -> 1000, "500m" -> 0.5, "1Gi" -> 1073741824); the apiserver canonicalises them. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) throw new Error(`not a quantity: ${q}`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

/** Sum over a pod's containers of one requested resource (as a number, cpu in cores). */
export function podRequest(p: V1Pod, resource: string): number {
  return (p.spec?.containers ?? []).reduce((s, c) => s + quantity(c.resources?.requests?.[resource]), 0);
}

/** A pod's PodScheduled=False reason says it waits: bound (Running) or refused, a verdict either way. */
export const hasVerdict = (p: V1Pod): boolean => isRunning(p) || unschedulableMessage(p) !== undefined;

/**
 * Scales a ReplicaSet up one replica at a time, each new pod bound or refused by the scheduler before
 * the next is asked for. (The Tidal extender counts a pod against a node once its informer sees the
 * binding; pods created together can be admitted against the same free capacity: a product bug reported
 * with the e2e tier. Scenarios that are not about that race fill nodes this way.)
 */
export async function scaleUpOneByOne(k: Kube, namespace: string, name: string, labelSelector: string, replicas: number): Promise<void> {
  for (let n = 1; n <= replicas; n++) {
    await k.apps.patchNamespacedReplicaSetScale(
      { name, namespace, body: { spec: { replicas: n } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForPods(k, namespace, labelSelector, `${name}: ${n} pods with a scheduling verdict`, (ps) => {
      const live = ps.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === n && live.every(hasVerdict);
    });
  }
}

/** The condition the apiserver puts on a pod it deletes through the Eviction API (policy/v1). */
export function evictedByApi(p: V1Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === 'EvictionByEvictionAPI');
}

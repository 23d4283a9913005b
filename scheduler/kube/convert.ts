// Kubernetes objects -> the core's model. Used on informer events (typed objects from
// @kubernetes/client-node, whose timestamps are Date) and on extender requests (raw JSON from
// kube-scheduler, whose timestamps are RFC 3339 strings): every reader here accepts both.
//
// Nothing here throws on bad data: a malformed quantity or annotation falls back to its default and
// is reported to the caller's IssueSink, so that one odd object cannot stop an informer or fail a
// scheduling request.

import type { V1Container, V1ContainerStatus, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { classifyPod, DEFAULT_CLASSIFICATION, type ClassificationConfig } from '../core/classify.ts';
import { parseDuration } from '../core/duration.ts';
import type { LabelSelector, NodeInfo, PdbSpec, PodInfo, Resources } from '../core/model.ts';
import { parseQuantity } from '../core/quantity.ts';

/** Tidal's extended resources for batch pods (kube-scheduler is configured to ignore the tidal.io group). */
export const BATCH_CPU = 'tidal.io/batch-cpu';
export const BATCH_MEMORY = 'tidal.io/batch-memory';
export const ANNOTATION_EXPECTED_RUNTIME = 'tidal.io/expected-runtime';
export const ANNOTATION_CHECKPOINTABLE = 'tidal.io/checkpointable';
export const ANNOTATION_PROGRESS = 'tidal.io/progress';
export const ANNOTATION_MIRROR = 'kubernetes.io/config.mirror';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
const LABEL_ZONE_LEGACY = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_APP_NAME = 'app.kubernetes.io/name';
const LABEL_APP = 'app';
const LABEL_POD_TEMPLATE_HASH = 'pod-template-hash';
/** kubelet's default --max-pods, used when a hand-written node gives no pod count. */
const DEFAULT_MAX_PODS = 110;

/** Something in an object that could not be read and was replaced by its default. */
export interface ConvertIssue {
  /** kind namespace/name of the object. */
  object: string;
  /** Field path, e.g. metadata.annotations[tidal.io/progress]. */
  field: string;
  message: string;
}

export type IssueSink = (issue: ConvertIssue) => void;

export interface PodConvertOptions {
  classification?: ClassificationConfig;
  onIssue?: IssueSink;
}

const ignore: IssueSink = () => {};

/** A timestamp as Date (typed client objects), RFC 3339 string (raw JSON) or epoch ms; 0 when absent or invalid. */
export function toMillis(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isFinite(t) ? t : 0;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : 0;
  }
  return 0;
}

function quantity(v: unknown, scale: number, report: (msg: string) => void): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'string' && typeof v !== 'number') {
    report(`not a quantity: ${JSON.stringify(v)}`);
    return 0;
  }
  try {
    const q = parseQuantity(v) * scale;
    if (!(q >= 0)) {
      report(`negative quantity ${JSON.stringify(v)}`);
      return 0;
    }
    // Whole units, rounded up as the apiserver rounds requests (with a tolerance for float noise).
    return Math.ceil(q - 1e-9);
  } catch (e) {
    report((e as Error).message);
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Nodes

export function nodeFromKube(node: V1Node, onIssue: IssueSink = ignore): NodeInfo {
  const name = node.metadata?.name ?? '';
  const at = (field: string) => (message: string) => onIssue({ object: `Node ${name}`, field, message });
  // kube-scheduler reads status.allocatable; hand-written snapshots often give only capacity.
  const alloc = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, unknown>;
  const src = node.status?.allocatable ? 'status.allocatable' : 'status.capacity';
  const labels = node.metadata?.labels ?? {};
  let maxPods = DEFAULT_MAX_PODS;
  if (alloc.pods !== undefined) maxPods = quantity(alloc.pods, 1, at(`${src}.pods`));
  return {
    name,
    allocatable: {
      cpu: quantity(alloc.cpu, 1000, at(`${src}.cpu`)),
      memory: quantity(alloc.memory, 1, at(`${src}.memory`)),
    },
    maxPods,
    labels,
    zone: labels[LABEL_ZONE] ?? labels[LABEL_ZONE_LEGACY] ?? '',
    unschedulable: node.spec?.unschedulable === true,
  };
}

// ---------------------------------------------------------------------------------------------------
// Pod requests, as kube-scheduler computes them (k8s.io/component-helpers/resource PodRequests):
//   app containers summed; each init container's need is its own request plus the restartable
//   (sidecar) init containers started before it; restartable init containers also add to the sum;
//   the pod needs the larger of the sum and the largest init need, per resource; pod-level
//   resources (spec.resources) replace cpu/memory when set; spec.overhead is added. With in-place
//   resize the scheduler takes, per resource, the max of what the spec asks, what the kubelet has
//   allocated and what it has actuated (status), so a pending resize counts at its larger side.

/** cpu (millicores), memory (bytes), tidal.io/batch-cpu (millicores), tidal.io/batch-memory (bytes). */
interface Vec {
  cpu: number;
  memory: number;
  batchCpu: number;
  batchMemory: number;
  /** Whether any container names the extended resources at all. */
  hasBatchCpu: boolean;
  hasBatchMemory: boolean;
}

const vec = (): Vec => ({ cpu: 0, memory: 0, batchCpu: 0, batchMemory: 0, hasBatchCpu: false, hasBatchMemory: false });

function addVec(t: Vec, a: Vec): void {
  t.cpu += a.cpu;
  t.memory += a.memory;
  t.batchCpu += a.batchCpu;
  t.batchMemory += a.batchMemory;
  t.hasBatchCpu ||= a.hasBatchCpu;
  t.hasBatchMemory ||= a.hasBatchMemory;
}

function maxVec(t: Vec, a: Vec): void {
  t.cpu = Math.max(t.cpu, a.cpu);
  t.memory = Math.max(t.memory, a.memory);
  t.batchCpu = Math.max(t.batchCpu, a.batchCpu);
  t.batchMemory = Math.max(t.batchMemory, a.batchMemory);
  t.hasBatchCpu ||= a.hasBatchCpu;
  t.hasBatchMemory ||= a.hasBatchMemory;
}

type ResourceList = Record<string, unknown> | undefined | null;
type Report = (field: string, message: string) => void;

function readList(list: ResourceList, field: string, report: Report): Vec {
  const v = vec();
  if (!list || typeof list !== 'object') return v;
  if (list.cpu !== undefined) v.cpu = quantity(list.cpu, 1000, (m) => report(`${field}.cpu`, m));
  if (list.memory !== undefined) v.memory = quantity(list.memory, 1, (m) => report(`${field}.memory`, m));
  if (list[BATCH_CPU] !== undefined) {
    // An integer count of millicores, like Koordinator's kubernetes.io/batch-cpu.
    v.batchCpu = quantity(list[BATCH_CPU], 1, (m) => report(`${field}[${BATCH_CPU}]`, m));
    v.hasBatchCpu = true;
  }
  if (list[BATCH_MEMORY] !== undefined) {
    v.batchMemory = quantity(list[BATCH_MEMORY], 1, (m) => report(`${field}[${BATCH_MEMORY}]`, m));
    v.hasBatchMemory = true;
  }
  return v;
}

type Getter = (c: V1Container, status: V1ContainerStatus | undefined, prefix: string) => { list: ResourceList; field: string };

function aggregate(pod: V1Pod, get: Getter, report: Report, statuses: Map<string, V1ContainerStatus> | null): Vec {
  const out = vec();
  const containers = pod.spec?.containers ?? [];
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i]!;
    const { list, field } = get(c, statuses?.get(c.name), `spec.containers[${i}]`);
    addVec(out, readList(list, field, report));
  }
  const restartable = vec();
  const init = vec();
  const inits = pod.spec?.initContainers ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    const { list, field } = get(c, statuses?.get(c.name), `spec.initContainers[${i}]`);
    const r = readList(list, field, report);
    let need: Vec;
    if (c.restartPolicy === 'Always') {
      addVec(out, r);
      addVec(restartable, r);
      need = restartable;
    } else {
      need = vec();
      addVec(need, r);
      addVec(need, restartable);
    }
    maxVec(init, need);
  }
  maxVec(out, init);
  return out;
}

const specRequests: Getter = (c, _s, p) => ({ list: c.resources?.requests as ResourceList, field: `${p}.resources.requests` });
const specLimits: Getter = (c, _s, p) => ({ list: c.resources?.limits as ResourceList, field: `${p}.resources.limits` });
const allocatedRequests: Getter = (c, s, p) =>
  s?.allocatedResources ? { list: s.allocatedResources as ResourceList, field: `status(${c.name}).allocatedResources` } : specRequests(c, s, p);
const actuatedRequests: Getter = (c, s, p) => {
  if (s?.resources?.requests) return { list: s.resources.requests as ResourceList, field: `status(${c.name}).resources.requests` };
  return allocatedRequests(c, s, p);
};

export interface PodResources {
  requests: Resources;
  limits: Resources;
  /** Requests and limits are in tidal.io/batch-cpu / tidal.io/batch-memory. */
  extendedBatchResources: boolean;
}

/**
 * A pod's requests and limits as kube-scheduler counts them. With `batch` true and the pod naming
 * tidal.io/batch-cpu or tidal.io/batch-memory, those are its cpu and memory (a resource the pod does
 * not name in the extended form keeps its native figure).
 */
export function podResources(pod: V1Pod, batch: boolean, onIssue: IssueSink = ignore): PodResources {
  const object = `Pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  const report: Report = (field, message) => onIssue({ object, field, message });
  const statusList = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const hasStatusResources = statusList.some((s) => s.allocatedResources || s.resources?.requests);
  let req = aggregate(pod, specRequests, report, null);
  if (hasStatusResources) {
    const statuses = new Map(statusList.map((s) => [s.name, s]));
    const infeasible = (pod.status?.conditions ?? []).some((c) => c.type === 'PodResizePending' && c.reason === 'Infeasible');
    const quiet: Report = () => {};
    const allocated = aggregate(pod, allocatedRequests, quiet, statuses);
    const actuated = aggregate(pod, actuatedRequests, quiet, statuses);
    if (infeasible) req = vec();
    maxVec(req, allocated);
    maxVec(req, actuated);
  }
  const lim = aggregate(pod, specLimits, report, null);

  // Pod-level resources replace the containers' cpu/memory where set.
  const podLevel = pod.spec?.resources;
  if (podLevel?.requests) {
    const p = readList(podLevel.requests as ResourceList, 'spec.resources.requests', report);
    if (podLevel.requests.cpu !== undefined) req.cpu = p.cpu;
    if (podLevel.requests.memory !== undefined) req.memory = p.memory;
  }
  if (podLevel?.limits) {
    const p = readList(podLevel.limits as ResourceList, 'spec.resources.limits', report);
    if (podLevel.limits.cpu !== undefined) lim.cpu = p.cpu;
    if (podLevel.limits.memory !== undefined) lim.memory = p.memory;
  }
  // Overhead: added to requests, and to limits only where a limit is set.
  const overhead = pod.spec?.overhead ? readList(pod.spec.overhead as ResourceList, 'spec.overhead', report) : null;
  if (overhead) {
    req.cpu += overhead.cpu;
    req.memory += overhead.memory;
    if (lim.cpu > 0) lim.cpu += overhead.cpu;
    if (lim.memory > 0) lim.memory += overhead.memory;
  }

  const extended = batch && (req.hasBatchCpu || req.hasBatchMemory || lim.hasBatchCpu || lim.hasBatchMemory);
  if (!extended) {
    return { requests: { cpu: req.cpu, memory: req.memory }, limits: { cpu: lim.cpu, memory: lim.memory }, extendedBatchResources: false };
  }
  if (req.hasBatchCpu && req.cpu > 0) report('requests.cpu', `native cpu request ignored: the pod also requests ${BATCH_CPU}`);
  if (req.hasBatchMemory && req.memory > 0) report('requests.memory', `native memory request ignored: the pod also requests ${BATCH_MEMORY}`);
  return {
    requests: { cpu: req.hasBatchCpu ? req.batchCpu : req.cpu, memory: req.hasBatchMemory ? req.batchMemory : req.memory },
    limits: { cpu: lim.hasBatchCpu ? lim.batchCpu : lim.cpu, memory: lim.hasBatchMemory ? lim.batchMemory : lim.memory },
    extendedBatchResources: true,
  };
}

// ---------------------------------------------------------------------------------------------------
// Pods

/** Pods that have finished (phase Succeeded or Failed) no longer occupy their node. */
export function podIsTerminal(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The controlling owner reference (controller: true), as kube's GetControllerOf. */
export function controllerOf(pod: V1Pod): { kind: string; name: string } | null {
  for (const r of pod.metadata?.ownerReferences ?? []) {
    if (r.controller) return { kind: r.kind ?? '', name: r.name ?? '' };
  }
  return null;
}

// Pod-template hashes are rand.SafeEncodeString output: consonants and digits without vowels or 0/1/3.
const TEMPLATE_HASH_SUFFIX = /-[bcdfghjklmnpqrstvwxz2456789]{5,10}$/;

/**
 * Application identity: the app.kubernetes.io/name label, else the app label, else the controlling
 * workload (a ReplicaSet stands for its Deployment: the pod-template-hash suffix is stripped), else
 * the pod's own name.
 */
/** Whether any container's requests or limits name Tidal's batch resources. */
export function namesBatchResources(pod: V1Pod): boolean {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.some((c) => {
    const r = c.resources;
    return [r?.requests, r?.limits].some((l) => l !== undefined && l !== null && (BATCH_CPU in l || BATCH_MEMORY in l));
  });
}

export function appOf(pod: V1Pod): string {
  const labels = pod.metadata?.labels ?? {};
  if (labels[LABEL_APP_NAME]) return labels[LABEL_APP_NAME];
  if (labels[LABEL_APP]) return labels[LABEL_APP];
  const owner = controllerOf(pod);
  if (owner && owner.name) {
    if (owner.kind === 'ReplicaSet') {
      const hash = labels[LABEL_POD_TEMPLATE_HASH];
      if (hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
      return owner.name.replace(TEMPLATE_HASH_SUFFIX, '') || owner.name;
    }
    return owner.name;
  }
  return pod.metadata?.name ?? '';
}

function readRuntime(v: string | undefined, report: (m: string) => void): number {
  if (v === undefined) return 0;
  try {
    return parseDuration(v);
  } catch (e) {
    report((e as Error).message);
    return 0;
  }
}

function readBool(v: string | undefined, report: (m: string) => void): boolean {
  if (v === undefined) return false;
  if (v === 'true') return true;
  if (v !== 'false') report(`must be "true" or "false" (got ${JSON.stringify(v)}); taken as false`);
  return false;
}

function readProgress(v: string | undefined, report: (m: string) => void): number {
  if (v === undefined) return -1;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    report(`must be a number between 0 and 1 (got ${JSON.stringify(v)}); taken as unknown`);
    return -1;
  }
  return n;
}

export function podFromKube(pod: V1Pod, opts: PodConvertOptions = {}): PodInfo {
  const onIssue = opts.onIssue ?? ignore;
  const meta = pod.metadata ?? {};
  const namespace = meta.namespace || 'default';
  const name = meta.name ?? '';
  const object = `Pod ${namespace}/${name}`;
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  const at = (key: string) => (message: string) => onIssue({ object, field: `metadata.annotations[${key}]`, message });
  const owner = controllerOf(pod);
  const isMirror = annotations[ANNOTATION_MIRROR] !== undefined;
  const specPriority = typeof pod.spec?.priority === 'number' ? pod.spec.priority : undefined;
  const cls = classifyPod(
    {
      namespace,
      labels,
      annotations,
      priorityClassName: pod.spec?.priorityClassName,
      priority: specPriority,
      ownerKind: owner?.kind,
      isMirror,
      requestsBatchResources: namesBatchResources(pod),
    },
    opts.classification ?? DEFAULT_CLASSIFICATION,
  ).class;
  const r = podResources(pod, cls === 'batch', onIssue);
  return {
    uid: meta.uid || `${namespace}/${name}`,
    namespace,
    name,
    nodeName: pod.spec?.nodeName ?? '',
    class: cls,
    // Namespaced: two teams' "web" are different services for stacking, spread and usage curves.
    app: `${namespace}/${appOf(pod)}`,
    priority: specPriority ?? 0,
    labels,
    requests: r.requests,
    limits: r.limits,
    extendedBatchResources: r.extendedBatchResources,
    createdAt: toMillis(meta.creationTimestamp),
    startedAt: toMillis(pod.status?.startTime),
    expectedRuntimeMs: readRuntime(annotations[ANNOTATION_EXPECTED_RUNTIME], at(ANNOTATION_EXPECTED_RUNTIME)),
    checkpointable: readBool(annotations[ANNOTATION_CHECKPOINTABLE], at(ANNOTATION_CHECKPOINTABLE)),
    progress: readProgress(annotations[ANNOTATION_PROGRESS], at(ANNOTATION_PROGRESS)),
    ownerKind: owner?.kind ?? '',
    ownerName: owner?.name ?? '',
    isMirror,
    terminating: meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null,
    hasLocalStorage: (pod.spec?.volumes ?? []).some((v) => v.emptyDir != null || v.hostPath != null),
  };
}

// ---------------------------------------------------------------------------------------------------
// PodDisruptionBudgets

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/**
 * A policy/v1 PodDisruptionBudget. A null selector selects no pods (policy/v1), so such a budget
 * protects nothing and comes back as null; an empty selector selects the whole namespace.
 */
export function pdbFromKube(pdb: V1PodDisruptionBudget, onIssue: IssueSink = ignore): PdbSpec | null {
  const meta = pdb.metadata ?? {};
  const sel = pdb.spec?.selector;
  if (!sel) return null;
  const selector: LabelSelector = {};
  if (sel.matchLabels) selector.matchLabels = sel.matchLabels;
  if (sel.matchExpressions) {
    selector.matchExpressions = sel.matchExpressions.map((e, i) => {
      if (!OPERATORS.has(e.operator)) {
        onIssue({ object: `PodDisruptionBudget ${meta.namespace}/${meta.name}`, field: `spec.selector.matchExpressions[${i}].operator`, message: `unknown operator ${JSON.stringify(e.operator)}; matches nothing` });
      }
      return { key: e.key, operator: e.operator as 'In', values: e.values };
    });
  }
  const allowed = pdb.status?.disruptionsAllowed;
  return {
    namespace: meta.namespace || 'default',
    name: meta.name ?? '',
    selector,
    disruptionsAllowed: typeof allowed === 'number' && allowed > 0 ? allowed : 0,
  };
}

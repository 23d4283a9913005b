// The policy core's model of a cluster. Front ends (informers, trace readers) translate into these
// shapes; nothing here knows about Kubernetes objects, HTTP or files.

/** CPU in millicores, memory in bytes. */
export interface Resources {
  cpu: number;
  memory: number;
}

/**
 * online: latency-sensitive services, never evicted by Tidal.
 * batch: best-effort, preemptible work that borrows idle capacity.
 * system: pods Tidal neither places nor evicts (DaemonSets, control plane, kube-system), but whose
 *         requests and usage it still counts, because they occupy the node.
 */
export type WorkloadClass = 'online' | 'batch' | 'system';

/** What the core knows of a node (built from a v1.Node by scheduler/kube/convert.ts; not Kubernetes' v1.NodeSpec). */
export interface NodeInfo {
  name: string;
  allocatable: Resources;
  /** Maximum pods (status.allocatable.pods). */
  maxPods: number;
  labels: Readonly<Record<string, string>>;
  /** topology.kubernetes.io/zone, or "" when the node has none. */
  zone: string;
  /** spec.unschedulable (cordoned); such nodes keep their pods but receive no new ones. */
  unschedulable: boolean;
  /** spec.taints the simulator's peer controllers set (Volcano's evicting taint); absent: none. */
  taints?: readonly NodeTaint[];
}

export interface NodeTaint {
  key: string;
  value: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** What the core knows of a pod (built from a v1.Pod by scheduler/kube/convert.ts; not Kubernetes' v1.PodSpec). */
export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  /** The node the pod is bound to, or "" while pending. */
  nodeName: string;
  class: WorkloadClass;
  /** Application identity used for stacking limits, spread and usage curves (owner workload or app label). */
  app: string;
  priority: number;
  labels: Readonly<Record<string, string>>;
  /** Sum of container requests (plus the largest init container, as kube-scheduler counts them). */
  requests: Resources;
  limits: Resources;
  /**
   * The requests are Tidal's extended batch resources (tidal.io/batch-cpu, tidal.io/batch-memory), which
   * kube-scheduler is configured to ignore: such a pod does not count against native cpu/memory there.
   */
  extendedBatchResources: boolean;
  /** Creation time, ms since epoch. */
  createdAt: number;
  /** status.startTime, ms since epoch, or 0 when not started. */
  startedAt: number;
  /** Declared expected runtime for batch pods (ms), 0 when unknown. */
  expectedRuntimeMs: number;
  /** Batch pods that can resume from a checkpoint lose little when evicted. */
  checkpointable: boolean;
  /** Reported progress of a batch pod in [0, 1], or -1 when unknown. */
  progress: number;
  /** Owner kind of the controlling owner reference ("ReplicaSet", "Job", "DaemonSet", ...), "" for bare pods. */
  ownerKind: string;
  ownerName: string;
  /** Pods the descheduler must never touch regardless of class. */
  isMirror: boolean;
  terminating: boolean;
  /** Uses emptyDir or hostPath volumes, whose data an eviction destroys. */
  hasLocalStorage: boolean;
}

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: ReadonlyArray<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: readonly string[] }>;
}

/** A PodDisruptionBudget as far as eviction planning needs it: which pods, and how many may go now. */
export interface PdbSpec {
  namespace: string;
  name: string;
  selector: LabelSelector;
  /** status.disruptionsAllowed as the disruption controller last computed it. */
  disruptionsAllowed: number;
}

/** One observation of a node's usage, split by class. Usage of system pods counts on the online side. */
export interface UsageSample {
  /** ms since epoch. */
  time: number;
  /** Everything that is not batch: online pods, system pods and daemons, OS overhead. */
  online: Resources;
  batch: Resources;
}

export function addInto(target: Resources, r: Readonly<Resources>, sign = 1): void {
  target.cpu += sign * r.cpu;
  target.memory += sign * r.memory;
}

/**
 * kube-scheduler's defaults for a container that requests no CPU or memory (pkg/scheduler/util
 * DefaultMilliCPURequest, DefaultMemoryRequest): its scores (NodeResourcesFit) count such a container
 * at these figures, its filters at zero.
 */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/**
 * The pod's requests of native cpu and memory as kube-scheduler sees them: none for a pod that asks
 * for extended batch resources instead (Tidal's tidal.io/batch-*, a peer's batch-cpu).
 */
export function nativeCpu(p: PodInfo): number {
  return p.extendedBatchResources ? 0 : p.requests.cpu;
}

export function nativeMemory(p: PodInfo): number {
  return p.extendedBatchResources ? 0 : p.requests.memory;
}

/**
 * The pod's native requests with kube-scheduler's non-zero defaults (NonMissingContainerRequests),
 * as NodeResourcesFit's LeastAllocated score counts them. The core keeps a pod's requests summed
 * over its containers, so a pod is taken as one container: no request -> the default (a pod with two
 * containers that both request nothing counts once, not twice).
 */
export function nonZeroCpu(p: PodInfo): number {
  const c = nativeCpu(p);
  return c > 0 ? c : DEFAULT_MILLI_CPU_REQUEST;
}

export function nonZeroMemory(p: PodInfo): number {
  const m = nativeMemory(p);
  return m > 0 ? m : DEFAULT_MEMORY_REQUEST;
}

export function podKey(p: Pick<PodInfo, 'namespace' | 'name'>): string {
  return `${p.namespace}/${p.name}`;
}

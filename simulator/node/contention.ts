// What one node does with its pods' demand over one sample interval when that demand may not fit:
// CPU is shared (compressible), memory is not (the OOM killer picks victims). Pure and
// allocation-free per call: the caller owns the pod buffer, the workspace and the result, and reuses
// them across nodes and samples. Units follow the policy core: CPU in millicores, memory in bytes,
// time in ms; denied CPU is reported in core-seconds.
//
// CPU model (Linux CFS as the kubelet configures it):
// - Two tiers with strict precedence: non-batch (online + system) first, batch on what is left. The
//   kubelet gives a pod cpu.shares = request x 1024 / 1000 (at least 2); batch runs in the besteffort
//   cgroup (shares 2) or with cpu.idle, whose weight next to a node's online shares is ~0.1%, so strict
//   precedence is the model and that sliver is ignored.
// - Inside a tier CFS is work-conserving and weighted: a pod that wants less than its weighted share
//   keeps what it wants and the rest is re-divided among the others by weight (weighted max-min
//   fairness, "water-filling"). The weight is the pod's CPU request (cpu.shares), not its demand: that
//   is what CFS uses, and it is why an online pod running far above its request loses most when the
//   node is short. Batch pods are weighted by their requests too: koordlet and Tidal set a batch pod's
//   cpu.shares from its batch-cpu request, so equal-request batch pods share equally.
// - An optional batch CPU cap (a node agent's own throttle: koordlet BE suppression, Tidal's) bounds
//   the batch tier as a CFS quota on the besteffort cgroup would.
// - Not modelled: per-pod limits (CFS quota throttling), CPU bursts within the interval, SMT, cpusets.
//
// Memory model (kernel OOM killer with the kubelet's oom_score_adj):
// - When the pods' memory demand exceeds allocatable memory, the kernel kills the task with the highest
//   badness, oom_badness() in mm/oom_kill.c: points = rss + swap + page tables, plus
//   oom_score_adj x totalpages / 1000 (totalpages: here allocatable memory, the kubepods cgroup limit);
//   adj -1000 is never killed. It repeats until the rest fits.
// - The kubelet's oom_score_adj, pkg/kubelet/qos/policy.go GetContainerOOMScoreAdjust: Guaranteed -997
//   (also node-critical pods), BestEffort 1000, Burstable 1000 - 1000 x memoryRequest / memoryCapacity,
//   clamped to [3, 999]. See kubeletOomScoreAdj below.
// - So BestEffort pods (batch on Koordinator's and Tidal's extended batch resources) die first, largest
//   first; an online pod dies only when, batch gone, the rest still does not fit (or when a Burstable
//   pod far above its request outranks a Burstable batch pod: that is the kernel's choice, kept).
// - Killed pods get no CPU this interval and are left out of the CPU demand (their work is lost; the
//   engine recreates them through their controller).
// - Not modelled: page-cache reclaim (demand is treated as working set), kubelet memory-pressure
//   eviction, swap, memcg limits per pod.

export const ONLINE = 0;
export const SYSTEM = 1;
export const BATCH = 2;
/** Class codes as stored in PodBuffer.cls; index into the per-class result arrays. */
export type ClassCode = typeof ONLINE | typeof SYSTEM | typeof BATCH;
export const CLASS_CODE: Readonly<Record<'online' | 'system' | 'batch', ClassCode>> = { online: ONLINE, system: SYSTEM, batch: BATCH };

const GUARANTEED_OOM_SCORE_ADJ = -997;
const BESTEFFORT_OOM_SCORE_ADJ = 1000;
/** cpu.shares floor (MinShares) expressed in millicores: 2 shares = 2 x 1000 / 1024 m. */
const MIN_WEIGHT_MILLI = 2000 / 1024;

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The kubelet's oom_score_adj for a pod's containers (pkg/kubelet/qos/policy.go). */
export function kubeletOomScoreAdj(qos: QosClass, memoryRequest: number, memoryCapacity: number, nodeCritical = false): number {
  if (nodeCritical || qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  if (!(memoryCapacity > 0)) throw new RangeError(`kubeletOomScoreAdj: memoryCapacity must be > 0, got ${memoryCapacity}`);
  const adj = 1000 - Math.trunc((1000 * memoryRequest) / memoryCapacity);
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}

/** The pods on one node for one interval, as growable parallel arrays (reuse it: reset, then push). */
export class PodBuffer {
  count = 0;
  cls: Uint8Array;
  cpuDemand: Float64Array;
  cpuRequest: Float64Array;
  memDemand: Float64Array;
  oomScoreAdj: Int16Array;
  priority: Float64Array;
  /** Stable ids: the last tie-break of the OOM order, so a run is reproducible. */
  id: string[];

  constructor(capacity = 16) {
    this.cls = new Uint8Array(capacity);
    this.cpuDemand = new Float64Array(capacity);
    this.cpuRequest = new Float64Array(capacity);
    this.memDemand = new Float64Array(capacity);
    this.oomScoreAdj = new Int16Array(capacity);
    this.priority = new Float64Array(capacity);
    this.id = new Array<string>(capacity).fill('');
  }

  get capacity(): number {
    return this.cls.length;
  }

  reset(): void {
    this.count = 0;
  }

  /** Adds one pod; returns its index. Demands and requests must be finite and >= 0. */
  push(cls: ClassCode, cpuDemand: number, cpuRequest: number, memDemand: number, oomScoreAdj: number, priority: number, id: string): number {
    if (!(cpuDemand >= 0 && cpuDemand < Infinity)) throw new RangeError(`PodBuffer.push ${id}: cpuDemand must be finite and >= 0, got ${cpuDemand}`);
    if (!(cpuRequest >= 0 && cpuRequest < Infinity)) throw new RangeError(`PodBuffer.push ${id}: cpuRequest must be finite and >= 0, got ${cpuRequest}`);
    if (!(memDemand >= 0 && memDemand < Infinity)) throw new RangeError(`PodBuffer.push ${id}: memDemand must be finite and >= 0, got ${memDemand}`);
    if (!(oomScoreAdj >= -1000 && oomScoreAdj <= 1000)) throw new RangeError(`PodBuffer.push ${id}: oomScoreAdj must be in [-1000, 1000], got ${oomScoreAdj}`);
    if (cls !== ONLINE && cls !== SYSTEM && cls !== BATCH) throw new RangeError(`PodBuffer.push ${id}: unknown class code ${cls}`);
    if (this.count === this.cls.length) this.grow();
    const i = this.count++;
    this.cls[i] = cls;
    this.cpuDemand[i] = cpuDemand;
    this.cpuRequest[i] = cpuRequest;
    this.memDemand[i] = memDemand;
    this.oomScoreAdj[i] = oomScoreAdj;
    this.priority[i] = priority;
    this.id[i] = id;
    return i;
  }

  private grow(): void {
    const n = this.cls.length * 2;
    const copy = <T extends Uint8Array | Float64Array | Int16Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.cls = copy(this.cls, (k) => new Uint8Array(k));
    this.cpuDemand = copy(this.cpuDemand, (k) => new Float64Array(k));
    this.cpuRequest = copy(this.cpuRequest, (k) => new Float64Array(k));
    this.memDemand = copy(this.memDemand, (k) => new Float64Array(k));
    this.oomScoreAdj = copy(this.oomScoreAdj, (k) => new Int16Array(k));
    this.priority = copy(this.priority, (k) => new Float64Array(k));
    for (let i = this.id.length; i < n; i++) this.id.push('');
  }
}

export interface NodeCapacity {
  /** Allocatable CPU, millicores. */
  cpu: number;
  /** Allocatable memory, bytes. */
  memory: number;
}

export interface ContentionOptions {
  /** Sample interval, ms (for the core-seconds figures). */
  intervalMs: number;
  /** Upper bound on the batch tier's CPU (millicores); Infinity or undefined for none. */
  batchCpuCap?: number;
  /** Interference when total CPU granted exceeds this fraction of allocatable while an online pod runs. Default 0.8. */
  interferenceFraction?: number;
}

/** Per-call outputs; caller-owned and reused. Per-pod arrays are indexed like the PodBuffer. */
export class ContentionResult {
  /** CPU granted per pod, millicores. */
  cpuGranted = new Float64Array(16);
  /** granted / demand per pod (1 when the demand is 0; 0 when OOM-killed): a batch pod's progress rate. */
  rate = new Float64Array(16);
  /** 1 when the pod was OOM-killed this interval. */
  killed = new Uint8Array(16);
  /** Indices of OOM victims in kill order; the first oomKillCount entries are valid. */
  oomVictims = new Int32Array(16);
  oomKillCount = 0;
  /** OOM kills per class (index ONLINE, SYSTEM, BATCH). */
  readonly oomKillsByClass = new Int32Array(3);
  /** CPU demand of the surviving pods per class, millicores. */
  readonly cpuDemandByClass = new Float64Array(3);
  readonly cpuGrantedByClass = new Float64Array(3);
  /** CPU denied per class over the interval, core-seconds (unmet online CPU is index ONLINE). */
  readonly cpuDeniedCoreSeconds = new Float64Array(3);
  /** Memory demand of the survivors, bytes. */
  memUsed = 0;
  /** Total CPU granted, millicores. */
  cpuUsed = 0;
  /** CPU demand exceeded what the node (or the batch cap) could give. */
  cpuContended = false;
  interference = false;

  ensure(n: number): void {
    if (this.cpuGranted.length >= n) return;
    let m = this.cpuGranted.length;
    while (m < n) m *= 2;
    this.cpuGranted = new Float64Array(m);
    this.rate = new Float64Array(m);
    this.killed = new Uint8Array(m);
    this.oomVictims = new Int32Array(m);
  }
}

/** Scratch space for the contended path; one per engine, reused. */
export class ContentionWorkspace {
  order = new Int32Array(16);
  key = new Float64Array(16);

  ensure(n: number): void {
    if (this.order.length >= n) return;
    let m = this.order.length;
    while (m < n) m *= 2;
    this.order = new Int32Array(m);
    this.key = new Float64Array(m);
  }
}

const CORE_SECONDS_PER_MILLI_MS = 1e-6;

/** CPU demand of the online and system pods in the buffer (millicores): the usage a node agent's batch cap subtracts. */
export function nonBatchCpuDemand(pods: PodBuffer): number {
  let sum = 0;
  for (let i = 0; i < pods.count; i++) if (pods.cls[i] !== BATCH) sum += pods.cpuDemand[i]!;
  return sum;
}

/**
 * Shares one node's CPU and memory among its pods for one interval (see the header for the model).
 * Writes into `out`; returns it.
 */
export function resolveNode(node: NodeCapacity, pods: PodBuffer, opts: ContentionOptions, ws: ContentionWorkspace, out: ContentionResult): ContentionResult {
  if (!(node.cpu >= 0) || !(node.memory >= 0)) throw new RangeError(`resolveNode: allocatable must be >= 0, got cpu ${node.cpu}, memory ${node.memory}`);
  if (!(opts.intervalMs >= 0)) throw new RangeError(`resolveNode: intervalMs must be >= 0, got ${opts.intervalMs}`);
  const n = pods.count;
  out.ensure(n);
  out.oomKillCount = 0;
  out.oomKillsByClass.fill(0);
  out.cpuDemandByClass.fill(0);
  out.cpuGrantedByClass.fill(0);
  out.cpuDeniedCoreSeconds.fill(0);
  const cls = pods.cls;
  const cpuDemand = pods.cpuDemand;
  const granted = out.cpuGranted;
  const killed = out.killed;

  let memTotal = 0;
  for (let i = 0; i < n; i++) {
    killed[i] = 0;
    memTotal += pods.memDemand[i]!;
  }
  if (memTotal > node.memory) memTotal = oomKill(node.memory, memTotal, pods, ws, out);
  out.memUsed = memTotal;

  let nonBatchDemand = 0;
  let batchDemand = 0;
  let onlineRunning = false;
  for (let i = 0; i < n; i++) {
    if (killed[i]) continue;
    const c = cls[i]!;
    out.cpuDemandByClass[c]! += cpuDemand[i]!;
    if (c === BATCH) batchDemand += cpuDemand[i]!;
    else {
      nonBatchDemand += cpuDemand[i]!;
      if (c === ONLINE) onlineRunning = true;
    }
  }
  const nonBatchCap = node.cpu;
  const cap = opts.batchCpuCap ?? Infinity;
  if (!(cap >= 0)) throw new RangeError(`resolveNode: batchCpuCap must be >= 0, got ${cap}`);
  const nonBatchShort = nonBatchDemand > nonBatchCap;
  const batchRoom = Math.min(cap, Math.max(0, node.cpu - Math.min(nonBatchDemand, nonBatchCap)));
  const batchShort = batchDemand > batchRoom;
  out.cpuContended = nonBatchShort || batchShort;

  // Fast path: everyone gets what they ask.
  if (!nonBatchShort) {
    for (let i = 0; i < n; i++) if (!killed[i] && cls[i] !== BATCH) granted[i] = cpuDemand[i]!;
  } else waterFill(pods, false, nonBatchCap, ws, out);
  if (!batchShort) {
    for (let i = 0; i < n; i++) if (!killed[i] && cls[i] === BATCH) granted[i] = cpuDemand[i]!;
  } else waterFill(pods, true, batchRoom, ws, out);

  let used = 0;
  const toCoreSeconds = opts.intervalMs * CORE_SECONDS_PER_MILLI_MS;
  for (let i = 0; i < n; i++) {
    if (killed[i]) {
      granted[i] = 0;
      out.rate[i] = 0;
      continue;
    }
    const g = granted[i]!;
    const d = cpuDemand[i]!;
    used += g;
    out.cpuGrantedByClass[cls[i]!]! += g;
    out.cpuDeniedCoreSeconds[cls[i]!]! += (d - g) * toCoreSeconds;
    out.rate[i] = d > 0 ? g / d : 1;
  }
  out.cpuUsed = used;
  out.interference = onlineRunning && used > (opts.interferenceFraction ?? 0.8) * node.cpu;
  return out;
}

/**
 * Weighted max-min fair share of `capacity` among the surviving pods of one tier (batch or not),
 * weight = CPU request (cpu.shares, floored at 2 shares). Pods are visited in increasing
 * demand/weight; each either gets its whole demand or, from the first that cannot, all the rest get
 * capacity x weight / remaining weight.
 */
function waterFill(pods: PodBuffer, batch: boolean, capacity: number, ws: ContentionWorkspace, out: ContentionResult): void {
  ws.ensure(pods.count);
  const order = ws.order;
  const key = ws.key;
  let m = 0;
  let weightLeft = 0;
  for (let i = 0; i < pods.count; i++) {
    if (out.killed[i] || (pods.cls[i] === BATCH) !== batch) continue;
    const w = weightOf(pods, i);
    weightLeft += w;
    key[m] = pods.cpuDemand[i]! / w;
    order[m++] = i;
  }
  sortByKey(order, key, m);
  let left = capacity;
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    const w = weightOf(pods, i);
    const share = (left * w) / weightLeft;
    const d = pods.cpuDemand[i]!;
    let g = d <= share ? d : share;
    if (g > left) g = left; // float round-off in weightLeft must not hand out more than is left
    out.cpuGranted[i] = g;
    left -= g;
    weightLeft -= w;
    if (left < 0) left = 0;
  }
}

function weightOf(pods: PodBuffer, i: number): number {
  const r = pods.cpuRequest[i]!;
  return r > MIN_WEIGHT_MILLI ? r : MIN_WEIGHT_MILLI;
}

/**
 * Kills pods in the kernel's badness order until the survivors' memory fits; returns their total.
 * Ties (equal badness) go to the lower priority, then the larger memory, then the smaller id. Each kill
 * is a scan for the worst survivor, as select_bad_process() does: kills are few, so this beats sorting.
 */
function oomKill(capacity: number, total: number, pods: PodBuffer, ws: ContentionWorkspace, out: ContentionResult): number {
  ws.ensure(pods.count);
  const order = ws.order;
  const key = ws.key;
  let m = 0;
  for (let i = 0; i < pods.count; i++) {
    const adj = pods.oomScoreAdj[i]!;
    if (adj === -1000) continue; // OOM_SCORE_ADJ_MIN: the kernel never picks it
    key[m] = pods.memDemand[i]! + (adj * capacity) / 1000;
    order[m++] = i;
  }
  while (total > capacity && m > 0) {
    let best = 0;
    for (let k = 1; k < m; k++) if (victimBefore(pods, key[k]!, order[k]!, key[best]!, order[best]!)) best = k;
    const i = order[best]!;
    // Drop the victim from the candidates (swap with the last).
    m--;
    order[best] = order[m]!;
    key[best] = key[m]!;
    out.killed[i] = 1;
    out.oomVictims[out.oomKillCount++] = i;
    out.oomKillsByClass[pods.cls[i]!]! += 1;
    total -= pods.memDemand[i]!;
  }
  return total;
}

/** Insertion sort of order[0..m) by ascending key (kept parallel); the pod counts per node are small. */
function sortByKey(order: Int32Array, key: Float64Array, m: number): void {
  for (let a = 1; a < m; a++) {
    const o = order[a]!;
    const k = key[a]!;
    let b = a - 1;
    while (b >= 0 && key[b]! > k) {
      order[b + 1] = order[b]!;
      key[b + 1] = key[b]!;
      b--;
    }
    order[b + 1] = o;
    key[b + 1] = k;
  }
}

function victimBefore(pods: PodBuffer, ka: number, a: number, kb: number, b: number): boolean {
  if (ka !== kb) return ka > kb;
  const pa = pods.priority[a]!;
  const pb = pods.priority[b]!;
  if (pa !== pb) return pa < pb;
  const ma = pods.memDemand[a]!;
  const mb = pods.memDemand[b]!;
  if (ma !== mb) return ma > mb;
  return pods.id[a]! < pods.id[b]!;
}

// Per-node figures that every decision reads, stored column-wise (one typed array per figure, one row
// per node). A decision over thousands of nodes then streams through contiguous memory instead of
// chasing pointers from node to spec to resources to numbers, which is what bounded its speed.
// NodeState keeps the canonical per-node objects and writes its row after every change; the filter
// and score plugins read rows by node index.

import type { UsageConfig, UsageHistory } from './usage.ts';

const F64 = [
  'allocCpu',
  'allocMem',
  'maxPods',
  'pods',
  /** Requests of online and system pods (everything kube-scheduler counts that is not batch). */
  'nonBatchCpu',
  'nonBatchMem',
  'batchCpu',
  'batchMem',
  /** Native cpu/memory requests as kube-scheduler counts them (nodeInfo.Requested: pods asking for extended batch resources count 0). */
  'nativeCpu',
  'nativeMem',
  /** The same with kube-scheduler's non-zero defaults per pod (nodeInfo.NonZeroRequested; model.ts nonZeroCpu). */
  'nonZeroCpu',
  'nonZeroMem',
  /** The node's PreferNoSchedule taints (TaintToleration's score counts those a pod does not tolerate). */
  'preferNoSchedule',
  /** Requests of non-batch pods bound since the latest usage sample. */
  'unmeteredCpu',
  'unmeteredMem',
  /** Bumped on every change to the node, its pods or its usage. */
  'version',
  /** Latest usage sample time + staleAfter: usage predicts until then; -Infinity without samples. */
  'freshUntil',
  /** Predicted online-side usage, valid for (predVersion, predFresh). */
  'predCpu',
  'predMem',
  'predVersion',
] as const;

type F64Column = (typeof F64)[number];

export class NodeTable {
  readonly usage: UsageConfig;
  size = 0;
  /** Bumped whenever rows are added or moved (swapRemove): a row index then names another node. */
  layout = 0;
  #capacity = 0;
  allocCpu = new Float64Array(0);
  allocMem = new Float64Array(0);
  maxPods = new Float64Array(0);
  pods = new Float64Array(0);
  nonBatchCpu = new Float64Array(0);
  nonBatchMem = new Float64Array(0);
  batchCpu = new Float64Array(0);
  batchMem = new Float64Array(0);
  nativeCpu = new Float64Array(0);
  nativeMem = new Float64Array(0);
  nonZeroCpu = new Float64Array(0);
  nonZeroMem = new Float64Array(0);
  preferNoSchedule = new Float64Array(0);
  unmeteredCpu = new Float64Array(0);
  unmeteredMem = new Float64Array(0);
  version = new Float64Array(0);
  freshUntil = new Float64Array(0);
  predCpu = new Float64Array(0);
  predMem = new Float64Array(0);
  predVersion = new Float64Array(0);
  /** 1 when the cached prediction was made from fresh usage, 0 from requests. */
  predFresh = new Uint8Array(0);
  unschedulable = new Uint8Array(0);
  /** Zone id (ClusterState.zoneNames), -1 when the node has no zone. */
  zone = new Int32Array(0);
  /** FNV-1a hash of the node's name (place()'s tie-break mixes it with the pod's). */
  nameHash = new Int32Array(0);
  /** Each row's usage history (objects, not numbers: read only when a prediction is recomputed). */
  readonly histories: UsageHistory[] = [];

  constructor(usage: UsageConfig, initialCapacity = 64) {
    this.usage = usage;
    this.#grow(initialCapacity);
  }

  /** Appends a row for a node with this usage history and returns its index. */
  add(history: UsageHistory): number {
    if (this.size === this.#capacity) this.#grow(this.#capacity * 2);
    const i = this.size++;
    this.layout++;
    this.histories[i] = history;
    for (const c of F64) this[c][i] = 0;
    this.freshUntil[i] = -Infinity;
    this.predVersion[i] = -1;
    this.predFresh[i] = 0;
    this.unschedulable[i] = 0;
    this.zone[i] = -1;
    this.nameHash[i] = 0;
    return i;
  }

  /** Removes row i by moving the last row into it; returns the index that moved (or -1). */
  swapRemove(i: number): number {
    const last = --this.size;
    this.layout++;
    const history = this.histories.pop()!;
    if (i === last) return -1;
    this.histories[i] = history;
    for (const c of F64) this[c][i] = this[c][last]!;
    this.predFresh[i] = this.predFresh[last]!;
    this.unschedulable[i] = this.unschedulable[last]!;
    this.zone[i] = this.zone[last]!;
    this.nameHash[i] = this.nameHash[last]!;
    return last;
  }

  #grow(capacity: number): void {
    const copy = <T extends Float64Array | Uint8Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const a = make(capacity);
      a.set(old.subarray(0, this.size) as never);
      return a;
    };
    for (const c of F64) (this as Record<F64Column, Float64Array>)[c] = copy(this[c], (n) => new Float64Array(n));
    this.predFresh = copy(this.predFresh, (n) => new Uint8Array(n));
    this.unschedulable = copy(this.unschedulable, (n) => new Uint8Array(n));
    this.zone = copy(this.zone, (n) => new Int32Array(n));
    this.nameHash = copy(this.nameHash, (n) => new Int32Array(n));
    this.#capacity = capacity;
  }
}

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

// Per-node combined online curves for complementary-peak placement, kept incrementally.
//
// For every node (row i of the node table) and every slot of the coming day (d = slot of day), the sum
// over the node's online tenants of their apps' per-pod curves (app-curves.ts):
//
//   M(i, d) = sum over apps a on i of n_a * mean_a(d)            (+ flat requests, see below)
//   V(i, d) = sum over apps a on i of (n_a * sd_a(d))^2
//   P(i, d) = M(i, d) + z * sqrt(V(i, d))                         the predicted combined usage
//
// Within one app the pods' deviations are taken as fully correlated (their standard deviations add
// linearly: n_a * sd_a); across apps as independent (variances add). A pod whose app has no learned
// curve yet, and every system pod, counts flat at its requests (variance 0).
//
// Updates are incremental: a pod added to or removed from a node changes that row by its own app's
// contribution (O(96)); a changed app curve (a slot visit folded, or the horizon moving on by one
// slot) changes only the slots where the compiled curve differs, on the nodes that host the app. Per
// row, the maximum of P over each block of 8 slots (2 hours) is kept too, so that a decision can bound
// a node's combined peak from 12 numbers per resource and look at single slots only where the bound
// is not decisive (plugins/complementary-peak.ts).

import { SLOTS_PER_DAY, newDayCurve, type AppCurves, type DayCurve } from './app-curves.ts';
import type { PodInfo } from './model.ts';
import type { NodeState } from './state.ts';

export const BLOCK_SLOTS = 8;
export const BLOCKS = SLOTS_PER_DAY / BLOCK_SLOTS;
const D = SLOTS_PER_DAY;

/** An app's pods on one node. */
export interface Tenant {
  n: number;
  /** Sum of their requests (their flat contribution while the app has no curve). */
  reqCpu: number;
  reqMem: number;
}

interface AppEntry {
  /** The per-pod curve the rows were last updated with; null: flat at requests. */
  curve: DayCurve | null;
  /** Spare arrays for recompiling. */
  spare: DayCurve | null;
  readonly hosts: Map<NodeState, Tenant>;
}

export class NodeCurves {
  readonly curves: AppCurves;
  readonly z: number;
  /** Week slot the horizon (the 96 slots the rows describe) starts at; -1 before the first sync. */
  epoch = -1;
  size = 0;
  #capacity = 0;
  /** Row-major: row i's slot d at i * 96 + d. */
  mCpu = new Float64Array(0);
  vCpu = new Float64Array(0);
  mMem = new Float64Array(0);
  vMem = new Float64Array(0);
  /** Row i's block b at i * BLOCKS + b: max of P over the block's slots. */
  blkCpu = new Float64Array(0);
  blkMem = new Float64Array(0);
  /** Row i's peak: the max of its blocks (a one-comparison test for nodes far from any limit). */
  peakCpu = new Float64Array(0);
  peakMem = new Float64Array(0);
  /** Bumped on every change to any row (plugins cache per-decision figures against it). */
  version = 0;
  readonly #apps = new Map<string, AppEntry>();
  readonly #changed = new Uint8Array(D);

  constructor(curves: AppCurves, initialCapacity = 64) {
    this.curves = curves;
    this.z = curves.config.z;
    this.#grow(Math.max(1, initialCapacity));
  }

  /** The tenants of `app` by node (read-only use). */
  hostsOf(app: string): ReadonlyMap<NodeState, Tenant> | undefined {
    return this.#apps.get(app)?.hosts;
  }

  /** The per-pod curve the rows use for `app` (null when flat or unknown). */
  curveOf(app: string): DayCurve | null {
    return this.#apps.get(app)?.curve ?? null;
  }

  /** P(i, d) for CPU. */
  pCpu(i: number, d: number): number {
    const k = i * D + d;
    const v = this.vCpu[k]!;
    return this.mCpu[k]! + (v > 0 ? this.z * Math.sqrt(v) : 0);
  }

  /** P(i, d) for memory. */
  pMem(i: number, d: number): number {
    const k = i * D + d;
    const v = this.vMem[k]!;
    return this.mMem[k]! + (v > 0 ? this.z * Math.sqrt(v) : 0);
  }

  // ---- rows (mirroring the node table) ------------------------------------------------------------

  addRow(i: number): void {
    if (i >= this.#capacity) this.#grow(Math.max(i + 1, this.#capacity * 2));
    if (i >= this.size) this.size = i + 1;
    this.mCpu.fill(0, i * D, (i + 1) * D);
    this.vCpu.fill(0, i * D, (i + 1) * D);
    this.mMem.fill(0, i * D, (i + 1) * D);
    this.vMem.fill(0, i * D, (i + 1) * D);
    this.blkCpu.fill(0, i * BLOCKS, (i + 1) * BLOCKS);
    this.blkMem.fill(0, i * BLOCKS, (i + 1) * BLOCKS);
    this.peakCpu[i] = 0;
    this.peakMem[i] = 0;
    this.version++;
  }

  /** Row i goes; the last row moves into it (NodeTable.swapRemove). Its pods must be detached first. */
  swapRemove(i: number): void {
    const last = --this.size;
    if (i !== last) {
      for (const a of [this.mCpu, this.vCpu, this.mMem, this.vMem]) a.copyWithin(i * D, last * D, (last + 1) * D);
      for (const a of [this.blkCpu, this.blkMem]) a.copyWithin(i * BLOCKS, last * BLOCKS, (last + 1) * BLOCKS);
      this.peakCpu[i] = this.peakCpu[last]!;
      this.peakMem[i] = this.peakMem[last]!;
    }
    this.version++;
  }

  // ---- pods ---------------------------------------------------------------------------------------

  /** A pod joins node's row (online: its app's curve; system: flat at requests; batch: nothing). */
  attach(pod: PodInfo, node: NodeState): void {
    if (pod.class === 'batch') return;
    const i = node.index;
    if (pod.class === 'system') {
      this.#flat(i, pod.requests.cpu, pod.requests.memory);
    } else {
      let e = this.#apps.get(pod.app);
      if (!e) {
        e = { curve: null, spare: null, hosts: new Map() };
        this.#apps.set(pod.app, e);
        if (this.epoch >= 0) this.#compileInto(pod.app, e);
      }
      let t = e.hosts.get(node);
      if (!t) e.hosts.set(node, (t = { n: 0, reqCpu: 0, reqMem: 0 }));
      if (e.curve) this.#addPod(i, e.curve, t.n, 1);
      else this.#flat(i, pod.requests.cpu, pod.requests.memory);
      t.n++;
      t.reqCpu += pod.requests.cpu;
      t.reqMem += pod.requests.memory;
    }
    this.#blocks(i, 0, BLOCKS);
    this.version++;
  }

  detach(pod: PodInfo, node: NodeState): void {
    if (pod.class === 'batch') return;
    const i = node.index;
    if (pod.class === 'system') {
      this.#flat(i, -pod.requests.cpu, -pod.requests.memory);
    } else {
      const e = this.#apps.get(pod.app);
      const t = e?.hosts.get(node);
      if (!e || !t) return;
      t.n--;
      if (e.curve) this.#addPod(i, e.curve, t.n, -1);
      else this.#flat(i, -pod.requests.cpu, -pod.requests.memory);
      t.reqCpu -= pod.requests.cpu;
      t.reqMem -= pod.requests.memory;
      if (t.n <= 0) {
        e.hosts.delete(node);
        if (e.hosts.size === 0) this.#apps.delete(pod.app);
        // Rounding left by many adds and removes: an empty row is exactly empty.
        if (node.podCount === 0) this.#zeroRow(i);
      }
    }
    this.#blocks(i, 0, BLOCKS);
    this.version++;
  }

  // ---- curves -------------------------------------------------------------------------------------

  /**
   * Brings the rows up to date at `now`: the horizon starts at now's slot, and apps whose curves
   * changed since the last sync are recompiled. Cheap when nothing changed (one slot computation).
   */
  sync(now: number): void {
    const ep = this.curves.slotOf(now);
    const changed = this.curves.drainChanged();
    if (ep !== this.epoch || changed === null) {
      this.epoch = ep;
      for (const [app, e] of this.#apps) this.#recompile(app, e);
      return;
    }
    if (changed.size === 0) return;
    for (const app of changed) {
      const e = this.#apps.get(app);
      if (e) this.#recompile(app, e);
    }
  }

  #compileInto(app: string, e: AppEntry): void {
    const c = e.spare ?? newDayCurve();
    if (this.curves.compile(app, this.epoch, c)) {
      e.spare = e.curve;
      e.curve = c;
    } else {
      e.spare = c;
    }
  }

  /** Recompiles an app's curve and moves its hosts' rows from the old curve to the new, slot by slot. */
  #recompile(app: string, e: AppEntry): void {
    const next = e.spare ?? newDayCurve();
    const has = this.curves.compile(app, this.epoch, next);
    const old = e.curve;
    if (!has && !old) {
      e.spare = next;
      return;
    }
    const ch = this.#changed;
    let any = false;
    for (let d = 0; d < D; d++) {
      const diff = !has || !old || next.cpu[d] !== old.cpu[d] || next.cpuVar[d] !== old.cpuVar[d] || next.memory[d] !== old.memory[d] || next.memVar[d] !== old.memVar[d];
      ch[d] = diff ? 1 : 0;
      if (diff) any = true;
    }
    if (!any) {
      e.spare = next;
      return;
    }
    for (const [node, t] of e.hosts) {
      const i = node.index;
      const base = i * D;
      const n = t.n;
      const n2 = n * n;
      for (let d = 0; d < D; d++) {
        if (!ch[d]) continue;
        const k = base + d;
        if (old) {
          this.mCpu[k]! -= n * old.cpu[d]!;
          this.vCpu[k]! -= n2 * old.cpuVar[d]!;
          this.mMem[k]! -= n * old.memory[d]!;
          this.vMem[k]! -= n2 * old.memVar[d]!;
        } else {
          this.mCpu[k]! -= t.reqCpu;
          this.mMem[k]! -= t.reqMem;
        }
        if (has) {
          this.mCpu[k]! += n * next.cpu[d]!;
          this.vCpu[k]! += n2 * next.cpuVar[d]!;
          this.mMem[k]! += n * next.memory[d]!;
          this.vMem[k]! += n2 * next.memVar[d]!;
        } else {
          this.mCpu[k]! += t.reqCpu;
          this.mMem[k]! += t.reqMem;
        }
      }
      for (let b = 0; b < BLOCKS; b++) {
        let hit = false;
        for (let d = b * BLOCK_SLOTS; d < (b + 1) * BLOCK_SLOTS; d++) if (ch[d]) hit = true;
        if (hit) this.#blocks(i, b, b + 1);
      }
    }
    if (has) {
      e.spare = old;
      e.curve = next;
    } else {
      e.spare = next;
      e.curve = null;
    }
    this.version++;
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** One pod of an app with curve c joins (sign 1) or leaves (sign -1) row i, where n others of the app stay. */
  #addPod(i: number, c: DayCurve, n: number, sign: number): void {
    const base = i * D;
    // Correlated within the app: (n+1)^2 - n^2 = 2n + 1 times the per-pod variance.
    const w = 2 * n + 1;
    for (let d = 0; d < D; d++) {
      const k = base + d;
      this.mCpu[k]! += sign * c.cpu[d]!;
      this.vCpu[k]! += sign * w * c.cpuVar[d]!;
      this.mMem[k]! += sign * c.memory[d]!;
      this.vMem[k]! += sign * w * c.memVar[d]!;
    }
  }

  #flat(i: number, cpu: number, mem: number): void {
    const base = i * D;
    for (let d = 0; d < D; d++) {
      this.mCpu[base + d]! += cpu;
      this.mMem[base + d]! += mem;
    }
  }

  #zeroRow(i: number): void {
    for (const a of [this.mCpu, this.vCpu, this.mMem, this.vMem]) a.fill(0, i * D, (i + 1) * D);
  }

  /** Recomputes row i's block maxima for blocks [from, to). */
  #blocks(i: number, from: number, to: number): void {
    for (let b = from; b < to; b++) {
      let mc = -Infinity;
      let mm = -Infinity;
      for (let d = b * BLOCK_SLOTS; d < (b + 1) * BLOCK_SLOTS; d++) {
        const c = this.pCpu(i, d);
        const m = this.pMem(i, d);
        if (c > mc) mc = c;
        if (m > mm) mm = m;
      }
      this.blkCpu[i * BLOCKS + b] = mc;
      this.blkMem[i * BLOCKS + b] = mm;
    }
    let pc = -Infinity;
    let pm = -Infinity;
    for (let b = 0; b < BLOCKS; b++) {
      pc = Math.max(pc, this.blkCpu[i * BLOCKS + b]!);
      pm = Math.max(pm, this.blkMem[i * BLOCKS + b]!);
    }
    this.peakCpu[i] = pc;
    this.peakMem[i] = pm;
  }

  #grow(capacity: number): void {
    const grow = (old: Float64Array<ArrayBuffer>, per: number): Float64Array<ArrayBuffer> => {
      const a = new Float64Array(capacity * per);
      a.set(old.subarray(0, this.size * per));
      return a;
    };
    this.mCpu = grow(this.mCpu, D);
    this.vCpu = grow(this.vCpu, D);
    this.mMem = grow(this.mMem, D);
    this.vMem = grow(this.vMem, D);
    this.blkCpu = grow(this.blkCpu, BLOCKS);
    this.blkMem = grow(this.blkMem, BLOCKS);
    this.peakCpu = grow(this.peakCpu, 1);
    this.peakMem = grow(this.peakMem, 1);
    this.#capacity = capacity;
  }
}

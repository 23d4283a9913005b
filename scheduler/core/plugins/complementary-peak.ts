// Complementary-peak placement (Ant's "union resource" idea): online services whose daily
// peaks do not coincide share nodes, so that one node's capacity serves one service at its peak and
// another at its own. Each node's tenants' learned curves are summed slot by slot (node-curves.ts);
// the pod being placed adds its app's per-pod curve, and what matters is the peak of the SUM over the
// coming day, not the sum of the peaks:
//
//   peak(i) = max over slots d of  M(i,d) + mu(d) + z * sqrt(V(i,d) + (2n+1) * var(d))
//
// where n is how many pods of the pod's own app node i already has (their deviations are correlated
// with the new pod's: (n+1)^2 - n^2 = 2n+1), mu/var the app's per-pod mean and variance (or, for an
// app with no curve yet, its requests, flat, variance 0).
//
//   ComplementaryPeak (score)  prefers the node with the lowest peak relative to allocatable.
//   CombinedPeakFit (filter)   refuses a node where the sum would cross allocatable x (1 - headroom)
//                              in any slot, headroom being the profile level's in that slot.
//   curveBatchShortfall        batch with a declared runtime: capacity in every slot of the runtime,
//                              given the rise of the node's summed curve over it (BatchCapacityFit,
//                              WindowSurvival).
//
// Cost: a decision prepares the pod's curve once; per node the score reads 12 block maxima per
// resource (an upper bound of the peak: sqrt(V + c) <= sqrt(V) + sqrt(c), and each block's maximum
// of the node's curve plus the block's maximum of the pod's increment), and the filter looks at
// single slots only in blocks where that bound crosses the limit.

import { SLOT_MS, SLOTS_PER_DAY } from '../app-curves.ts';
import { BLOCK_SLOTS, BLOCKS, type NodeCurves } from '../node-curves.ts';
import { capacityFormula } from '../capacity.ts';
import { failWith, stateKey, weightedScore, type CurveContext, type FilterDefinition, type PluginHandle, type PodContext, type ScoreDefinition, type SlotLevels } from '../framework.ts';

const D = SLOTS_PER_DAY;

/** What a decision needs of the pod's curve, computed once per decision (per PodContext). */
export interface PodCurve {
  readonly ctx: PodContext;
  readonly cc: CurveContext;
  readonly nc: NodeCurves;
  /** Per-pod mean and variance by slot of day (flat requests when the app has no curve). */
  readonly cpu: Float64Array;
  readonly cpuVar: Float64Array;
  readonly mem: Float64Array;
  readonly memVar: Float64Array;
  /** Whether the app has a learned curve (else flat). */
  readonly learned: boolean;
  /** This decision's id in the engine's scratch: pods of the app per row are count[i] when stamp[i] === id. */
  readonly id: number;
  /** The engine's scratch (PodCurves) this curve was made by. */
  readonly scratch: PodCurves;
  /** Per-n block increments: [cpu b0..b11, mem b0..b11]; add0 for n = 0 (most nodes). */
  readonly add: Map<number, Float64Array>;
  add0: Float64Array | null;
  /** Max over blocks of add0 (cpu, memory) and the least (1 - headroom) of the day: the quick test. */
  max0Cpu: number;
  max0Mem: number;
  fracMin: number;
  /** Per block: the least (1 - onlineHeadroom) over its slots. */
  readonly frac: Float64Array;
  /** Batch span: slots of day within the pod's runtime (1), and per block the worst share / headroom there. */
  span: Uint8Array | null;
  spanShare: Float64Array | null;
  spanHead: Float64Array | null;
  /** The part shared with other decisions of the same curve (null while it is being built). */
  readonly shared: SharedCurve | null;
}

/**
 * What a pod curve shares with every other decision of the same curve until the curves or the
 * levels change: the per-pod curve (the app's, or flat at the estimate), the block limits, the
 * increments per tenant count and the batch spans per length. Decisions in a row for pods of one
 * shape then prepare in O(hosts of the app) instead of O(slots).
 */
interface SharedCurve {
  readonly levels: SlotLevels;
  readonly epoch: number;
  readonly version: number;
  readonly pc: PodCurve;
  readonly spans: Map<number, { span: Uint8Array; share: Float64Array; head: Float64Array }>;
}

/**
 * What the curve plugins of one engine keep between decisions: per-row scratch (the pod's app's
 * tenant counts, the batch shortfall answers) stamped with the decision's id, and the shared curves.
 * The tenant counts are stamped for one decision at a time (`owner`): a decision whose curve is used
 * after another's stamps its own again, so interleaved decisions stay correct.
 */
export class PodCurves {
  nextId = 1;
  owner = 0;
  stamp = new Int32Array(0);
  count = new Int32Array(0);
  /** curveBatchShortfall's answer for row i in the decision whose pod curve id is sfStamp[i]. */
  sfStamp = new Int32Array(0);
  sfValue = new Int8Array(0);
  /** Shared curves by source key, for the node curves table they were built on. */
  table: NodeCurves | null = null;
  /**
   * The pod curve last asked for: the curve plugins ask once per node, so the decision's curve is
   * found by identity of its context first (its cycle state holds it when decisions interleave).
   */
  last: PodCurve | null = null;
  readonly shared = new Map<string, SharedCurve>();

  /** Stamps the pod's app's tenant counts for this decision. */
  claim(pc: PodCurve): void {
    const size = pc.ctx.t.size;
    if (this.stamp.length < size) {
      this.stamp = new Int32Array(Math.max(size, 2 * this.stamp.length));
      this.count = new Int32Array(this.stamp.length);
      this.sfStamp = new Int32Array(this.stamp.length);
      this.sfValue = new Int8Array(this.stamp.length);
    }
    const hosts = pc.ctx.pod.class === 'online' ? pc.nc.hostsOf(pc.ctx.pod.app) : undefined;
    if (hosts) {
      for (const [node, t] of hosts) {
        this.stamp[node.index] = pc.id;
        this.count[node.index] = t.n;
      }
    }
    this.owner = pc.id;
  }
}

const POD_CURVES = stateKey<PodCurves>('ComplementaryPeak/scratch');
const POD_CURVE = stateKey<PodCurve>('ComplementaryPeak/pod-curve');

/** The engine's curve scratch, shared by every plugin that reads pod curves. */
export function podCurvesOf(handle: PluginHandle): PodCurves {
  return handle.shared(POD_CURVES, () => new PodCurves());
}

/** The decision's prepared pod curve (built on the first call for a context, kept in its cycle state). */
export function podCurve(ctx: PodContext, curves: PodCurves): PodCurve {
  const last = curves.last;
  if (last !== null && last.ctx === ctx) return last;
  const prepared = ctx.cycle.read(POD_CURVE);
  if (prepared !== undefined) return (curves.last = prepared);
  const cc = ctx.curves!;
  const nc = cc.table;
  const app = ctx.pod.app;
  const online = ctx.pod.class === 'online';
  // Where the pod's curve comes from: the rows' compiled curve of its app, the app's learned curve, or flat.
  const src = online ? (nc.curveOf(app) !== null ? 'c' : ctx.state.curves.has(app) ? 'a' : 'f') : 'f';
  const key = src === 'f' ? `f|${ctx.estimate.cpu}|${ctx.estimate.memory}` : `${src}|${app}`;
  if (curves.table !== nc) {
    curves.shared.clear();
    curves.table = nc;
  }
  const byKey = curves.shared;
  const version = ctx.state.curves.version;
  let sh = byKey.get(key);
  if (sh === undefined || sh.levels !== cc.levels || sh.epoch !== nc.epoch || sh.version !== version) {
    if (byKey.size >= 256) byKey.clear();
    sh = { levels: cc.levels, epoch: nc.epoch, version, pc: buildCurve(ctx, cc, nc, src, curves), spans: new Map() };
    byKey.set(key, sh);
  }
  const pc: PodCurve = { ...sh.pc, ctx, id: curves.nextId++, scratch: curves, shared: sh, span: null, spanShare: null, spanHead: null };
  curves.claim(pc);
  ctx.cycle.write(POD_CURVE, pc);
  curves.last = pc;
  return pc;
}

function buildCurve(ctx: PodContext, cc: CurveContext, nc: NodeCurves, src: string, scratch: PodCurves): PodCurve {
  const cpu = new Float64Array(D);
  const cpuVar = new Float64Array(D);
  const mem = new Float64Array(D);
  const memVar = new Float64Array(D);
  let learned = false;
  if (src === 'c') {
    const c = nc.curveOf(ctx.pod.app)!;
    cpu.set(c.cpu);
    cpuVar.set(c.cpuVar);
    mem.set(c.memory);
    memVar.set(c.memVar);
    learned = true;
  } else if (src === 'a') {
    learned = ctx.state.curves.compile(ctx.pod.app, nc.epoch, { cpu, cpuVar, memory: mem, memVar });
  }
  if (!learned) {
    cpu.fill(ctx.estimate.cpu);
    mem.fill(ctx.estimate.memory);
    cpuVar.fill(0);
    memVar.fill(0);
  }
  const frac = new Float64Array(BLOCKS);
  const head = cc.levels.headroom;
  for (let b = 0; b < BLOCKS; b++) {
    let f = Infinity;
    for (let d = b * BLOCK_SLOTS; d < (b + 1) * BLOCK_SLOTS; d++) f = Math.min(f, 1 - head[d]!);
    frac[b] = f;
  }
  const pc: PodCurve = { ctx, cc, nc, cpu, cpuVar, mem, memVar, learned, id: 0, scratch, add: new Map(), add0: null, max0Cpu: 0, max0Mem: 0, frac, fracMin: Math.min(...frac), span: null, spanShare: null, spanHead: null, shared: null };
  const a0 = increments(pc, 0);
  pc.add0 = a0;
  for (let b = 0; b < BLOCKS; b++) {
    pc.max0Cpu = Math.max(pc.max0Cpu, a0[b]!);
    pc.max0Mem = Math.max(pc.max0Mem, a0[BLOCKS + b]!);
  }
  return pc;
}

/** Pods of the pod's app already on row i. */
function tenantsOn(pc: PodCurve, i: number): number {
  const s = pc.scratch;
  if (s.owner !== pc.id) s.claim(pc);
  return s.stamp[i] === pc.id ? s.count[i]! : 0;
}

/** Per block, the largest increment the pod can add to a node holding n pods of its app (upper bound). */
function increments(pc: PodCurve, n: number): Float64Array {
  if (n === 0 && pc.add0 !== null) return pc.add0;
  let a = pc.add.get(n);
  if (a) return a;
  a = new Float64Array(2 * BLOCKS);
  const z = pc.nc.z;
  const w = 2 * n + 1;
  for (let b = 0; b < BLOCKS; b++) {
    let c = -Infinity;
    let m = -Infinity;
    for (let d = b * BLOCK_SLOTS; d < (b + 1) * BLOCK_SLOTS; d++) {
      const vc = pc.cpuVar[d]!;
      const vm = pc.memVar[d]!;
      c = Math.max(c, pc.cpu[d]! + (vc > 0 ? z * Math.sqrt(w * vc) : 0));
      m = Math.max(m, pc.mem[d]! + (vm > 0 ? z * Math.sqrt(w * vm) : 0));
    }
    a[b] = c;
    a[BLOCKS + b] = m;
  }
  if (pc.add.size < 64) pc.add.set(n, a);
  return a;
}

/**
 * The exact predicted combined peak of row i with the pod added, per resource, into out
 * (max over the 96 slots of the coming day). For tests, tools and reports; decisions use bounds.
 */
export function combinedPeak(pc: PodCurve, i: number, out: { cpu: number; memory: number }): { cpu: number; memory: number } {
  out.cpu = -Infinity;
  out.memory = -Infinity;
  for (let d = 0; d < D; d++) {
    out.cpu = Math.max(out.cpu, slotCpu(pc, i, d, tenantsOn(pc, i)));
    out.memory = Math.max(out.memory, slotMem(pc, i, d, tenantsOn(pc, i)));
  }
  return out;
}

function slotCpu(pc: PodCurve, i: number, d: number, n: number): number {
  const nc = pc.nc;
  const k = i * D + d;
  const v = Math.max(0, nc.vCpu[k]! + (2 * n + 1) * pc.cpuVar[d]!);
  return nc.mCpu[k]! + pc.cpu[d]! + (v > 0 ? nc.z * Math.sqrt(v) : 0);
}

function slotMem(pc: PodCurve, i: number, d: number, n: number): number {
  const nc = pc.nc;
  const k = i * D + d;
  const v = Math.max(0, nc.vMem[k]! + (2 * n + 1) * pc.memVar[d]!);
  return nc.mMem[k]! + pc.mem[d]! + (v > 0 ? nc.z * Math.sqrt(v) : 0);
}

/** Upper bound of the combined peak of row i with the pod, per resource (12 block maxima each). */
export function peakBound(pc: PodCurve, i: number, out: { cpu: number; memory: number }): { cpu: number; memory: number } {
  const a = increments(pc, tenantsOn(pc, i));
  const nc = pc.nc;
  const o = i * BLOCKS;
  let c = -Infinity;
  let m = -Infinity;
  for (let b = 0; b < BLOCKS; b++) {
    const x = nc.blkCpu[o + b]! + a[b]!;
    if (x > c) c = x;
    const y = nc.blkMem[o + b]! + a[BLOCKS + b]!;
    if (y > m) m = y;
  }
  out.cpu = c;
  out.memory = m;
  return out;
}

/** 0 when row i can take the pod under the per-slot limits, 1 when CPU would cross, 2 memory. */
export function peakOverLimit(pc: PodCurve, i: number): number {
  const t = pc.ctx.t;
  const n = tenantsOn(pc, i);
  const nc = pc.nc;
  const aCpu = t.allocCpu[i]!;
  const aMem = t.allocMem[i]!;
  // Far from the limit in every slot: the node's peak plus the pod's peak stays under the lowest limit.
  if (n === 0 && nc.peakCpu[i]! + pc.max0Cpu <= aCpu * pc.fracMin && nc.peakMem[i]! + pc.max0Mem <= aMem * pc.fracMin) return 0;
  const a = increments(pc, n);
  const o = i * BLOCKS;
  const head = pc.cc.levels.headroom;
  for (let b = 0; b < BLOCKS; b++) {
    const f = pc.frac[b]!;
    const overCpu = nc.blkCpu[o + b]! + a[b]! > aCpu * f;
    const overMem = nc.blkMem[o + b]! + a[BLOCKS + b]! > aMem * f;
    if (!overCpu && !overMem) continue;
    // The bound is not decisive in this block: look at its slots.
    for (let d = b * BLOCK_SLOTS; d < (b + 1) * BLOCK_SLOTS; d++) {
      const lim = 1 - head[d]!;
      if (overCpu && slotCpu(pc, i, d, n) > aCpu * lim) return 1;
      if (overMem && slotMem(pc, i, d, n) > aMem * lim) return 2;
    }
  }
  return 0;
}

/** What the curve plugins sign: the pod's curve (its app's, or flat at its estimate) over the coming day's levels. */
function curveSig(ctx: PodContext): string {
  const cc = ctx.curves!;
  const pod = ctx.pod;
  // An app with a learned curve is part of the shape; without one the pod counts flat at its estimate.
  const learned = pod.class === 'online' && (cc.table.curveOf(pod.app) !== null || ctx.state.curves.has(pod.app));
  return `${cc.levels.start}|${ctx.estimate.cpu}/${ctx.estimate.memory}|${learned ? pod.app : ''}`;
}

export const ComplementaryPeak: ScoreDefinition<null, PodCurve> = {
  kind: 'score',
  name: 'ComplementaryPeak',
  description: "online pods prefer the node whose tenants' summed usage curves, this pod's added, peak lowest over the coming day",
  classes: ['online'],
  defaults: null,
  create(_args, handle) {
    const curves = podCurvesOf(handle);
    return {
      name: 'ComplementaryPeak',
      signature: curveSig,
      appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.curves !== null,
      prepare: (ctx) => podCurve(ctx, curves),
      score(ctx, i, pc) {
        const p = peakBound(pc, i, ctx.scratch2);
        const t = ctx.t;
        return weightedScore(1 - p.cpu / t.allocCpu[i]!, 1 - p.memory / t.allocMem[i]!, ctx.config.resourceWeights);
      },
    };
  },
};

export const CombinedPeakFit: FilterDefinition<null> = {
  kind: 'filter',
  name: 'CombinedPeakFit',
  description: "refuses an online pod where the node's summed usage curves would cross allocatable minus the headroom in any slot of the coming day (opt-in: complementaryPeak.filter)",
  defaults: null,
  create(_args, handle) {
    const curves = podCurvesOf(handle);
    return {
      name: 'CombinedPeakFit',
      signature: curveSig,
      appliesTo: (ctx) => ctx.pod.class === 'online' && ctx.curves !== null && ctx.config.complementaryPeak.filter,
      filter(ctx, i) {
        const r = peakOverLimit(podCurve(ctx, curves), i);
        if (r === 0) return null;
        const res = r === 1 ? 'cpu' : 'memory';
        return failWith(ctx, 'CombinedPeakFit', res, true, () => `predicted peak of the node's summed online ${res} curves (its tenants and this pod, over the coming day) would cross allocatable minus the online headroom`);
      },
    };
  },
};

/** Whether the curve check for batch applies to this decision (a batch pod with a declared runtime). */
export function curveBatchApplies(ctx: PodContext): boolean {
  return ctx.curves !== null && ctx.pod.class === 'batch' && ctx.spanEnd > ctx.now && ctx.config.complementaryPeak.batchCapacity;
}

function prepareSpan(pc: PodCurve): void {
  const ctx = pc.ctx;
  const lv = pc.cc.levels;
  const k = Math.max(1, Math.min(D, Math.ceil((ctx.spanEnd - lv.start) / SLOT_MS)));
  let s = pc.shared?.spans.get(k);
  if (s === undefined) {
    const span = new Uint8Array(D);
    const share = new Float64Array(BLOCKS).fill(Infinity);
    const head = new Float64Array(BLOCKS).fill(-Infinity);
    for (let j = 0; j < k; j++) {
      const d = (lv.slot0 + j) % D;
      const b = (d / BLOCK_SLOTS) | 0;
      span[d] = 1;
      share[b] = Math.min(share[b]!, lv.share[d]!);
      head[b] = Math.max(head[b]!, lv.headroom[d]!);
    }
    s = { span, share, head };
    pc.shared?.spans.set(k, s);
  }
  pc.span = s.span;
  pc.spanShare = s.share;
  pc.spanHead = s.head;
}

/**
 * Batch capacity over a batch pod's runtime from the curves: in each slot d of the span, the online
 * side is expected at predictedNonBatch (now) plus the rise of the node's summed curve from now's slot
 * to d (never less than now: the curve adds what is coming, the observation anchors the level), and
 *
 *   capacity(d) = min(A x batchShare(d), A x (1 - onlineHeadroom(d)) - online(d))
 *
 * must hold the node's batch plus the pod. 0 when it does, 1 when CPU falls short, 2 memory.
 */
export function curveBatchShortfall(ctx: PodContext, i: number, curves: PodCurves): number {
  const pc = podCurve(ctx, curves);
  // Asked twice per node and decision (BatchCapacityFit, then WindowSurvival): answered once.
  if (curves.sfStamp[i] === pc.id) return curves.sfValue[i]!;
  const r = shortfall(ctx, pc, i);
  curves.sfStamp[i] = pc.id;
  curves.sfValue[i] = r;
  return r;
}

/** What curveBatchShortfall reads of the pod and the time beyond curveSig: how many slots its span covers. */
export function curveSpanSig(ctx: PodContext): string {
  const lv = ctx.curves!.levels;
  return `${curveSig(ctx)}|${Math.max(1, Math.min(D, Math.ceil((ctx.spanEnd - lv.start) / SLOT_MS)))}`;
}

function shortfall(ctx: PodContext, pc: PodCurve, i: number): number {
  if (!pc.span) prepareSpan(pc);
  const nc = pc.nc;
  const t = ctx.t;
  const lv = pc.cc.levels;
  const span = pc.span!;
  const sShare = pc.spanShare!;
  const sHead = pc.spanHead!;
  const aCpu = t.allocCpu[i]!;
  const aMem = t.allocMem[i]!;
  const needCpu = t.batchCpu[i]! + ctx.pod.requests.cpu;
  const needMem = t.batchMem[i]! + ctx.pod.requests.memory;
  const predCpu = t.predCpu[i]!;
  const predMem = t.predMem[i]!;
  const p0c = nc.pCpu(i, lv.slot0);
  const p0m = nc.pMem(i, lv.slot0);
  const o = i * BLOCKS;
  for (let b = 0; b < BLOCKS; b++) {
    const sh = sShare[b]!;
    if (sh === Infinity) continue;
    const hd = sHead[b]!;
    const capCpu = capacityFormula(aCpu, sh, hd, predCpu, Math.max(0, nc.blkCpu[o + b]! - p0c));
    const capMem = capacityFormula(aMem, sh, hd, predMem, Math.max(0, nc.blkMem[o + b]! - p0m));
    if (needCpu <= capCpu && needMem <= capMem) continue;
    for (let d = b * BLOCK_SLOTS; d < (b + 1) * BLOCK_SLOTS; d++) {
      if (!span[d]) continue;
      const s = lv.share[d]!;
      const h = lv.headroom[d]!;
      if (needCpu > capacityFormula(aCpu, s, h, predCpu, Math.max(0, nc.pCpu(i, d) - p0c))) return 1;
      if (needMem > capacityFormula(aMem, s, h, predMem, Math.max(0, nc.pMem(i, d) - p0m))) return 2;
    }
  }
  return 0;
}

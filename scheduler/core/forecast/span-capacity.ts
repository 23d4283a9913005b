// Batch capacity of a node over a span from its forecast: for every slot k the span covers,
//
//   free(k) = A x target - upper(k) - committed(k)          per resource, A = allocatable
//
// and the span's capacity is the least of them (a batch pod must fit in each slot it will run in).
// committed(k) is what batch pods already on the node hold in slot k: a pod holds its requests until
// startedAt + runtime, its runtime being the declared one, else the estimate learned for its owner
// (runtime.ts), else the default estimate; a pod that has outlived its runtime holds them at least
// through the slot after now, and one with no runtime at all (no estimate given) until further
// notice; a terminating pod is gone. A pod holds its memory request, and its CPU request or, when the
// filter commits batch CPU by usage (ForecastCapacity batchCpu: usage), the CPU its owner's pods are
// seen to use (batch-usage.ts): batch CPU is compressible and throttled first.

import { SLOT_MS } from '../app-curves.ts';
import type { PodInfo } from '../model.ts';
import type { NodeForecast } from './node-forecast.ts';

export interface Commitments {
  readonly cpu: Float64Array;
  readonly memory: Float64Array;
}

/** A pod's runtime (ms) when it declares none; 0 or absent: unknown (held until further notice). */
export type RuntimeEstimate = (p: PodInfo) => number;

/** When a batch pod already on a node will have let go of its requests (ms); Infinity when unknown. */
export function batchEnd(p: PodInfo, now: number, estimate?: RuntimeEstimate): number {
  if (p.terminating) return now;
  if (p.startedAt <= 0) return Infinity;
  return endFrom(p.startedAt, p, now, p.expectedRuntimeMs > 0 || !estimate ? 0 : estimate(p));
}

/**
 * When a batch pod would let go of its requests if it were bound now (a running pod: batchEnd), given
 * its runtime estimate `estimateMs` (used when it declares none; 0: unknown, Infinity). The filter
 * admits a pod over [now, this end) because the commitments will hold it until exactly then once it is
 * bound: a shorter admitted span than the held one would let the drain evict what the filter just
 * admitted, and the filter admit it back (an evict-then-replace loop).
 */
export function admittedEnd(p: PodInfo, now: number, estimateMs: number): number {
  if (p.terminating) return now;
  return endFrom(p.startedAt > 0 ? p.startedAt : now, p, now, p.expectedRuntimeMs > 0 ? 0 : estimateMs);
}

// A declared runtime holds to its end (at least to now); an estimate holds at least through the slot
// after now (a pod past its estimate is still running: it keeps its requests a slot longer, not none).
function endFrom(startedAt: number, p: PodInfo, now: number, estimateMs: number): number {
  if (p.expectedRuntimeMs > 0) return Math.max(startedAt + p.expectedRuntimeMs, now + 1);
  if (estimateMs > 0) return Math.max(startedAt + estimateMs, now + SLOT_MS);
  return Infinity;
}

/** The slots from `start` that a pod holding its requests until `end` is counted in (batchCommitments' rule). */
export function slotsHeld(end: number, start: number, slots: number): number {
  if (end <= start) return 0;
  return Math.min(slots, Math.ceil((end - start) / SLOT_MS));
}

/** What a batch pod is counted at in CPU (millicores): its request, or its expected usage (batch-usage.ts). */
export type BatchCpu = (p: PodInfo) => number;

export const byCpuRequest: BatchCpu = (p) => p.requests.cpu;

/** The batch resources held in each of `slots` slots from `start`, by the batch pods among `pods` (`skip`: pods counted as gone). */
export function batchCommitments(pods: Iterable<PodInfo>, start: number, slots: number, now: number, estimate?: RuntimeEstimate, skip?: ReadonlySet<string>, cpuOf: BatchCpu = byCpuRequest): Commitments {
  const cpu = new Float64Array(slots);
  const memory = new Float64Array(slots);
  for (const p of pods) {
    if (p.class !== 'batch' || skip?.has(p.uid)) continue;
    const n = slotsHeld(batchEnd(p, now, estimate), start, slots);
    const c = cpuOf(p);
    for (let k = 0; k < n; k++) {
      cpu[k]! += c;
      memory[k]! += p.requests.memory;
    }
  }
  return { cpu, memory };
}

export interface SpanCapacity {
  /** The least free capacity over the span, per resource (may be negative: over already). */
  cpu: number;
  memory: number;
  /** The slot where each minimum is reached (the first such). */
  slotCpu: number;
  slotMem: number;
}

/** Slots a span [now, now + ms) covers in a forecast that starts at now's slot, capped at the horizon (at least 1). */
export function spanSlots(f: NodeForecast, now: number, ms: number): number {
  return Math.max(1, Math.min(f.slots, Math.ceil((now + ms - f.start) / SLOT_MS)));
}

/** The capacity over the first `slots` slots of the forecast (see the file comment). */
export function spanCapacity(f: NodeForecast, committed: Commitments, allocCpu: number, allocMem: number, target: number, slots: number, out: SpanCapacity): SpanCapacity {
  out.cpu = out.memory = Infinity;
  out.slotCpu = out.slotMem = 0;
  const n = Math.min(slots, f.slots);
  for (let k = 0; k < n; k++) {
    const c = allocCpu * target - f.upperCpu[k]! - committed.cpu[k]!;
    const m = allocMem * target - f.upperMem[k]! - committed.memory[k]!;
    if (c < out.cpu) {
      out.cpu = c;
      out.slotCpu = k;
    }
    if (m < out.memory) {
      out.memory = m;
      out.slotMem = k;
    }
  }
  return out;
}

// Batch capacity from the forecast (forecast/): a batch pod is admitted on a node when, in every
// 15-minute slot of its span (its remaining runtime: declared, else learned from its owner's completed
// pods (forecast/runtime.ts), else defaultRuntime, an estimate at least through the slot after now, as
// the commitments will hold it; at most the 24 h horizon),
//
//   upper(k) + committed(k) + pod's requests <= allocatable x (target - admissionMargin)    per resource
//
// upper(k) being the node's forecast upper band of online-side usage (its tenants' learned curves,
// its residual, the profile's online-demand events, the adaptive margin of its forecast errors) and
// committed(k) the batch already on the node that will still hold its requests then. Runs in the
// time-sharing preset (tidal extender's default) and the simulator's time-sharing; the simulator's
// time-sharing-timetable-forecast runs it under the timetable's caps. With checkpointableSpan set, a
// checkpointable pod needs the room over that much of its span only (it may cross a coming rise).

import { SLOTS_PER_DAY } from '../app-curves.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { failWith, stateKey, type ArgsIssue, type FilterDefinition, type PluginHandle, type PodContext } from '../framework.ts';
import { ForecastBook, type BatchCpuBasis } from '../forecast/book.ts';
import { admittedEnd, slotsHeld, spanCapacity, type SpanCapacity } from '../forecast/span-capacity.ts';
import { requestsSig } from '../signatures.ts';

export interface ForecastCapacityArgs {
  /** Fraction of allocatable that online's upper band and batch may fill together, in (0, 1]: the forecast drain's ceiling. */
  target: number;
  /**
   * Batch is admitted up to allocatable x (target - this), in [0, target): the hysteresis between
   * admission and the forecast drain (which evicts only above the target), so that a node packed to
   * its admission limit is not drained for every small rise of its forecast. 0.02: on the batch backlog
   * week's training seed it cut forecast-drain evictions from 545 to 36 for 2.8% less batch, and moved
   * nothing on the four ordinary weeks (docs/forecast.md).
   */
  admissionMargin?: number;
  /** Upper quantile of the forecast band, in (0.5, 1). */
  quantile: number;
  /** The span of a batch pod that declares no runtime (a duration such as 1h). */
  defaultRuntime: string;
  /**
   * A checkpointable pod needs room over at most this much of its span (a duration such as 30m), so
   * that it may cross a coming rise (the forecast drain checkpoints it first, losing little); "" (the
   * default): over its whole span, as any pod. The ForecastSurvival score then steers it to nodes
   * where it would not cross one.
   */
  checkpointableSpan?: string;
  /**
   * What batch CPU counts for, the pod's own and the committed batch's: "usage" (the default) the CPU
   * its owner's pods are seen to use, per request (forecast/batch-usage.ts; its request until one
   * is seen), "requests" its request. Memory always counts at requests.
   */
  batchCpu?: BatchCpuBasis;
}

const BOOK = stateKey<ForecastBook>('ForecastCapacity/book');

/** ForecastCapacity's args with every default filled in. */
export type ResolvedForecastCapacityArgs = ForecastCapacityArgs & { admissionMargin: number };

/** A policy's ForecastCapacity args as its filter runs with them: the policy's, over the defaults. */
export function forecastCapacityArgs(config: { readonly pluginArgs: Readonly<Record<string, unknown>> }): ResolvedForecastCapacityArgs {
  return { ...ForecastCapacity.defaults, ...((config.pluginArgs['ForecastCapacity'] ?? {}) as Partial<ForecastCapacityArgs>) } as ResolvedForecastCapacityArgs;
}

/** The fraction of allocatable batch is admitted up to: target less the admission margin. */
export function admissionTarget(a: Partial<Pick<ForecastCapacityArgs, 'target' | 'admissionMargin'>>): number {
  const d = ForecastCapacity.defaults;
  return (a.target ?? d.target) - (a.admissionMargin ?? d.admissionMargin ?? 0);
}

/**
 * The engine's one forecast book (the filter's, the descheduler's forecast drain's and explain's):
 * made on first use with these args, so that every reader of one engine sees the same forecast.
 */
export function forecastBookOf(handle: PluginHandle, args: Partial<ForecastCapacityArgs> = {}): ForecastBook {
  return handle.shared(BOOK, () => newForecastBook(args));
}

/**
 * A forecast book for these ForecastCapacity args (quantile, default runtime, batch CPU basis): the
 * descheduler, a process of its own, makes its book with this from the policy's args, so that its
 * drain counts batch exactly as the extender's filter admits it.
 */
export function newForecastBook(args: Partial<ForecastCapacityArgs> = {}): ForecastBook {
  const a = { ...ForecastCapacity.defaults, ...args };
  return new ForecastBook(a.quantile, {}, parseDuration(a.defaultRuntime), a.batchCpu);
}

/**
 * The pod's span (ms from now): until it would let go of its requests once bound (span-capacity.ts
 * admittedEnd: its runtime, declared, else learned for its owner, else the default, less what it has
 * run; an estimate holds at least through the slot after now), the same end its commitment will have.
 */
function spanMs(ctx: PodContext, defaultMs: number): number {
  return admittedEnd(ctx.pod, ctx.now, ctx.state.runtimes.runtimeOf(ctx.pod, defaultMs).ms) - ctx.now;
}

/** Slots of the span, from now's slot (at least 1, at most the horizon); a checkpointable pod's at most `checkpointableMs` long when given (> 0). */
export function slotsOf(ctx: PodContext, defaultMs: number, checkpointableMs = 0): number {
  const start = ctx.state.curves.slotStart(ctx.now);
  const span = spanMs(ctx, defaultMs);
  const ms = checkpointableMs > 0 && ctx.pod.checkpointable ? Math.min(span, checkpointableMs) : span;
  return Math.max(1, Math.min(SLOTS_PER_DAY, slotsHeld(ctx.now + ms, start, SLOTS_PER_DAY)));
}

export const ForecastCapacity: FilterDefinition<ForecastCapacityArgs> = {
  kind: 'filter',
  name: 'ForecastCapacity',
  description: "a batch pod needs room under allocatable x (target - admissionMargin) in every slot of its runtime, above the node's forecast upper band and the batch committed there",
  defaults: { target: 0.8, admissionMargin: 0.02, quantile: 0.95, defaultRuntime: '1h', batchCpu: 'usage' },
  fields: ['target', 'admissionMargin', 'quantile', 'defaultRuntime', 'checkpointableSpan', 'batchCpu'],
  validate(args): ArgsIssue[] {
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return [{ path: [], message: 'must be a mapping with target, quantile, defaultRuntime' }];
    const a = args as Record<string, unknown>;
    const issues: ArgsIssue[] = [];
    if (a.target !== undefined && !(typeof a.target === 'number' && a.target > 0 && a.target <= 1)) issues.push({ path: ['target'], message: `must be a number in (0, 1] (got ${JSON.stringify(a.target)})` });
    if (a.admissionMargin !== undefined) {
      const t = typeof a.target === 'number' ? a.target : ForecastCapacity.defaults.target;
      if (!(typeof a.admissionMargin === 'number' && a.admissionMargin >= 0 && a.admissionMargin < t)) issues.push({ path: ['admissionMargin'], message: `must be a number in [0, target ${t}) (got ${JSON.stringify(a.admissionMargin)})` });
    }
    if (a.quantile !== undefined && !(typeof a.quantile === 'number' && a.quantile > 0.5 && a.quantile < 1)) issues.push({ path: ['quantile'], message: `must be a number in (0.5, 1) (got ${JSON.stringify(a.quantile)})` });
    if (a.defaultRuntime !== undefined) {
      try {
        if (typeof a.defaultRuntime !== 'string') throw new Error(`must be a duration such as 1h (got ${JSON.stringify(a.defaultRuntime)})`);
        if (parseDuration(a.defaultRuntime) <= 0) throw new Error('must be longer than 0');
      } catch (e) {
        issues.push({ path: ['defaultRuntime'], message: (e as Error).message });
      }
    }
    if (a.checkpointableSpan !== undefined && a.checkpointableSpan !== '') {
      try {
        if (typeof a.checkpointableSpan !== 'string') throw new Error(`must be a duration such as 30m, or "" (got ${JSON.stringify(a.checkpointableSpan)})`);
        if (parseDuration(a.checkpointableSpan) <= 0) throw new Error('must be longer than 0');
      } catch (e) {
        issues.push({ path: ['checkpointableSpan'], message: (e as Error).message });
      }
    }
    if (a.batchCpu !== undefined && a.batchCpu !== 'usage' && a.batchCpu !== 'requests') issues.push({ path: ['batchCpu'], message: `must be usage or requests (got ${JSON.stringify(a.batchCpu)})` });
    return issues;
  },
  create(args, handle) {
    const { target, admissionMargin, quantile, defaultRuntime, checkpointableSpan, batchCpu } = { ...ForecastCapacity.defaults, ...args };
    const admitAt = admissionTarget({ target, admissionMargin });
    const defaultMs = parseDuration(defaultRuntime);
    const checkpointableMs = checkpointableSpan ? parseDuration(checkpointableSpan) : 0;
    const book = forecastBookOf(handle, { quantile, defaultRuntime, batchCpu });
    const out: SpanCapacity = { cpu: 0, memory: 0, slotCpu: 0, slotMem: 0 };
    const note = (ctx: PodContext, res: string): string =>
      `not enough ${res} in some slot of its ${formatDuration(checkpointableMs > 0 && ctx.pod.checkpointable ? Math.min(checkpointableMs, spanMs(ctx, defaultMs)) : spanMs(ctx, defaultMs))}${ctx.pod.expectedRuntimeMs > 0 ? '' : ` (${ctx.state.runtimes.runtimeOf(ctx.pod, defaultMs).source})`} span: the node's forecast online usage (upper band, quantile ${quantile}) and its committed batch leave less than the pod under allocatable x ${admitAt} (target ${target} less the admission margin)`;
    return {
      name: 'ForecastCapacity',
      // The forecast changes with the curves (not in the row's version) and the horizon's start; the span and the pod's CPU (its job's usage ratio) with the pod.
      signature: (ctx) => `${requestsSig(ctx)}|${book.podCpu(ctx.state, ctx.pod)}|${ctx.state.curves.slotStart(ctx.now)}|${ctx.state.curves.version}|${slotsOf(ctx, defaultMs, checkpointableMs)}`,
      appliesTo: (ctx) => ctx.pod.class === 'batch' && ctx.config.colocation,
      filter(ctx, i) {
        const node = ctx.nodes[i]!;
        const e = book.forecast(ctx.state, node, ctx.profile, ctx.now);
        spanCapacity(e.forecast, e.committed, ctx.t.allocCpu[i]!, ctx.t.allocMem[i]!, admitAt, slotsOf(ctx, defaultMs, checkpointableMs), out);
        if (book.podCpu(ctx.state, ctx.pod) > out.cpu) return failWith(ctx, 'ForecastCapacity', 'cpu', true, () => note(ctx, 'cpu'));
        if (ctx.pod.requests.memory > out.memory) return failWith(ctx, 'ForecastCapacity', 'memory', true, () => note(ctx, 'memory'));
        return null;
      },
    };
  },
};

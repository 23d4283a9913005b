// Progress of a batch pod whose CPU is shared: over an interval in which it is granted a fraction f of
// its demand (ContentionResult.rate), it does f x the interval's work, so its completion moves later by
// (1 - f) x the interval, and the CPU it was denied is (1 - f) x demand x the interval. Work is measured
// as runtime at full rate (the trace's runtime), so a pod that is never throttled ends exactly when the
// trace says it does.

export interface BatchWork {
  /** Runtime left at full rate, ms. */
  remainingMs: number;
  /** How much later than unthrottled it will finish so far, ms (full-rate time not done). */
  delayMs: number;
  /** CPU it asked for and did not get so far, core-seconds. */
  deniedCoreSeconds: number;
}

export function newBatchWork(runtimeMs: number): BatchWork {
  if (!(runtimeMs >= 0 && runtimeMs < Infinity)) throw new RangeError(`newBatchWork: runtimeMs must be finite and >= 0, got ${runtimeMs}`);
  return { remainingMs: runtimeMs, delayMs: 0, deniedCoreSeconds: 0 };
}

/**
 * Advances `work` over [from, from + intervalMs) at progress rate `rate` (in [0, 1]) with CPU demand
 * `cpuDemand` (millicores). Returns the time the pod completes if that falls inside the interval
 * (denied CPU and delay then count only up to it), or NaN if it is still running at the end.
 */
export function advanceWork(work: BatchWork, from: number, intervalMs: number, rate: number, cpuDemand: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`advanceWork: rate must be in [0, 1], got ${rate}`);
  if (!(intervalMs >= 0)) throw new RangeError(`advanceWork: intervalMs must be >= 0, got ${intervalMs}`);
  if (!(cpuDemand >= 0)) throw new RangeError(`advanceWork: cpuDemand must be >= 0, got ${cpuDemand}`);
  const done = rate * intervalMs;
  let elapsed = intervalMs;
  let completedAt = NaN;
  if (rate > 0 && done >= work.remainingMs) {
    elapsed = work.remainingMs / rate;
    completedAt = from + elapsed;
    work.remainingMs = 0;
  } else work.remainingMs -= done;
  const lost = (1 - rate) * elapsed;
  work.delayMs += lost;
  work.deniedCoreSeconds += (lost * cpuDemand) / 1e6;
  return completedAt;
}

/** When the pod completes if it runs at `rate` from `now` on (Infinity at rate 0). */
export function projectedCompletion(work: BatchWork, now: number, rate = 1): number {
  if (work.remainingMs === 0) return now;
  return rate > 0 ? now + work.remainingMs / rate : Infinity;
}

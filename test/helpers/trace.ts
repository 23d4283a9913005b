// An in-memory trace for simulator tests: events given as an array, sorted by time.

import type { Profile } from '../../scheduler/core/profile.ts';
import type { Trace, TraceEvent, TracePod } from '../../simulator/traces/events.ts';

/** The simulator tests' clock origin and a profile with one peak from 10:00 to 12:00 that day (drained from 09:00). */
export const SIM_START = Date.parse('2026-11-10T00:00:00Z');
const HOUR = 3_600_000;
export const PEAK_PROFILE: Profile = {
  name: 'test-peak',
  timeZone: 'UTC',
  default: { batchShare: 0.6, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 },
  windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: 30 * 60_000, rampMs: 30 * 60_000, start: SIM_START + 10 * HOUR, end: SIM_START + 12 * HOUR }],
};

export function arrayTrace(events: TraceEvent[], source = 'test'): Trace {
  const sorted = [...events].sort((a, b) => a.time - b.time);
  return {
    info: { format: 'array', source, skipped: new Map(), start: sorted[0]?.time, end: sorted[sorted.length - 1]?.time },
    async *events() {
      yield* sorted;
    },
  };
}

let n = 0;

export function tracePod(over: Partial<TracePod> = {}): TracePod {
  const i = ++n;
  return {
    uid: `tp-${i}`,
    namespace: 'default',
    name: `tp-${i}`,
    class: 'online',
    app: 'web',
    priority: 9000,
    requests: { cpu: 1000, memory: 2 * 2 ** 30 },
    runtimeMs: 0,
    declaredRuntimeMs: 0,
    checkpointable: false,
    job: '',
    ...over,
  };
}

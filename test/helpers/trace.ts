// An in-memory trace for simulator tests: events given as an array, sorted by time.

import type { Trace, TraceEvent, TracePod } from '../../simulator/traces/events.ts';

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

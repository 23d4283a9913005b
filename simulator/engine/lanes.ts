// Several policies replayed in one thread, each in a lane of its own: this thread reads the trace
// once, in batches of events, and each policy replays a whole batch (simulate() over one policy)
// before the next policy takes it. The lockstep loop (simulation.ts) stepped every policy at every
// instant instead, and each policy then found its pods, nodes and queues evicted from the CPU's
// caches by the others': the demo's five policies took 37.1 CPU-s in lockstep and 21.3 replayed one
// after another in one process (out of cache, not out of V8: the same isolate ran all five).
//
// The results are the lockstep run's, as on worker threads (parallel/run.ts): a policy steps on the
// trace's events and the common ticks, and on its own timers otherwise, never on another policy's,
// so a policy replayed alone gives what it gives in lockstep (test/unit/simulator/lanes.test.ts).
// What a lane does not share with the others: the trace's usage (each lane's simulate() rebuilds it
// from the same events) and forecast tracking (one tracker per lane, as per worker). What it shares:
// the event objects (no policy writes to them) and the node filter, asked once per node-add as in
// lockstep (the first lane to reach a node-add asks; the others take its answer).

import type { TraceEvent, Trace } from '../traces/events.ts';
import type { PolicyResult, ProgressLane, SimulationInput, SimulationResult } from './simulation.ts';
import type { SimOptions } from './options.ts';

/** Events per batch: each lane replays this many before the next lane takes them. */
export const LANE_BATCH_EVENTS = 8192;

/** What a lane is handed: a batch of events, the end of the trace, or the reader's error. */
type Feed = readonly TraceEvent[] | 'end' | Error;

/** One policy's replay, fed batch by batch. */
class Lane {
  readonly name: string;
  now = 0;
  events = 0;
  result: SimulationResult | null = null;
  failure: Error | null = null;
  /** The replay's stream, waiting for its next feed. */
  #give: ((f: Feed) => void) | null = null;
  /** A feed handed before the stream asked for it. */
  #early: Feed | null = null;
  /** The driver, waiting for the lane to want more (or end). */
  #wantsMore: (() => void) | null = null;

  constructor(name: string, replay: (trace: Trace['events']) => Promise<SimulationResult>) {
    this.name = name;
    void replay(() => this.#stream()).then(
      (r) => {
        this.result = r;
        this.#wantsMore?.();
      },
      (e: Error) => {
        this.failure = e;
        this.#wantsMore?.();
      },
    );
  }

  get done(): boolean {
    return this.result !== null || this.failure !== null;
  }

  /** Hands the lane a feed; resolves once it has replayed it and asks for more, or has ended (after 'end': once it has ended). */
  run(feed: Feed): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wantsMore = resolve;
      const give = this.#give;
      this.#give = null;
      if (give) give(feed);
      else this.#early = feed;
    });
  }

  async *#stream(): AsyncGenerator<TraceEvent> {
    for (;;) {
      const feed = await this.#next();
      if (feed === 'end') return;
      if (feed instanceof Error) throw feed;
      for (const e of feed) yield e;
    }
  }

  /** The stream has replayed what it had: wakes the driver, then waits for the next feed. */
  #next(): Promise<Feed> {
    const wake = this.#wantsMore;
    this.#wantsMore = null;
    wake?.();
    const early = this.#early;
    if (early !== null) {
      this.#early = null;
      return Promise.resolve(early);
    }
    return new Promise((resolve) => (this.#give = resolve));
  }
}

/**
 * Whether a replay runs in lanes: several policies in this thread, and no onStep (it sees every
 * policy at every step, which only lockstep gives) and no `lockstep` asked for.
 */
export function inLanes(input: SimulationInput): boolean {
  return input.policies.length > 1 && !input.onStep && input.lockstep !== true;
}

export async function simulateInLanes(input: SimulationInput, opts: SimOptions, replay: (input: SimulationInput) => Promise<SimulationResult>): Promise<SimulationResult> {
  const t0 = Date.now();
  const { trace } = input;
  const until = input.until ?? Infinity;
  const batchEvents = input.parallel?.batchEvents ?? LANE_BATCH_EVENTS;
  // The node filter's answers by node-add, in trace order: every lane applies the same node-adds in
  // the same order, so its k-th question is the k-th node-add.
  const verdicts: boolean[] = [];
  const filter = input.nodeFilter;
  const lanes: Lane[] = input.policies.map((policy) => {
    let asked = 0;
    const laneFilter = filter && ((name: string) => (asked < verdicts.length ? verdicts[asked++]! : (verdicts.push(filter(name)), verdicts[asked++]!)));
    const lane: Lane = new Lane(policy.name, (events) =>
      replay({
        trace: { info: trace.info, events },
        profile: input.profile,
        policies: [policy],
        options: opts,
        ...(input.until !== undefined ? { until: input.until } : {}),
        ...(input.maxTicks !== undefined ? { maxTicks: input.maxTicks } : {}),
        ...(laneFilter ? { nodeFilter: laneFilter } : {}),
        ...(input.trackForecast ? { trackForecast: input.trackForecast } : {}),
        threads: 1,
        onProgress: (now, n) => {
          lane.now = now;
          lane.events = n;
        },
      }),
    );
    return lane;
  });
  const failed = () => lanes.find((l) => l.failure !== null)?.failure ?? null;
  const feedAll = async (feed: Feed) => {
    for (const lane of lanes) {
      await lane.run(feed);
      if (failed()) return;
    }
  };
  const progress = () => {
    if (!input.onProgress) return;
    let now = Infinity;
    let events = Infinity;
    for (const l of lanes) {
      now = Math.min(now, l.now);
      events = Math.min(events, l.events);
    }
    const each: ProgressLane[] = lanes.map((l) => ({ policies: [l.name], now: l.now, events: l.events }));
    if (Number.isFinite(now)) input.onProgress(now, events, each);
  };

  const it = trace.events()[Symbol.asyncIterator]();
  let reading = true;
  try {
    let batch: TraceEvent[] = [];
    try {
      for (;;) {
        const next = await it.next();
        if (next.done) {
          reading = false;
          break;
        }
        batch.push(next.value);
        // Each replay reads one event past `until` and stops there; so does the reader.
        if (next.value.time > until) break;
        if (batch.length >= batchEvents) {
          await feedAll(batch);
          if (failed()) break;
          progress();
          batch = [];
        }
      }
      if (!failed()) {
        if (batch.length > 0) await feedAll(batch);
        if (!failed()) await feedAll('end');
      }
    } catch (e) {
      // A reader error reaches each lane where the stream broke, as it would the lockstep replay.
      if (batch.length > 0) await feedAll(batch);
      if (!failed()) await feedAll(e as Error);
    }
    // Every lane has ended here: a lane handed 'end' resolves run() only once its replay is over.
    const failure = failed();
    if (failure) throw failure;
  } finally {
    if (reading) await it.return?.();
  }

  const first = lanes[0]!.result!;
  const policies: PolicyResult[] = [];
  for (const l of lanes) {
    const r = l.result!;
    if (r.start !== first.start || r.end !== first.end || r.events !== first.events) {
      throw new Error(`replay in lanes: ${l.name} disagrees with ${lanes[0]!.name} on the run (start ${first.start}/${r.start}, end ${first.end}/${r.end}, events ${first.events}/${r.events})`);
    }
    policies.push(r.policies[0]!);
  }
  input.onProgress?.(first.end, first.events);
  return {
    ...first,
    skippedRows: Object.fromEntries(trace.info.skipped),
    droppedRows: Object.fromEntries(trace.info.dropped ?? []),
    options: opts,
    policies,
    wallSeconds: (Date.now() - t0) / 1000,
  };
}

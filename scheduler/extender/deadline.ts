// Deadline awareness for the webhook. kube-scheduler gives an extender httpTimeout (default 5 s) for
// the whole call; an answer after that is wasted, and an extender that falls behind makes every
// queued request late. So each request is stamped when it arrives, and just before the decision the
// extender asks: has this request already waited so long, or would the decision take so long, that
// the answer would leave the decision budget (--decision-budget, default 500 ms)? If so it answers at
// once in degraded mode (handlers.ts: online pods pass every node, batch pods fail with a reason,
// prioritize scores 0, preempt proposes nothing), which costs a fraction of a decision, so a backlog
// drains quickly and the requests behind it are answered in full again.
//
// When did a request arrive? Node only sees it when the event loop reads its socket. If the loop was
// stalled (a long decision, a garbage collection, an informer relist of 100,000 pods), the request
// sat in the kernel's buffer meanwhile, and the loop iteration that reads it usually runs the timers
// first, so "time since the last timer" is near zero by then; a connection opened during the stall
// is even read one or two iterations later (accepted first, read next). LoopMonitor therefore
// remembers the stalls its ticker observed (how late each tick ran) over the last few ticks, and a
// request read meanwhile is assumed to have waited the longest of them: an upper bound, so the guard
// errs towards degrading, for a few ticks (30 ms by default) after a stall.

export interface LoopMonitorOptions {
  /** Ticker period; default 10 ms. */
  intervalMs?: number;
  /** Ticks a stall is remembered for; default 3. */
  memoryTicks?: number;
  now?: () => number;
}

/** Measures event-loop stalls with a ticker; one per process is enough (see sharedLoopMonitor). */
export class LoopMonitor {
  readonly intervalMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #lastTick: number;
  /** How late each of the latest ticks ran (ms), newest at #next - 1. */
  readonly #stalls: Float64Array;
  #next = 0;
  /** Largest stall since the last takeMaxStall(), for metrics. */
  #maxStall = 0;

  constructor(o: LoopMonitorOptions = {}) {
    this.intervalMs = o.intervalMs ?? 10;
    this.#now = o.now ?? (() => performance.now());
    this.#lastTick = this.#now();
    this.#stalls = new Float64Array(Math.max(1, o.memoryTicks ?? 3));
  }

  start(): this {
    if (this.#timer) return this;
    this.#lastTick = this.#now();
    this.#timer = setInterval(() => this.tick(), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** @internal (the ticker; exposed for tests with a fake clock) */
  tick(): void {
    const now = this.#now();
    const stall = Math.max(0, now - this.#lastTick - this.intervalMs);
    this.#stalls[this.#next] = stall;
    this.#next = (this.#next + 1) % this.#stalls.length;
    if (stall > this.#maxStall) this.#maxStall = stall;
    this.#lastTick = now;
  }

  /**
   * How long a request read from a socket now may have waited unseen: the longest stall of the last
   * few ticks, or the time since the latest tick beyond one period (the loop is stalled right now),
   * whichever is longer.
   */
  unseenWaitMs(now = this.#now()): number {
    const current = Math.max(0, now - this.#lastTick - this.intervalMs);
    let remembered = 0;
    for (let i = 0; i < this.#stalls.length; i++) if (this.#stalls[i]! > remembered) remembered = this.#stalls[i]!;
    return Math.max(remembered, current);
  }

  /** The largest stall since the previous call (ms), then resets. */
  takeMaxStall(): number {
    const m = this.#maxStall;
    this.#maxStall = 0;
    return m;
  }
}

let shared: LoopMonitor | null = null;

/** The process-wide monitor (started on first use; its timer does not keep the process alive). */
export function sharedLoopMonitor(): LoopMonitor {
  shared ??= new LoopMonitor().start();
  return shared;
}

/** Why a request is answered in degraded mode. */
export type DegradeCause = 'queued' | 'slow';

export interface BudgetVerdict {
  /** null: decide normally. */
  cause: DegradeCause | null;
  /** Time the request has spent so far, including the estimated wait before Node saw it (ms). */
  waitedMs: number;
  /** What the decision is expected to cost (ms). */
  predictedMs: number;
}

export interface DecisionBudgetOptions {
  /** From arrival to answer (ms); 0 or Infinity disables the guard. */
  budgetMs: number;
  now?: () => number;
  /** Decisions remembered per verb to predict the next one's cost; default 32. */
  window?: number;
  /** While degrading for predicted cost, let one real decision through this often to re-measure; default 1000 ms. */
  probeEveryMs?: number;
  /**
   * Requests are costed as if they named at least this many nodes; default 64. A decision has a
   * fixed cost (the pod's conversion, the context, the answer) besides its per-node cost: dividing a
   * 5-node request's time by 5 would charge that fixed cost to every node of the next 30,000-node
   * request and degrade it for nothing.
   */
  floorNodes?: number;
}

/**
 * Predicts a decision's cost from the recent ones (median cost per node, so one slow outlier such as
 * a GC pause does not move it; small requests count as floorNodes nodes) and decides whether a
 * request still fits the budget.
 */
export class DecisionBudget {
  readonly budgetMs: number;
  readonly #now: () => number;
  readonly #window: number;
  readonly #probeEveryMs: number;
  readonly #floor: number;
  readonly #perNode = new Map<string, { samples: Float64Array; n: number; next: number; lastReal: number }>();

  constructor(o: DecisionBudgetOptions) {
    if (!(o.budgetMs >= 0)) throw new Error(`decision budget must be >= 0 ms (got ${o.budgetMs})`);
    this.budgetMs = o.budgetMs > 0 ? o.budgetMs : Infinity;
    this.#now = o.now ?? (() => performance.now());
    this.#window = o.window ?? 32;
    this.#probeEveryMs = o.probeEveryMs ?? 1000;
    this.#floor = Math.max(1, o.floorNodes ?? 64);
  }

  get enabled(): boolean {
    return Number.isFinite(this.budgetMs);
  }

  /** Expected cost of a decision over `nodes` nodes for `verb` (ms); 0 until something was measured. */
  predict(verb: string, nodes: number): number {
    const s = this.#perNode.get(verb);
    if (!s || s.n === 0) return 0;
    const sorted = Array.from(s.samples.subarray(0, s.n)).sort((a, b) => a - b);
    return sorted[sorted.length >> 1]! * Math.max(this.#floor, nodes);
  }

  /** Records what a real decision cost. */
  observe(verb: string, nodes: number, ms: number): void {
    let s = this.#perNode.get(verb);
    if (!s) {
      s = { samples: new Float64Array(this.#window), n: 0, next: 0, lastReal: 0 };
      this.#perNode.set(verb, s);
    }
    s.samples[s.next] = ms / Math.max(this.#floor, nodes);
    s.next = (s.next + 1) % this.#window;
    if (s.n < this.#window) s.n++;
    s.lastReal = this.#now();
  }

  /** Whether a request that arrived at `arrivedAt` (this clock) still gets a real decision. */
  check(verb: string, nodes: number, arrivedAt: number): BudgetVerdict {
    const now = this.#now();
    const waitedMs = Math.max(0, now - arrivedAt);
    const predictedMs = this.predict(verb, nodes);
    if (!this.enabled) return { cause: null, waitedMs, predictedMs };
    if (waitedMs >= this.budgetMs) return { cause: 'queued', waitedMs, predictedMs };
    if (waitedMs + predictedMs <= this.budgetMs) return { cause: null, waitedMs, predictedMs };
    // The decision alone looks too slow. If the request is fresh and no real decision of this verb
    // ran for a while, run one anyway: otherwise one bad estimate would degrade this verb for good.
    const s = this.#perNode.get(verb);
    if (s && now - s.lastReal >= this.#probeEveryMs && waitedMs < this.budgetMs / 2) {
      s.lastReal = now;
      return { cause: null, waitedMs, predictedMs };
    }
    return { cause: predictedMs > this.budgetMs ? 'slow' : 'queued', waitedMs, predictedMs };
  }
}

// One notion of "now" for every front end: the webhook and descheduler read the real clock, the
// simulator and tests a virtual one. The core itself never reads a clock; callers pass `now` in.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. Time never goes backwards. */
export class VirtualClock implements Clock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(t: number): void {
    if (t < this.#now) throw new Error(`virtual clock cannot go back from ${new Date(this.#now).toISOString()} to ${new Date(t).toISOString()}`);
    this.#now = t;
  }

  advance(ms: number): void {
    this.set(this.#now + ms);
  }
}

/**
 * A real clock shifted to a chosen instant: `--at TIME` rehearsals and short end-to-end runs that
 * should see a profile's windows as if it were another time, while time still flows.
 */
export class OffsetClock implements Clock {
  readonly base: Clock;
  readonly #offset: number;

  constructor(at: number, base: Clock = realClock) {
    this.base = base;
    this.#offset = at - base.now();
  }

  now(): number {
    return this.base.now() + this.#offset;
  }
}

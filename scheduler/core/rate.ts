// A token bucket on a caller-supplied clock: the descheduler's eviction rate limit across cycles,
// shared by the live descheduler and the simulator so that both throttle alike.

export class TokenBucket {
  readonly perMinute: number;
  readonly burst: number;
  #tokens: number;
  #last: number | null = null;

  constructor(perMinute: number, burst: number, initial = burst) {
    if (!(perMinute >= 0) || !(burst >= 0)) throw new Error(`rate limit must be non-negative (perMinute ${perMinute}, burst ${burst})`);
    this.perMinute = perMinute;
    this.burst = burst;
    this.#tokens = Math.min(initial, burst);
  }

  /** Whole tokens available at `now` (refilling for the time since the last call). */
  available(now: number): number {
    if (this.#last !== null && now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 60_000) * this.perMinute);
    }
    if (this.#last === null || now > this.#last) this.#last = now;
    return Math.floor(this.#tokens);
  }

  /** Spends n tokens (an eviction attempt spends one whatever its outcome). */
  take(n = 1): void {
    this.#tokens -= n;
  }
}

// At most `slots` workers of a parallel replay compute at once, taking turns batch by batch in the
// order they asked (a ticket lock with `slots` places, in shared memory). A replay runs a worker per
// policy, more workers than cores when there are more policies: the OS would then switch between them
// every few milliseconds, and each switch finds the worker's pods and queues gone from the CPU's
// caches (the demo's five workers on two cores took 30.3 CPU-s, against 21.3 for the five policies
// one after another in one thread). Through the gate a worker replays a whole batch between switches.
// Turns in order keep every policy at about the same point of the trace, so that the run ends when
// the total work is done, not when the policy that happened to start last has caught up.
// A worker holds its place only while it replays a batch (worker.ts).

/** The two counters: tickets handed out, and tickets admitted (a ticket t may run while t < admitted). */
const TICKETS = 0;
const ADMITTED = 1;

export class CoreGate {
  readonly #cells: Int32Array;
  #held = false;
  /** Time this worker waited for its turn. */
  waitedMs = 0;

  static shared(slots: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    new Int32Array(buffer)[ADMITTED] = slots;
    return buffer;
  }

  constructor(buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer);
  }

  /** Waits (blocking this worker's thread) for this worker's turn; nothing when it holds one. */
  acquire(): void {
    if (this.#held) return;
    const cells = this.#cells;
    const t0 = performance.now();
    const ticket = Atomics.add(cells, TICKETS, 1);
    for (;;) {
      const admitted = Atomics.load(cells, ADMITTED);
      if (ticket < admitted) break;
      Atomics.wait(cells, ADMITTED, admitted);
    }
    this.waitedMs += performance.now() - t0;
    this.#held = true;
  }

  /** Ends this worker's turn (nothing when it holds none): the next ticket may run. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    Atomics.add(this.#cells, ADMITTED, 1);
    Atomics.notify(this.#cells, ADMITTED);
  }
}

// What a descheduling strategy asks of one node, in terms the evictor (evictor.ts) can serve without
// knowing the strategy: is more wanted, would this pod help, count it as gone. A strategy states
// needs; it never picks victims or counts limits itself.

import type { PodInfo, Resources } from '../model.ts';
import type { NodeState } from '../state.ts';

export interface Need<R extends string = string> {
  readonly node: NodeState;
  /** Carried by the evictions made for this need (metrics and events count by it). */
  readonly reason: R;
  /** How far over, comparable across strategies and nodes: the evictor serves the highest first. */
  readonly severity: number;
  /** More evictions are wanted on this node. */
  unmet(): boolean;
  /** Evicting the pod frees something this need is short of. */
  helps(pod: PodInfo): boolean;
  /**
   * A condition of the strategy's own that the evictor's limits do not cover (Koordinator's: the cold
   * nodes can take the pod's usage); false stops evicting from the node. Absent: always admitted.
   */
  admit?(pod: PodInfo): boolean;
  /** Counts the pod as gone (called for every eviction on the node, whichever need it was for). */
  take(pod: PodInfo): void;
  /** What is still over (0 when met), for the plan's report. */
  remaining(): Resources;
  /** Why, in words, for the pod annotation and the Kubernetes Event. */
  message(): string;
}

/** A need that states the excess it began with (per resource), for the plan's report. */
export interface StatedNeed<R extends string = string> extends Need<R> {
  readonly initial: Readonly<Resources>;
}

/**
 * The common need: an excess per resource, paid down by what each evicted pod frees, measured by its
 * requests (capacity) or by its observed usage (load; a pod without a metric counts at its requests).
 * `freed` and `message` are the strategy's, shared by all its needs (one object per node: no closures).
 */
export class ExcessNeed<R extends string = string> implements StatedNeed<R> {
  readonly node: NodeState;
  readonly reason: R;
  readonly severity: number;
  /** The excess as stated, before any eviction. */
  readonly initial: Readonly<Resources>;
  #cpu: number;
  #memory: number;
  readonly #freed: (pod: PodInfo) => Resources;
  readonly #message: (node: NodeState) => string;

  constructor(node: NodeState, reason: R, excess: Resources, freed: (pod: PodInfo) => Resources, message: (node: NodeState) => string) {
    this.node = node;
    this.reason = reason;
    this.initial = excess;
    this.#cpu = excess.cpu;
    this.#memory = excess.memory;
    this.#freed = freed;
    this.#message = message;
    const a = node.spec.allocatable;
    this.severity = Math.max(excess.cpu / a.cpu, excess.memory / a.memory);
  }

  unmet(): boolean {
    return this.#cpu > 0 || this.#memory > 0;
  }

  helps(pod: PodInfo): boolean {
    if (this.#cpu <= 0 && this.#memory <= 0) return false;
    const f = this.#freed(pod);
    return (this.#cpu > 0 && f.cpu > 0) || (this.#memory > 0 && f.memory > 0);
  }

  take(pod: PodInfo): void {
    const f = this.#freed(pod);
    this.#cpu -= f.cpu;
    this.#memory -= f.memory;
  }

  remaining(): Resources {
    return { cpu: Math.max(0, this.#cpu), memory: Math.max(0, this.#memory) };
  }

  message(): string {
    return this.#message(this.node);
  }
}

/**
 * An excess per resource in each of a few coming slots (the forecast drain's: slot 0 is now's), paid
 * down slot by slot: an evicted pod frees what it is committed at only in the slots it would still
 * hold (`held`: how many from slot 0), so a pod that ends before the excess does not count against it
 * and is not picked for it. Met when no slot is over. `initial` is the largest excess of any slot.
 */
export class SlotExcessNeed<R extends string = string> implements StatedNeed<R> {
  readonly node: NodeState;
  readonly reason: R;
  readonly severity: number;
  readonly initial: Readonly<Resources>;
  readonly #cpu: Float64Array;
  readonly #memory: Float64Array;
  readonly #held: (pod: PodInfo) => number;
  readonly #freed: (pod: PodInfo) => Resources;
  readonly #message: (node: NodeState) => string;

  constructor(node: NodeState, reason: R, excess: { cpu: Float64Array; memory: Float64Array }, held: (pod: PodInfo) => number, freed: (pod: PodInfo) => Resources, message: (node: NodeState) => string) {
    this.node = node;
    this.reason = reason;
    this.#cpu = Float64Array.from(excess.cpu);
    this.#memory = Float64Array.from(excess.memory);
    this.#held = held;
    this.#freed = freed;
    this.#message = message;
    this.initial = this.remaining();
    const a = node.spec.allocatable;
    this.severity = Math.max(this.initial.cpu / a.cpu, this.initial.memory / a.memory);
  }

  unmet(): boolean {
    const r = this.remaining();
    return r.cpu > 0 || r.memory > 0;
  }

  helps(pod: PodInfo): boolean {
    const f = this.#freed(pod);
    const n = Math.min(this.#held(pod), this.#cpu.length);
    for (let k = 0; k < n; k++) if ((this.#cpu[k]! > 0 && f.cpu > 0) || (this.#memory[k]! > 0 && f.memory > 0)) return true;
    return false;
  }

  take(pod: PodInfo): void {
    const f = this.#freed(pod);
    const n = Math.min(this.#held(pod), this.#cpu.length);
    for (let k = 0; k < n; k++) {
      this.#cpu[k]! -= f.cpu;
      this.#memory[k]! -= f.memory;
    }
  }

  remaining(): Resources {
    let cpu = 0;
    let memory = 0;
    for (let k = 0; k < this.#cpu.length; k++) {
      cpu = Math.max(cpu, this.#cpu[k]!);
      memory = Math.max(memory, this.#memory[k]!);
    }
    return { cpu, memory };
  }

  message(): string {
    return this.#message(this.node);
  }
}

export const byRequests = (pod: PodInfo): Resources => pod.requests;

// The messages between a parallel replay's main thread (run.ts) and its workers (worker.ts).

import type { Profile } from '../../../scheduler/core/profile.ts';
import type { TraceInfo } from '../../traces/events.ts';
import type { SimOptions } from '../options.ts';
import type { PolicyResult } from '../simulation.ts';
import type { EncodedBatch } from './encode.ts';

export interface WorkerInit {
  type: 'init';
  /** Names in the policy registry (a policy object cannot cross threads; its name can). */
  policies: string[];
  profile: Profile;
  options?: Partial<SimOptions>;
  until?: number;
  maxTicks?: number;
  trackForecast?: { leadMs: number };
  /** What the engine reads of the trace's info (after its first event, as simulate() reads it). */
  info: Pick<TraceInfo, 'format' | 'source' | 'start' | 'end'>;
  /** With more workers than cores: the slots they share (gate.ts CoreGate). */
  gate?: SharedArrayBuffer;
}

export type ToWorker =
  | WorkerInit
  | { type: 'batch'; batch: EncodedBatch }
  /** The trace has no more events (or the replay needs no more: the first event after --until was sent). */
  | { type: 'end' }
  /** Reading the trace failed here: the worker's replay fails at this point of the stream. */
  | { type: 'fail'; message: string };

export interface WorkerStats {
  /** Time spent decoding batches. */
  decodeMs: number;
  /** Time the replay waited for the next batch (the main thread behind, or flow control). */
  waitMs: number;
  /** Time the worker waited for a core (gate.ts), with more workers than cores. */
  gateMs: number;
  /** The worker's whole replay. */
  runMs: number;
  /** CPU time of the worker's thread (user + system) over its life, module loading included. */
  cpuMs: number;
}

export type ToMain =
  /** One batch decoded: the main thread may send another. */
  | { type: 'ack' }
  | { type: 'progress'; now: number; events: number }
  | { type: 'done'; start: number; end: number; events: number; policies: PolicyResult[]; stats: WorkerStats }
  | { type: 'error'; message: string; stack: string };

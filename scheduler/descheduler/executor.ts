// Carries out an eviction plan through the Eviction API. The apiserver is the authority: a 429 means
// a PodDisruptionBudget (or the apiserver) says "not now" and the pod is left for a later cycle, never
// forced; a 404 means the pod is already gone; anything else is counted and logged. Each attempt
// first records the reason on the pod (annotation) and afterwards as a Kubernetes Event.

import type { PlannedEviction } from '../core/descheduling/plan.ts';

export type EvictionOutcome = 'evicted' | 'blocked' | 'gone' | 'conflict' | 'error';

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** What the executor needs of the cluster; scheduler/descheduler/kube-client.ts implements it with client-node. */
export interface EvictionClient {
  /** policy/v1 Eviction with a UID precondition, so a recreated pod of the same name is never hit. */
  evict(pod: PodRef): Promise<{ outcome: EvictionOutcome; message: string }>;
  annotate(pod: PodRef, annotations: Record<string, string>): Promise<void>;
  event(pod: PodRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export const REASON_ANNOTATION = 'tidal.io/eviction-reason';
export const TIME_ANNOTATION = 'tidal.io/eviction-time';

export interface ExecutionResult {
  attempted: number;
  outcomes: Record<EvictionOutcome, number>;
  /** Pods the Eviction API accepted: they count as leaving until the informer shows them terminating or gone. */
  evicted: PlannedEviction[];
  /** Stopped early because leadership was lost. */
  abandoned: number;
}

export interface ExecuteOptions {
  client: EvictionClient;
  now: () => number;
  /** Each apiserver call must answer within this (ms), else the outcome is an error (unknown); default 10 s. */
  callTimeoutMs?: number;
  /** Checked before every call: a replica that stopped leading must not go on evicting. */
  stillLeading?: () => boolean;
  onOutcome?: (e: PlannedEviction, outcome: EvictionOutcome, message: string) => void;
}

export async function executePlan(plan: readonly PlannedEviction[], opts: ExecuteOptions): Promise<ExecutionResult> {
  const res: ExecutionResult = { attempted: 0, outcomes: { evicted: 0, blocked: 0, gone: 0, conflict: 0, error: 0 }, evicted: [], abandoned: 0 };
  for (let i = 0; i < plan.length; i++) {
    if (opts.stillLeading && !opts.stillLeading()) {
      res.abandoned = plan.length - i;
      break;
    }
    const e = plan[i]!;
    const ref: PodRef = { namespace: e.pod.namespace, name: e.pod.name, uid: e.pod.uid };
    res.attempted++;
    let outcome: EvictionOutcome;
    let message: string;
    const timeout = opts.callTimeoutMs ?? 10_000;
    try {
      await within(opts.client.annotate(ref, { [REASON_ANNOTATION]: `${e.reason}: ${e.message}`, [TIME_ANNOTATION]: new Date(opts.now()).toISOString() }), timeout, 'annotating the pod');
      ({ outcome, message } = await within(opts.client.evict(ref), timeout, 'the eviction (outcome unknown)'));
    } catch (err) {
      outcome = isNotFound(err) ? 'gone' : 'error';
      message = (err as Error).message;
    }
    res.outcomes[outcome]++;
    if (outcome === 'evicted') res.evicted.push(e);
    opts.onOutcome?.(e, outcome, message);
    if (outcome === 'evicted' || outcome === 'blocked') {
      const type = outcome === 'evicted' ? 'Normal' : 'Warning';
      const reason = outcome === 'evicted' ? 'TidalEvicted' : 'TidalEvictionBlocked';
      const text = outcome === 'evicted' ? e.message : `${e.message}; refused by the apiserver, will retry next cycle: ${message}`;
      await within(opts.client.event(ref, type, reason, text), timeout, 'recording the Event').catch(() => {});
    }
  }
  return res;
}

/** The call's result, or a rejection when it does not settle within ms (the call itself goes on). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      t.unref();
    }),
  ]).finally(() => clearTimeout(t));
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

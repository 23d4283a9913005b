// The bind verb: kube-scheduler hands the binding of every pod it placed with Tidal to Tidal (the
// configuration's bindVerb), and Tidal creates the core/v1 Binding (the pods/binding subresource).
// The point is what happens around the call: the pod counts on its node in Tidal's state from the
// moment the binding is under way (an assumed pod, scheduler/kube/assumed.ts), so the next pod's
// filter sees the capacity taken even though the informer has not seen the binding yet. A failed
// binding is undone before the answer (kube-scheduler then retries the pod); a binding the informer
// never confirms expires.
//
// Only pods Tidal knows as pending are bound: the informer's pods, or a pod kube-scheduler asked to
// filter recently (the informer may lag behind kube-scheduler's). Anything else is refused with a
// reason, so that a caller who can reach the port cannot make Tidal bind an arbitrary pod it never saw
// kube-scheduler place (the apiserver checks the UID too: the Binding carries it as a precondition).

import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import pino, { type Logger } from 'pino';
import type { PodInfo } from '../core/model.ts';
import type { ClusterState } from '../core/state.ts';
import type { AssumedPods } from '../kube/assumed.ts';
import type { ExtenderMetrics } from './metrics.ts';
import type { ExtenderBindingArgs, ExtenderBindingResult } from './wire.ts';

/** Creates a Binding; rejects with a message that says why the apiserver refused. */
export interface BindingClient {
  bind(pod: { namespace: string; name: string; uid: string }, node: string): Promise<void>;
}

/** The pods/binding subresource through @kubernetes/client-node. */
export function kubeBindingClient(kc: KubeConfig): BindingClient {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async bind(pod, node) {
      try {
        await core.createNamespacedPodBinding({
          name: pod.name,
          namespace: pod.namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Binding',
            // The UID makes the apiserver refuse the binding if the pod was replaced by one of the same name.
            metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
            target: { apiVersion: 'v1', kind: 'Node', name: node },
          },
        });
      } catch (e) {
        throw new Error(apiErrorText(e));
      }
    },
  };
}

/** "HTTP 409: Operation cannot be fulfilled ..." from an ApiException (the Status message when there is one). */
export function apiErrorText(e: unknown): string {
  if (e instanceof ApiException) {
    let body: unknown = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // keep the text
      }
    }
    const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : typeof body === 'string' && body ? body : e.message;
    return `HTTP ${e.code}: ${message}`;
  }
  return (e as Error)?.message ?? String(e);
}

/** Why bind answers an error without a cluster (tidal extender --state). */
export const NO_CLUSTER_BIND_ERROR =
  'tidal extender serves a static snapshot (--state) and cannot bind pods: binding needs a cluster. ' +
  'For a rehearsal over a snapshot, generate the kube-scheduler configuration with `tidal config scheduler --no-bind` (kube-scheduler then binds)';

export interface BinderOptions {
  state: ClusterState;
  /** null: no cluster (snapshot): every bind answers NO_CLUSTER_BIND_ERROR. */
  client: BindingClient | null;
  /** Where bound pods are recorded; null with client null. */
  assumed: AssumedPods | null;
  metrics: ExtenderMetrics;
  log?: Logger;
  /** How many recently filtered pods to remember (for pods the informer has not delivered yet); default 10 000. */
  rememberPods?: number;
  /** A filter waits at most this (ms) for the bind of a pod filtered before it; default DEFAULT_BIND_WAIT_MS, 0: never waits. */
  bindWaitMs?: number;
}

/**
 * kube-scheduler sends the bind of a pod from a goroutine, after the pod's scheduling cycle, and starts
 * the next pod's cycle at once: the next filter can reach Tidal a few milliseconds before the previous
 * bind. So a filter first waits, at most this long, for the binds of the pods that passed a filter
 * earlier and have not been bound yet (their cycle may also have failed: then the wait runs out).
 */
export const DEFAULT_BIND_WAIT_MS = 250;
/** Filters wait for binds only while binds come (kube-scheduler configured with bindVerb): one within this. */
const BINDS_SEEN_WITHIN_MS = 5 * 60_000;

export class Binder {
  readonly #o: BinderOptions;
  readonly #log: Logger;
  /** Pods kube-scheduler asked to filter, by UID: the pod to assume if the informer has not delivered it yet. */
  readonly #filtered: LRUCache<string, PodInfo>;
  readonly #waitMs: number;
  /** Pods that passed a filter and whose bind has not come yet: uid -> until when (performance.now()) to wait for it. */
  readonly #awaiting = new Map<string, number>();
  readonly #wake = new Set<() => void>();
  #lastBindAt = -Infinity;

  constructor(o: BinderOptions) {
    if (o.client && !o.assumed) throw new Error('a binding client needs the assumed-pod cache to record bindings in');
    this.#o = o;
    this.#log = o.log ?? pino({ level: 'silent' });
    this.#filtered = new LRUCache({ max: o.rememberPods ?? 10_000 });
    this.#waitMs = o.bindWaitMs ?? DEFAULT_BIND_WAIT_MS;
    if (!(this.#waitMs >= 0)) throw new Error(`bind wait must be a non-negative duration (got ${this.#waitMs} ms)`);
  }

  /**
   * Before a filter: a promise that resolves once the binds of the pods filtered earlier have come (or
   * the wait ran out), or null when there is nothing to wait for (the usual case: no promise, no tick).
   */
  beforeFilter(uid: string | undefined): Promise<void> | null {
    if (!this.#o.client || this.#waitMs === 0) return null;
    // The pod is being filtered again: its earlier cycle ended without a bind.
    if (uid) this.#awaiting.delete(uid);
    if (this.#awaiting.size === 0) return null;
    const now = performance.now();
    if (now - this.#lastBindAt > BINDS_SEEN_WITHIN_MS) {
      this.#awaiting.clear();
      return null;
    }
    let until = 0;
    for (const [k, t] of this.#awaiting) {
      if (t <= now) this.#awaiting.delete(k);
      else if (t > until) until = t;
    }
    if (this.#awaiting.size === 0) return null;
    const { metrics } = this.#o;
    return new Promise<void>((resolve) => {
      const done = (outcome: 'bound' | 'timeout'): void => {
        clearTimeout(timer);
        this.#wake.delete(check);
        metrics.filterWaits.inc({ outcome });
        metrics.filterWaitSeconds.observe((performance.now() - now) / 1000);
        resolve();
      };
      const check = (): void => {
        if (this.#awaiting.size === 0) done('bound');
      };
      const timer = setTimeout(() => {
        // The pods still awaited will not be bound (their cycle failed, or went elsewhere): stop waiting for them.
        const t = performance.now();
        for (const [k, d] of this.#awaiting) if (d <= t) this.#awaiting.delete(k);
        done('timeout');
      }, Math.max(1, Math.ceil(until - now)));
      this.#wake.add(check);
    });
  }

  /** After a filter: a pod that passed some node will be bound next (or its cycle fails). */
  afterFilter(uid: string | undefined, passed: number): void {
    if (!this.#o.client || this.#waitMs === 0 || !uid) return;
    if (passed > 0) this.#awaiting.set(uid, performance.now() + this.#waitMs);
    else this.#awaiting.delete(uid);
  }

  #arrived(uid: string): void {
    this.#lastBindAt = performance.now();
    if (this.#awaiting.delete(uid) && this.#awaiting.size === 0) for (const w of [...this.#wake]) w();
  }

  /** Whether bind can do anything (a cluster to bind in). */
  get enabled(): boolean {
    return this.#o.client !== null;
  }

  /** Remembers a pod kube-scheduler is placing (from filter), in case bind comes before the informer's add. */
  remember(pod: PodInfo): void {
    if (this.#o.client && pod.uid && !pod.nodeName) this.#filtered.set(pod.uid, pod);
  }

  async bind(args: ExtenderBindingArgs): Promise<ExtenderBindingResult> {
    const started = performance.now();
    const { metrics } = this.#o;
    const who = `${args.PodNamespace}/${args.PodName}`;
    const client = this.#o.client;
    const assumed = this.#o.assumed;
    if (!client || !assumed) {
      metrics.binds.inc({ result: 'no-cluster' });
      return { Error: NO_CLUSTER_BIND_ERROR };
    }
    this.#arrived(args.PodUID);
    const refuse = (result: string, message: string): ExtenderBindingResult => {
      metrics.binds.inc({ result });
      this.#log.warn({ pod: who, uid: args.PodUID, node: args.Node }, `bind refused: ${message}`);
      return { Error: message };
    };
    const known = this.#o.state.pods.get(args.PodUID);
    const pod = known ?? this.#filtered.get(args.PodUID);
    if (!pod) return refuse('unknown-pod', `pod ${who} (uid ${args.PodUID}) is not known to Tidal: neither its informer nor a filter request has shown it`);
    if (pod.namespace !== args.PodNamespace || pod.name !== args.PodName) {
      return refuse('unknown-pod', `pod uid ${args.PodUID} is ${pod.namespace}/${pod.name} to Tidal, not ${who}`);
    }
    // Bound according to the informer (not by an assumption of ours): the apiserver will say so; record nothing.
    const boundElsewhere = known !== undefined && known.nodeName !== '' && !assumed.has(args.PodUID);
    if (!boundElsewhere) assumed.assume(pod, args.Node);
    try {
      await client.bind({ namespace: args.PodNamespace, name: args.PodName, uid: args.PodUID }, args.Node);
    } catch (e) {
      if (!boundElsewhere) assumed.forget(args.PodUID);
      const message = `binding ${who} to ${args.Node} failed: ${(e as Error).message}`;
      metrics.binds.inc({ result: 'error' });
      this.#log.warn({ pod: who, uid: args.PodUID, node: args.Node, durationMs: Math.round(performance.now() - started) }, message);
      return { Error: message };
    }
    assumed.finishBinding(args.PodUID);
    this.#filtered.delete(args.PodUID);
    metrics.binds.inc({ result: 'bound' });
    if (this.#log.isLevelEnabled('debug')) {
      this.#log.debug({ verb: 'bind', pod: who, class: pod.class, node: args.Node, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, `bound ${who} to ${args.Node}`);
    }
    return { Error: '' };
  }
}

// Keeps a core ClusterState current from the cluster: list+watch informers on nodes, pods and
// policy/v1 PodDisruptionBudgets, and a poller of metrics.k8s.io usage. Shared by the extender and
// the descheduler.
//
// Failure handling, because a scheduler extender must keep answering whatever the apiserver does:
// - client-node's ListWatch stops for good after an error other than 410 Gone or a client timeout;
//   the watcher restarts it with exponential backoff and jitter (logged, counted), resuming from the
//   last resourceVersion (ListWatch relists by itself when that has expired).
// - event handlers never throw: a bad object is converted with defaults (convert.ts reports what it
//   could not read) and an unexpected exception is logged and counted, never propagated (an exception
//   in a watch callback would otherwise become an unhandled promise rejection inside ListWatch).
// - metrics.k8s.io is optional: discovered once, re-checked every few minutes while absent; without
//   it the core predicts online usage from requests, by design.

import {
  ApisApi,
  CoreV1Api,
  ListWatch,
  Metrics,
  PolicyV1Api,
  Watch,
  type KubeConfig,
  type V1Node,
  type V1Pod,
  type V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ClassificationConfig } from '../core/classify.ts';
import type { Clock } from '../core/clock.ts';
import { podKey } from '../core/model.ts';
import type { ClusterState } from '../core/state.ts';
import { AssumedPods } from './assumed.ts';
import { nodeFromKube, pdbFromKube, podFromKube, podIsTerminal, type ConvertIssue } from './convert.ts';
import type { Readiness, StateSource } from './source.ts';
import { recordMetrics, type NodeMetricLike, type PodMetricLike } from './usage.ts';

export type WatchedResource = 'nodes' | 'pods' | 'pdbs';

/** The part of client-node's Informer the watcher uses (a fake implements it in tests). */
export interface InformerLike<T> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Makes one informer per resource. `onListed` must be called when a full list has been received, just
 * before its items are delivered as add/update/delete events; the watcher counts a resource synced
 * when start() resolves after such a list.
 */
export interface InformerFactory {
  nodes(onListed: () => void): InformerLike<V1Node>;
  pods(onListed: () => void): InformerLike<V1Pod>;
  pdbs(onListed: () => void): InformerLike<V1PodDisruptionBudget>;
}

export interface MetricsSource {
  /** Whether metrics.k8s.io/v1beta1 is served (API discovery). */
  available(): Promise<boolean>;
  nodeMetrics(): Promise<readonly NodeMetricLike[]>;
  podMetrics(): Promise<readonly PodMetricLike[]>;
}

/** Pods that have finished are of no interest; kube-scheduler's own pod informer filters alike. */
export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

/**
 * Rejects when `p` takes longer than `ms`: client-node's list calls have no timeout of their own, and
 * ListWatch only retries after an error, so a hung list would stall an informer for good.
 */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Informers on the cluster of a KubeConfig, through client-node's ListWatch. */
export function kubeInformers(kc: KubeConfig, listTimeoutMs = 180_000): InformerFactory {
  const core = kc.makeApiClient(CoreV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const watch = new Watch(kc);
  return {
    nodes: (onListed) =>
      new ListWatch<V1Node>('/api/v1/nodes', watch, async () => {
        const list = await within(core.listNode(), listTimeoutMs, 'listing nodes');
        onListed();
        return list;
      }, false),
    pods: (onListed) =>
      new ListWatch<V1Pod>(
        '/api/v1/pods',
        watch,
        async () => {
          const list = await within(core.listPodForAllNamespaces({ fieldSelector: POD_FIELD_SELECTOR }), listTimeoutMs, 'listing pods');
          onListed();
          return list;
        },
        false,
        undefined,
        POD_FIELD_SELECTOR,
      ),
    pdbs: (onListed) =>
      new ListWatch<V1PodDisruptionBudget>('/apis/policy/v1/poddisruptionbudgets', watch, async () => {
        const list = await within(policy.listPodDisruptionBudgetForAllNamespaces(), listTimeoutMs, 'listing poddisruptionbudgets');
        onListed();
        return list;
      }, false),
  };
}

/** metrics.k8s.io/v1beta1 of a KubeConfig's cluster. */
export function kubeMetrics(kc: KubeConfig): MetricsSource {
  const apis = kc.makeApiClient(ApisApi);
  const metrics = new Metrics(kc);
  return {
    async available() {
      const groups = await apis.getAPIVersions();
      return groups.groups.some((g) => g.name === 'metrics.k8s.io' && g.versions.some((v) => v.version === 'v1beta1'));
    },
    nodeMetrics: async () => (await metrics.getNodeMetrics()).items,
    podMetrics: async () => (await metrics.getPodMetrics()).items,
  };
}

export interface WatcherOptions {
  state: ClusterState;
  clock: Clock;
  classification: ClassificationConfig;
  informers: InformerFactory;
  /** null: no usage metrics (the core falls back to requests). */
  metrics?: MetricsSource | null;
  /** Metrics poll period; default 15 s. */
  metricsIntervalMs?: number;
  /** How often to look for metrics.k8s.io again while it is absent; default 5 min. */
  metricsRecheckMs?: number;
  /** Informer restart backoff: initial and maximum delay; default 1 s and 60 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  log?: Logger;
  /** Where to register the watcher's metrics; a private registry when absent. */
  registry?: Registry;
  /** How long a pod the extender bound counts on its node without the informer confirming it; default 30 s. */
  assumeTtlMs?: number;
}

type Status = 'idle' | 'starting' | 'watching' | 'error' | 'stopped';

interface Tracked {
  resource: WatchedResource;
  informer: InformerLike<any>;
  status: Status;
  synced: boolean;
  listedThisStart: boolean;
  erroredThisStart: boolean;
  attempt: number;
  errors: number;
  restarts: number;
  lastError: string;
  timer: NodeJS.Timeout | null;
}

export interface WatcherCounters {
  informerErrors: Counter<'resource'>;
  informerRestarts: Counter<'resource'>;
  handlerErrors: Counter<'resource'>;
  convertIssues: Counter<'field'>;
  metricsPolls: Counter<'result'>;
  synced: Gauge<'resource'>;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown; statusCode?: unknown }).code ?? (e as { statusCode?: unknown }).statusCode;
    return code !== undefined ? `${e.message} (code ${String(code)})` : e.message;
  }
  return String(e);
}

/** The object's name for a log line, whatever the object is. */
function nameOf(o: unknown): string {
  try {
    const m = (o as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    return m?.namespace ? `${String(m.namespace)}/${String(m.name)}` : String(m?.name ?? '?');
  } catch {
    return '?';
  }
}

/** A label for a convert issue's field that keeps metric cardinality low. */
function issueLabel(i: ConvertIssue): string {
  const m = /annotations\[([^\]]+)\]/.exec(i.field);
  if (m) return m[1]!;
  return i.object.startsWith('Node') ? 'node-resources' : i.object.startsWith('PodDisruptionBudget') ? 'pdb-selector' : 'pod-resources';
}

export class ClusterWatcher implements StateSource {
  readonly state: ClusterState;
  readonly counters: WatcherCounters;
  /** Pods bound by the extender that the informer has not shown bound yet (assumed.ts); pod events go through it. */
  readonly assumed: AssumedPods;
  readonly #o: WatcherOptions;
  readonly #log: Logger;
  readonly #tracked: Tracked[] = [];
  /** namespace/name -> uid, for pod metrics (named) against the state (keyed by uid). */
  readonly #podUids = new Map<string, string>();
  readonly #issueLogged = new LRUCache<string, true>({ max: 10_000 });
  #stopped = false;
  #metricsTimer: NodeJS.Timeout | null = null;
  #metricsAvailable: boolean | null = null;
  #metricsLastOk = 0;
  #metricsLastError = '';
  #metricsAbsentLogged = false;

  constructor(opts: WatcherOptions) {
    this.#o = opts;
    this.state = opts.state;
    this.#log = opts.log ?? pino({ level: 'silent' });
    this.assumed = new AssumedPods({ state: opts.state, clock: opts.clock, ttlMs: opts.assumeTtlMs });
    const registers = [opts.registry ?? new Registry()];
    this.counters = {
      informerErrors: new Counter({ name: 'tidal_informer_errors_total', help: 'Informer list/watch errors by resource', labelNames: ['resource'], registers }),
      informerRestarts: new Counter({ name: 'tidal_informer_restarts_total', help: 'Informer restarts after an error, by resource', labelNames: ['resource'], registers }),
      handlerErrors: new Counter({ name: 'tidal_informer_handler_errors_total', help: 'Unexpected exceptions in informer event handlers (caught), by resource', labelNames: ['resource'], registers }),
      convertIssues: new Counter({ name: 'tidal_convert_issues_total', help: 'Object fields that could not be read and fell back to their default, by field', labelNames: ['field'], registers }),
      metricsPolls: new Counter({ name: 'tidal_usage_metrics_polls_total', help: 'metrics.k8s.io polls by result (ok, error, unavailable)', labelNames: ['result'], registers }),
      synced: new Gauge({ name: 'tidal_informer_synced', help: '1 once the resource has been listed', labelNames: ['resource'], registers }),
    };
    const onIssue = (i: ConvertIssue): void => this.#issue(i);
    const cls = opts.classification;
    const track = <T>(resource: WatchedResource, make: (onListed: () => void) => InformerLike<T>, handlers: { upsert(o: T): void; remove(o: T): void }): void => {
      const t: Tracked = { resource, informer: null!, status: 'idle', synced: false, listedThisStart: false, erroredThisStart: false, attempt: 0, errors: 0, restarts: 0, lastError: '', timer: null };
      const informer = make(() => {
        t.listedThisStart = true;
      });
      t.informer = informer;
      const guard = (fn: (o: T) => void) => (o: T) => {
        try {
          fn(o);
        } catch (e) {
          this.counters.handlerErrors.inc({ resource });
          this.#log.error({ err: e, resource, object: nameOf(o) }, 'informer event handler failed; event skipped');
        }
      };
      informer.on('add', guard(handlers.upsert));
      informer.on('update', guard(handlers.upsert));
      informer.on('delete', guard(handlers.remove));
      informer.on('error', (err?: unknown) => this.#onError(t, err));
      this.#tracked.push(t);
    };
    track<V1Node>('nodes', (l) => opts.informers.nodes(l), {
      upsert: (n) => this.state.upsertNode(nodeFromKube(n, onIssue), this.#o.clock.now()),
      remove: (n) => this.state.removeNode(n.metadata?.name ?? ''),
    });
    track<V1Pod>('pods', (l) => opts.informers.pods(l), {
      upsert: (p) => {
        if (podIsTerminal(p)) return this.#removePod(p);
        const spec = this.assumed.observe(podFromKube(p, { classification: cls, onIssue }));
        const key = podKey(spec);
        const previous = this.#podUids.get(key);
        if (previous !== undefined && previous !== spec.uid) {
          this.assumed.observeRemoved(previous);
          this.state.removePod(previous);
        }
        this.#podUids.set(key, spec.uid);
        this.state.upsertPod(spec, this.#o.clock.now());
      },
      remove: (p) => this.#removePod(p),
    });
    track<V1PodDisruptionBudget>('pdbs', (l) => opts.informers.pdbs(l), {
      upsert: (b) => {
        const pdb = pdbFromKube(b, onIssue);
        if (pdb) this.state.upsertPdb(pdb);
        else this.state.removePdb(b.metadata?.namespace ?? 'default', b.metadata?.name ?? '');
      },
      remove: (b) => this.state.removePdb(b.metadata?.namespace ?? 'default', b.metadata?.name ?? ''),
    });
  }

  /** Starts every informer and the metrics poller. Resolves once each informer's first start attempt is over (synced or not). */
  async start(): Promise<void> {
    this.#stopped = false;
    this.assumed.start();
    await Promise.all(this.#tracked.map((t) => this.#run(t)));
    if (this.#o.metrics) this.#scheduleMetrics(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.assumed.stop();
    if (this.#metricsTimer) clearTimeout(this.#metricsTimer);
    this.#metricsTimer = null;
    await Promise.all(
      this.#tracked.map(async (t) => {
        if (t.timer) clearTimeout(t.timer);
        t.timer = null;
        t.status = 'stopped';
        try {
          await t.informer.stop();
        } catch (e) {
          this.#log.debug({ err: e, resource: t.resource }, 'informer stop failed');
        }
      }),
    );
  }

  isSynced(): boolean {
    return this.#tracked.every((t) => t.synced);
  }

  get synced(): boolean {
    return this.isSynced();
  }

  /** Resolves when every informer has synced, or rejects after `timeoutMs`. */
  async waitForSync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isSynced()) {
      if (Date.now() > deadline) throw new Error(`cluster state not synced after ${timeoutMs} ms: ${this.readiness().reason}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  readiness(): Readiness {
    const informers: Record<string, unknown> = {};
    for (const t of this.#tracked) {
      informers[t.resource] = { synced: t.synced, status: t.status, errors: t.errors, restarts: t.restarts, ...(t.lastError ? { lastError: t.lastError } : {}) };
    }
    const details = {
      informers,
      metrics: this.#o.metrics
        ? { available: this.#metricsAvailable, lastOk: this.#metricsLastOk ? new Date(this.#metricsLastOk).toISOString() : null, ...(this.#metricsLastError ? { lastError: this.#metricsLastError } : {}) }
        : { available: false, disabled: true },
      counts: { nodes: this.state.nodes.size, pods: this.state.pods.size },
    };
    const waiting = this.#tracked.filter((t) => !t.synced);
    if (waiting.length === 0) return { ready: true, reason: 'synced', details };
    const why = waiting.map((t) => `${t.resource}${t.lastError ? ` (last error: ${t.lastError})` : ''}`).join(', ');
    return { ready: false, reason: `cluster state not synced yet: waiting for the initial list of ${why}`, details };
  }

  #removePod(p: V1Pod): void {
    const ns = p.metadata?.namespace || 'default';
    const key = `${ns}/${p.metadata?.name ?? ''}`;
    const uid = p.metadata?.uid || this.#podUids.get(key);
    if (uid === undefined) return;
    this.assumed.observeRemoved(uid);
    this.state.removePod(uid);
    if (this.#podUids.get(key) === uid) this.#podUids.delete(key);
  }

  #issue(i: ConvertIssue): void {
    this.counters.convertIssues.inc({ field: issueLabel(i) });
    const key = `${i.object}|${i.field}`;
    if (this.#issueLogged.has(key)) return;
    this.#issueLogged.set(key, true);
    this.#log.warn({ object: i.object, field: i.field }, `cannot read ${i.field}: ${i.message}`);
  }

  async #run(t: Tracked): Promise<void> {
    if (this.#stopped) return;
    t.status = 'starting';
    t.listedThisStart = false;
    t.erroredThisStart = false;
    try {
      await t.informer.start();
    } catch (e) {
      this.#onError(t, e);
      return;
    }
    if (this.#stopped) return;
    if (t.listedThisStart && !t.synced) {
      t.synced = true;
      this.counters.synced.set({ resource: t.resource }, 1);
      this.#log.info({ resource: t.resource, nodes: this.state.nodes.size, pods: this.state.pods.size }, `${t.resource} listed`);
      if (this.isSynced()) this.#log.info({ nodes: this.state.nodes.size, pods: this.state.pods.size }, 'cluster state synced');
    }
    if (!t.erroredThisStart) {
      t.status = 'watching';
      t.attempt = 0;
    }
  }

  #onError(t: Tracked, err: unknown): void {
    t.erroredThisStart = true;
    t.errors++;
    t.lastError = errorText(err);
    this.counters.informerErrors.inc({ resource: t.resource });
    if (this.#stopped) return;
    t.status = 'error';
    if (t.timer) return;
    const base = this.#o.backoffInitialMs ?? 1000;
    const max = this.#o.backoffMaxMs ?? 60_000;
    const delay = Math.round(Math.min(max, base * 2 ** t.attempt) * (0.8 + 0.4 * Math.random()));
    t.attempt = Math.min(t.attempt + 1, 30);
    this.#log.warn({ resource: t.resource, err: t.lastError, retryInMs: delay, errors: t.errors }, `${t.resource} informer failed; restarting`);
    t.timer = setTimeout(() => {
      t.timer = null;
      if (this.#stopped) return;
      t.restarts++;
      this.counters.informerRestarts.inc({ resource: t.resource });
      void this.#run(t);
    }, delay);
  }

  #scheduleMetrics(delay: number): void {
    if (this.#stopped) return;
    this.#metricsTimer = setTimeout(() => {
      this.#metricsTimer = null;
      void this.#pollMetrics().finally(() => {
        const next = this.#metricsAvailable === false ? (this.#o.metricsRecheckMs ?? 300_000) : (this.#o.metricsIntervalMs ?? 15_000);
        this.#scheduleMetrics(next);
      });
    }, delay);
  }

  /** One metrics round (exposed for tests and for a first poll right after sync). */
  async pollMetricsOnce(): Promise<void> {
    await this.#pollMetrics();
  }

  async #pollMetrics(): Promise<void> {
    const src = this.#o.metrics;
    if (!src || this.#stopped) return;
    try {
      if (this.#metricsAvailable !== true) {
        this.#metricsAvailable = await src.available();
        if (!this.#metricsAvailable) {
          this.counters.metricsPolls.inc({ result: 'unavailable' });
          if (!this.#metricsAbsentLogged) {
            this.#metricsAbsentLogged = true;
            this.#log.warn('metrics.k8s.io/v1beta1 is not served: online usage is predicted from requests until it is (checked again every few minutes)');
          }
          return;
        }
        this.#log.info('metrics.k8s.io/v1beta1 found: polling node and pod usage');
        this.#metricsAbsentLogged = false;
      }
      // Usage of nodes and pods the state does not know yet is useless: wait for the lists.
      if (!this.#tracked[0]!.synced || !this.#tracked[1]!.synced) return;
      const [nodes, pods] = await Promise.all([src.nodeMetrics(), src.podMetrics()]);
      if (this.#stopped) return;
      const r = recordMetrics(this.state, nodes, pods, this.#o.clock.now(), {
        uidOf: (ns, name) => this.#podUids.get(`${ns}/${name}`),
        maxAgeMs: this.state.usageConfig.staleAfterMs,
      });
      this.#metricsLastOk = Date.now();
      this.#metricsLastError = '';
      this.counters.metricsPolls.inc({ result: 'ok' });
      this.#log.debug(r, 'usage metrics recorded');
    } catch (e) {
      this.counters.metricsPolls.inc({ result: 'error' });
      const text = errorText(e);
      if (text !== this.#metricsLastError) this.#log.warn({ err: text }, 'metrics.k8s.io poll failed');
      this.#metricsLastError = text;
      // A 404 means the API went away (metrics-server uninstalled): go back to discovery.
      if (/\b404\b/.test(text) || (e as { code?: number }).code === 404) this.#metricsAvailable = null;
    }
  }
}

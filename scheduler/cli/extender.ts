// tidal extender: the kube-scheduler extender webhook, over a live cluster (informers and
// metrics.k8s.io) or a static snapshot (--state).
//
// Transport: HTTPS with --tls-cert-file and --tls-key-file (reloaded when they change), plus client
// certificate verification with --client-ca-file. Plain HTTP only when chosen: --plain-http, or
// implicitly with --state (a rehearsal over a snapshot file, no cluster data). Against a live cluster
// without either, the command refuses to start. See docs/security.md.

import type { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { loadProfileFile } from '../../profiles/loader.ts';
import { resolveModePolicy } from '../config/policy-loader.ts';
import { forecastModeProfile } from '../core/profile.ts';
import { OffsetClock, realClock, type Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { PolicyEngine } from '../core/engine.ts';
import { parseMemoryBytes } from '../core/quantity.ts';
import { ClusterState } from '../core/state.ts';
import {
  DEFAULT_DECISION_BUDGET_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_URL_PREFIX,
  createExtenderApp,
  startExtender,
  type ExtenderLocals,
  type RunningExtender,
} from '../extender/server.ts';
import type { NotReadyMode } from '../extender/handlers.ts';
import { TlsReloader } from '../extender/tls.ts';
import { DEFAULT_ASSUME_TTL_MS } from '../kube/assumed.ts';
import type { StateSource } from '../kube/source.ts';
import { ClusterWatcher } from '../kube/watcher.ts';
import { DEFAULT_LEASE_NAMESPACE, DEFAULT_TIMINGS, LeaderElector, sleep } from '../kube/leader.ts';
import { kubeLeaseStore } from '../kube/lease-store.ts';
import { LeaderGatedSource } from '../extender/leadership.ts';
import { hostname } from 'node:os';
import { DEFAULT_BIND_WAIT_MS, kubeBindingClient } from '../extender/bind.ts';
import { openStateSource } from './state-source.ts';
import { formatTime, parseTime } from './time.ts';

export interface ExtenderCliOptions {
  address: string;
  port: string;
  urlPrefix: string;
  kubeconfig?: string;
  profile: string;
  /** Deprecated no-op: the forecast is the default. */
  forecast?: boolean;
  /** The timetable mode (the time-sharing-timetable preset) instead of the forecast. */
  timetable?: boolean;
  config?: string;
  state?: string;
  maxBodyBytes: string;
  metricsInterval: string;
  onlineWhenNotReady: string;
  batchWhenNotReady: string;
  at?: string;
  logLevel: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  clientCaFile?: string;
  plainHttp?: boolean;
  /** Duration; default 500ms, 0 disables. */
  decisionBudget?: string;
  onlineWhenOverloaded?: string;
  batchWhenOverloaded?: string;
  /** Duration; default 10s. */
  requestTimeout?: string;
  /** Duration; default 30s. */
  assumeTtl?: string;
  /** Duration; default 250ms, 0 disables. */
  bindWait?: string;
  /** Only the holder of the Lease serves (two or more replicas). */
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  identity?: string;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function register(program: Command): void {
  program
    .command('extender')
    .description('serve the kube-scheduler extender webhook (filter, prioritize, preempt, bind) over a live cluster or a snapshot')
    .requiredOption('--profile <file>', 'time-sharing profile YAML (e.g. profiles/daily-tidal.yaml)')
    .option('--config <file>', 'TidalConfig YAML overriding parts of the time-sharing policy (see scheduler/config/example-config.yaml)')
    .option('--address <host>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on', '8888')
    .option('--url-prefix <path>', 'path prefix of the verbs (POST <prefix>/filter, /prioritize, /preempt, /bind)', DEFAULT_URL_PREFIX)
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else in-cluster, else ~/.kube/config; none found is an error)')
    .option('--state <file>', 'serve a static cluster snapshot (JSON/YAML ClusterSnapshot or kubectl List) instead of watching a cluster')
    .option('--max-body-bytes <size>', 'largest request body accepted (bytes, or a quantity such as 16Mi)', String(DEFAULT_MAX_BODY_BYTES))
    .option('--metrics-interval <duration>', 'how often to poll metrics.k8s.io for node and pod usage', '15s')
    .option('--online-when-not-ready <mode>', 'before the state has synced, online pods pass every node (open) or none (closed)', 'open')
    .option('--batch-when-not-ready <mode>', 'before the state has synced, batch pods pass every node (open) or none (closed)', 'closed')
    .option('--timetable', "Tidal's timetable mode: the time-sharing-timetable preset (batch capacity from the profile's windows), as the simulator's time-sharing-timetable; without it (and without --config), the default time-sharing preset: batch capacity from each node's forecast (ForecastCapacity), the profile read in forecast mode (dated windows and online-demand events only), as the simulator's time-sharing. With --config, the file's base decides")
    .option('--forecast', 'deprecated, does nothing: the forecast mode is the default')
    .option('--at <time>', 'rehearse: evaluate the profile as if it were this instant (ISO 8601, local to the profile time zone without an offset); time still flows')
    .option('--log-level <level>', `log level (${LEVELS.join(', ')}); debug logs one line per decision`, 'info')
    .option('--tls-cert-file <file>', 'serve HTTPS with this PEM certificate (chain); reloaded when it changes')
    .option('--tls-key-file <file>', 'PEM private key of --tls-cert-file')
    .option('--client-ca-file <file>', 'mTLS: the verbs answer only clients whose certificate this PEM CA bundle verifies (401 otherwise); /healthz, /readyz, /metrics stay open')
    .option('--plain-http', 'serve plain HTTP (no TLS flags): for a loopback or mesh-encrypted setup; implied by --state')
    .option('--decision-budget <duration>', 'answer within this from arrival; a request that would not is answered in degraded mode at once (0: off)', `${DEFAULT_DECISION_BUDGET_MS}ms`)
    .option('--online-when-overloaded <mode>', 'degraded mode for online (and system) pods: pass every node (open) or none (closed)', 'open')
    .option('--batch-when-overloaded <mode>', 'degraded mode for batch pods: pass every node (open) or none (closed, with a reason)', 'closed')
    .option('--assume-ttl <duration>', 'a pod Tidal bound counts on its node at once; if the informer has not shown it bound within this, the assumption is dropped', `${DEFAULT_ASSUME_TTL_MS / 1000}s`)
    .option('--bind-wait <duration>', 'kube-scheduler sends a pod\'s bind after starting the next pod\'s cycle: a filter first waits at most this for the binds of pods filtered before it (0: never)', `${DEFAULT_BIND_WAIT_MS}ms`)
    .option('--request-timeout <duration>', 'a request must arrive whole (headers and body) within this, else 408 and the connection is closed', `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`)
    .option('--leader-elect', 'run as one of several replicas: only the holder of the Lease admits (the others answer as not synced and report 503 on /readyz, so that the Service routes to the leader); required for more than one replica')
    .option('--lease-namespace <ns>', 'with --leader-elect: namespace of the Lease', DEFAULT_LEASE_NAMESPACE)
    .option('--lease-name <name>', 'with --leader-elect: name of the Lease', 'tidal-extender')
    .option('--identity <name>', 'with --leader-elect: this replica\'s holder identity (default: $POD_NAME, else the host name)')
    .option('--lease-duration <duration>', 'with --leader-elect: a standby takes over after the Lease has gone unrenewed this long', `${DEFAULT_TIMINGS.leaseDurationMs / 1000}s`)
    .option('--renew-deadline <duration>', 'with --leader-elect: a leader that cannot renew within this stops admitting (shorter than --lease-duration)', `${DEFAULT_TIMINGS.renewDeadlineMs / 1000}s`)
    .option('--retry-period <duration>', 'with --leader-elect: how often to renew or try to acquire; also how long a new leader waits for the previous one\'s last binds before it admits', `${DEFAULT_TIMINGS.retryPeriodMs / 1000}s`)
    .action(async (opts: ExtenderCliOptions) => {
      const running = await runExtender(opts);
      await running.done;
    });
}

function durationFlag(v: string, flag: string, min: number): number {
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch {
    throw new Error(`${flag} must be a duration such as 500ms or 2s (got ${v})`);
  }
  if (!(ms >= min)) throw new Error(`${flag} must be at least ${min} ms (got ${v})`);
  return ms;
}

/** plain, tls or mtls, from the flags; refuses contradictions and an implicit plain HTTP against a cluster. */
export function checkTransport(o: Pick<ExtenderCliOptions, 'tlsCertFile' | 'tlsKeyFile' | 'clientCaFile' | 'plainHttp' | 'state'>): 'plain' | 'tls' | 'mtls' {
  const tls = !!(o.tlsCertFile || o.tlsKeyFile);
  if (tls && !(o.tlsCertFile && o.tlsKeyFile)) throw new Error('--tls-cert-file and --tls-key-file go together: give both');
  if (o.clientCaFile && !tls) throw new Error('--client-ca-file needs --tls-cert-file and --tls-key-file (client certificates are verified over TLS)');
  if (tls && o.plainHttp) throw new Error('--plain-http contradicts --tls-cert-file/--tls-key-file: choose one');
  if (tls) return o.clientCaFile ? 'mtls' : 'tls';
  if (o.plainHttp || o.state) return 'plain';
  throw new Error(
    'choose the transport: --tls-cert-file FILE --tls-key-file FILE (HTTPS; add --client-ca-file FILE to verify kube-scheduler\'s certificate), ' +
      'or --plain-http (unencrypted, unauthenticated: only on loopback or inside an encrypting mesh). See docs/security.md',
  );
}

function mode(v: string, flag: string): NotReadyMode {
  if (v !== 'open' && v !== 'closed') throw new Error(`${flag} must be open or closed (got ${JSON.stringify(v)})`);
  return v;
}

export interface ExtenderProcess {
  server: RunningExtender;
  source: StateSource;
  log: Logger;
  /** Resolves after a graceful shutdown (SIGTERM/SIGINT or shutdown()). */
  done: Promise<void>;
  /** Resolves once the state source's first start attempt is over (synced or not). */
  started: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

/** Starts the extender as the CLI does; exported for the demo and tests. */
export async function runExtender(opts: ExtenderCliOptions, installSignals = true): Promise<ExtenderProcess> {
  if (!LEVELS.includes(opts.logLevel)) throw new Error(`--log-level must be one of ${LEVELS.join(', ')} (got ${opts.logLevel})`);
  const log = pino({ level: opts.logLevel, base: { component: 'tidal-extender' } });
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535 (got ${opts.port})`);
  let maxBody: number;
  try {
    maxBody = parseMemoryBytes(opts.maxBodyBytes);
  } catch {
    throw new Error(`--max-body-bytes must be a size such as 16777216 or 16Mi (got ${opts.maxBodyBytes})`);
  }
  if (!(maxBody > 0)) throw new Error(`--max-body-bytes must be positive (got ${opts.maxBodyBytes})`);
  const metricsIntervalMs = parseDuration(opts.metricsInterval);
  if (!(metricsIntervalMs >= 1000)) throw new Error(`--metrics-interval must be at least 1s (got ${opts.metricsInterval})`);
  const whenNotReady = { online: mode(opts.onlineWhenNotReady, '--online-when-not-ready'), batch: mode(opts.batchWhenNotReady, '--batch-when-not-ready') };
  const online = mode(opts.onlineWhenOverloaded ?? 'open', '--online-when-overloaded');
  const whenOverloaded = { online, system: online, batch: mode(opts.batchWhenOverloaded ?? 'closed', '--batch-when-overloaded') };
  const decisionBudgetMs = durationFlag(opts.decisionBudget ?? `${DEFAULT_DECISION_BUDGET_MS}ms`, '--decision-budget', 0);
  const requestTimeoutMs = durationFlag(opts.requestTimeout ?? `${DEFAULT_REQUEST_TIMEOUT_MS}ms`, '--request-timeout', 100);
  const bindWaitMs = durationFlag(opts.bindWait ?? `${DEFAULT_BIND_WAIT_MS}ms`, '--bind-wait', 0);
  const assumeTtlMs = durationFlag(opts.assumeTtl ?? `${DEFAULT_ASSUME_TTL_MS}ms`, '--assume-ttl', 1000);
  const transport = checkTransport(opts);

  const loaded = loadProfileFile(opts.profile);
  const { policy, forecast } = resolveModePolicy(opts, (m) => log.warn(m));
  const profile = forecast ? forecastModeProfile(loaded) : loaded;
  const clock: Clock = opts.at ? new OffsetClock(parseTime(opts.at, profile.timeZone)) : realClock;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const state = new ClusterState(policy.usage);

  const { source, kubeConfig } = openStateSource({ stateFile: opts.state, kubeconfig: opts.kubeconfig, state, clock, policy, metricsIntervalMs, log, registry });
  // The bind verb needs a cluster: over a snapshot it answers an Error saying so (docs/security.md).
  let binding: { client: ReturnType<typeof kubeBindingClient>; assumed: ClusterWatcher['assumed'] } | null = null;
  if (kubeConfig && source instanceof ClusterWatcher) {
    source.assumed.ttlMs = assumeTtlMs;
    binding = { client: kubeBindingClient(kubeConfig), assumed: source.assumed };
  }

  let elector: LeaderElector | null = null;
  let gated: LeaderGatedSource | null = null;
  let onLeadership: (leading: boolean) => void = () => {};
  if (opts.leaderElect) {
    if (!kubeConfig) throw new Error('--leader-elect needs a cluster (it keeps a Lease there); drop it with --state');
    const identity = opts.identity ?? process.env.POD_NAME ?? hostname();
    const namespace = opts.leaseNamespace ?? DEFAULT_LEASE_NAMESPACE;
    const leaseName = opts.leaseName ?? 'tidal-extender';
    const cfg = {
      identity,
      namespace,
      leaseName,
      leaseDurationMs: durationFlag(opts.leaseDuration ?? `${DEFAULT_TIMINGS.leaseDurationMs}ms`, '--lease-duration', 1000),
      renewDeadlineMs: durationFlag(opts.renewDeadline ?? `${DEFAULT_TIMINGS.renewDeadlineMs}ms`, '--renew-deadline', 500),
      retryPeriodMs: durationFlag(opts.retryPeriod ?? `${DEFAULT_TIMINGS.retryPeriodMs}ms`, '--retry-period', 100),
    };
    if (cfg.renewDeadlineMs >= cfg.leaseDurationMs) throw new Error(`--renew-deadline (${opts.renewDeadline}) must be shorter than --lease-duration (${opts.leaseDuration ?? '15s'})`);
    if (cfg.retryPeriodMs >= cfg.renewDeadlineMs) throw new Error(`--retry-period (${opts.retryPeriod}) must be shorter than --renew-deadline (${opts.renewDeadline ?? '10s'})`);
    elector = new LeaderElector(kubeLeaseStore(kubeConfig, namespace, leaseName), cfg, realClock, (leading) => onLeadership(leading));
    gated = new LeaderGatedSource(source, elector, { clock: realClock, settleMs: cfg.retryPeriodMs, lease: `${namespace}/${leaseName}` });
  }
  const served: StateSource = gated ?? source;

  const engine = new PolicyEngine({ config: policy, state, profile });
  const app = createExtenderApp({
    engine,
    source: served,
    clock,
    urlPrefix: opts.urlPrefix,
    maxBodyBytes: maxBody,
    whenNotReady,
    whenOverloaded,
    decisionBudgetMs,
    requireClientCert: transport === 'mtls',
    log,
    registry,
    binding,
    bindWaitMs,
  });
  const locals = app.locals.tidal as ExtenderLocals;
  // Invalid TLS files stop the start here, naming the file and the problem.
  const tls =
    transport === 'plain'
      ? undefined
      : new TlsReloader({ certFile: opts.tlsCertFile!, keyFile: opts.tlsKeyFile!, clientCaFile: opts.clientCaFile }, { log, metrics: locals.metrics });
  if (transport === 'plain') {
    log.warn(
      { reason: opts.plainHttp ? '--plain-http' : '--state (snapshot rehearsal)' },
      'serving plain HTTP: anyone who can reach this port can call the verbs and read the answers (see docs/security.md)',
    );
  }
  if (!elector && !opts.state) log.warn('no --leader-elect: run exactly one replica (two would each admit against the same free batch capacity)');
  const server = await startExtender(app, { host: opts.address, port, tls, requestTimeoutMs });
  const leaderGauge = new Gauge({ name: 'tidal_extender_leader', help: '1 while this replica holds the Lease and serves (only with --leader-elect)', registers: [registry] });
  onLeadership = (leading) => {
    gated?.noteLeadership(leading);
    leaderGauge.set(leading ? 1 : 0);
    log.info({ identity: elector?.config.identity, lease: elector ? `${elector.config.namespace}/${elector.config.leaseName}` : undefined }, leading ? 'became leader: admitting' : 'stopped leading: standby (admits no batch)');
    // Keep-alive connections would keep reaching a standby: drop the idle ones; busy ones close after their answer.
    if (!leading) server.server.closeIdleConnections();
  };
  const election = new AbortController();
  // Elect only once the informers are warm: a leader that has not synced would not serve anyway.
  const electing = elector
    ? (async () => {
        while (!source.isSynced() && !election.signal.aborted) await sleep(100, election.signal);
        await elector.run(election.signal);
      })()
    : Promise.resolve();
  const level = engine.timeline.at(clock.now());
  log.info(
    {
      url: server.url,
      urlPrefix: opts.urlPrefix,
      transport,
      ...(tls ? { certificate: tls.current.subject, notAfter: tls.current.notAfter.toISOString() } : {}),
      decisionBudgetMs,
      profile: profile.name,
      policy: policy.name,
      source: opts.state ? `snapshot ${opts.state}` : 'cluster',
      bind: binding ? `binds pods (assumed for up to ${assumeTtlMs / 1000} s until the informer confirms)` : 'no cluster: bind answers an error (use tidal config scheduler --no-bind)',
      now: formatTime(clock.now(), profile.timeZone),
      window: level.segment.window?.name ?? 'default',
      batchShare: level.batchShare,
      onlineHeadroom: level.onlineHeadroom,
    },
    `tidal extender listening on ${server.url}${opts.urlPrefix}`,
  );

  // Never let a stray rejection (a client library callback, a timer) take the webhook down.
  const unhandled = new Counter({ name: 'tidal_unhandled_rejections_total', help: 'Promise rejections nobody handled (logged, not fatal)', registers: [registry] });
  const onRejection = (reason: unknown): void => {
    unhandled.inc();
    log.error({ err: reason }, 'unhandled promise rejection (ignored)');
  };
  process.on('unhandledRejection', onRejection);

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down');
      // Exit even if a connection or a watch lingers past the grace period.
      setTimeout(() => {
        log.warn('shutdown took longer than 10 s; exiting');
        process.exit(0);
      }, 10_000).unref();
      // Stop answering first, then give the Lease up (a standby takes over at once), then stop watching.
      await Promise.allSettled([server.close()]);
      election.abort();
      await electing;
      await Promise.allSettled([source.stop()]);
      process.off('unhandledRejection', onRejection);
      if (installSignals) {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
      }
      log.info('stopped');
      resolveDone();
    })();
    return stopping;
  };
  const onTerm = (): void => void shutdown('SIGTERM');
  const onInt = (): void => void shutdown('SIGINT');
  if (installSignals) {
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  }

  // Serve /healthz and /readyz (503 until synced) while the informers list the cluster; the first
  // sync is not awaited here, so that signals and shutdown work however long the lists take.
  const started = source.start().catch((e: unknown) => log.error({ err: e }, 'state source failed to start'));
  return { server, source, log, done, started, shutdown };
}

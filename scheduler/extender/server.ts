// The kube-scheduler extender webhook (express): POST {urlPrefix}/filter, /prioritize, /preempt and
// /bind as kube-scheduler calls them (see wire.ts, bind.ts), plus GET /healthz, /readyz and /metrics.
//
// Error answers: a body that is not JSON, not application/json, nested deeper than MAX_JSON_DEPTH or
// not the wire shape is a 400 whose `Error` names what is wrong; a compressed body is a 415; a body
// over the limit is a 413; an unknown path is a 404; under mTLS a verb without a verified client
// certificate is a 401; an exception inside Tidal is a 500 (for filter with the full
// ExtenderFilterResult shape, the message in `Error`) and the server keeps serving. A request that
// does not arrive whole within --request-timeout is answered 408 by Node and its connection closed.
// kube-scheduler treats every non-200 as an error of that extender (it does not read the body then:
// Tidal's own log and metrics carry the message).
//
// Deadlines (deadline.ts): each request is stamped on arrival; a request that would be answered
// outside the decision budget is answered at once in degraded mode instead (handlers.ts).

import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import pino from 'pino';
import { Registry } from 'prom-client';
import { realClock, type Clock } from '../core/clock.ts';
import { explainNode } from '../core/forecast/explain.ts';
import { forecastBookOf, forecastCapacityArgs } from '../core/plugins/forecast-capacity.ts';
import type { PolicyEngine } from '../core/engine.ts';
import type { AssumedPods } from '../kube/assumed.ts';
import type { StateSource } from '../kube/source.ts';
import { Binder, type BindingClient } from './bind.ts';
import { DecisionBudget, sharedLoopMonitor, type LoopMonitor } from './deadline.ts';
import { ExtenderHandlers, type NotReadyPolicy, type OverloadPolicy } from './handlers.ts';
import { ExtenderMetrics } from './metrics.ts';
import type { TlsReloader } from './tls.ts';
import { parseBindingArgs, parseExtenderArgs, parsePreemptionArgs, WireError, type ExtenderArgs, type ExtenderFilterResult, type ExtenderPreemptionArgs } from './wire.ts';

export const DEFAULT_URL_PREFIX = '/scheduler';
/** kube-scheduler sends whole NodeLists when nodeCacheCapable is false: thousands of nodes are megabytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Well inside kube-scheduler's httpTimeout (default 5 s; `tidal config scheduler` suggests 2 s). */
export const DEFAULT_DECISION_BUDGET_MS = 500;
/** A request (headers and body) must arrive whole within this; slower clients get 408 and are disconnected. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Kubernetes objects nest about 10 deep; anything far deeper is hostile (and would overflow JSON.stringify's stack when echoed). */
export const MAX_JSON_DEPTH = 64;

export interface ExtenderAppOptions {
  engine: PolicyEngine;
  /** The state's source, for readiness (its state must be the engine's). */
  source: StateSource;
  /** Real time by default; an OffsetClock for `--at` rehearsals. */
  clock?: Clock;
  /** Path prefix of the verbs; default /scheduler (so POST /scheduler/filter). */
  urlPrefix?: string;
  maxBodyBytes?: number;
  /** Answers before the state has synced; default online open, batch closed, system open. */
  whenNotReady?: Partial<NotReadyPolicy>;
  /** From a request's arrival to its answer (ms); over it, degraded answers. Default 500; 0 disables. */
  decisionBudgetMs?: number;
  /** Answers when over budget; default online open, batch closed, system open. */
  whenOverloaded?: Partial<OverloadPolicy>;
  /** Verbs answer 401 unless the TLS client presented a certificate that verified (mTLS). */
  requireClientCert?: boolean;
  /** The event-loop stall monitor (the process-wide one by default; tests pass their own). */
  loopMonitor?: LoopMonitor;
  log?: Logger;
  /** Where to register the extender's metrics (also served on /metrics); a private one when absent. */
  registry?: Registry;
  /**
   * The bind verb's cluster: the API client that creates Bindings and the assumed-pod cache of the
   * state's watcher (bound pods count at once). Absent (a snapshot): bind answers an Error saying so.
   */
  binding?: { client: BindingClient; assumed: AssumedPods } | null;
  /** With binding: a filter waits at most this (ms) for the binds of pods filtered before it (bind.ts); default 250, 0: never. */
  bindWaitMs?: number;
}

/** What createExtenderApp leaves in app.locals for startExtender. */
export interface ExtenderLocals {
  metrics: ExtenderMetrics;
  log: Logger;
  handlers: ExtenderHandlers;
  budget: DecisionBudget;
}

type Stamped = Request & { tidalArrivedAt?: number };

/** Whether the JSON text nests objects/arrays deeper than `max` (a byte scan that skips strings). */
export function jsonDepthExceeds(buf: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function nodeCount(args: ExtenderArgs): number {
  return args.NodeNames !== null ? args.NodeNames.length : (args.Nodes?.items?.length ?? 0);
}

function victimNodeCount(args: ExtenderPreemptionArgs): number {
  const m = args.NodeNameToMetaVictims ?? args.NodeNameToVictims ?? {};
  let n = 0;
  for (const k in m) if (Object.hasOwn(m, k)) n++;
  return n;
}

/** "/scheduler/" -> "/scheduler", "scheduler" -> "/scheduler", "/" -> "". */
export function normalizeUrlPrefix(prefix: string): string {
  let p = prefix.trim();
  if (p !== '' && !p.startsWith('/')) p = `/${p}`;
  p = p.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(p)) throw new Error(`url prefix ${JSON.stringify(prefix)} must be a path such as /scheduler (letters, digits, . _ ~ - between slashes)`);
  return p;
}

const VERBS = ['filter', 'prioritize', 'preempt'] as const;
type Verb = (typeof VERBS)[number];
/** The decision verbs and bind (I/O, not a decision: outside the decision budget). */
const ALL_VERBS = [...VERBS, 'bind'] as const;

function emptyFilterResult(error: string): ExtenderFilterResult {
  return { Nodes: null, NodeNames: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: error };
}

function sendJson(res: express.Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/** The extender as an express app. Bind it with startExtender (or any http server). */
export function createExtenderApp(opts: ExtenderAppOptions): Express {
  const prefix = normalizeUrlPrefix(opts.urlPrefix ?? DEFAULT_URL_PREFIX);
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(limit > 0)) throw new Error(`maxBodyBytes must be positive (got ${limit})`);
  const log = opts.log ?? pino({ level: 'silent' });
  const registry = opts.registry ?? new Registry();
  const metrics = new ExtenderMetrics(registry);
  const binding = opts.binding ?? null;
  if (binding && binding.assumed.state !== opts.engine.state) throw new Error('the assumed-pod cache must write the engine\'s state');
  if (binding) {
    const assumed = binding.assumed;
    metrics.assumedCount = () => assumed.size;
    assumed.onOutcome((outcome, p) => {
      metrics.assumedEnded.inc({ outcome });
      if (outcome === 'expired') log.warn({ uid: p.uid, node: p.node, bindingSucceeded: p.bound }, `assumed pod ${p.uid} expired: its informer never showed it bound to ${p.node} within ${assumed.ttlMs} ms`);
    });
  }
  const binder = new Binder({ state: opts.engine.state, client: binding?.client ?? null, assumed: binding?.assumed ?? null, metrics, log, bindWaitMs: opts.bindWaitMs });
  const handlers = new ExtenderHandlers({ engine: opts.engine, source: opts.source, clock: opts.clock, whenNotReady: opts.whenNotReady, whenOverloaded: opts.whenOverloaded, log, metrics, binder });
  const budget = new DecisionBudget({ budgetMs: opts.decisionBudgetMs ?? DEFAULT_DECISION_BUDGET_MS });
  const loop = opts.loopMonitor ?? sharedLoopMonitor();
  const routes = new Map<string, string>([
    ...ALL_VERBS.map((v) => [`${prefix}/${v}`, v] as [string, string]),
    ['/healthz', 'healthz'],
    ['/readyz', 'readyz'],
    ['/metrics', 'metrics'],
  ]);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.locals.tidal = { metrics, log, handlers, budget } satisfies ExtenderLocals;

  // Stamp arrival (backdated by the time it may have waited unseen behind a busy event loop), and
  // count and time every request, by verb and status.
  app.use((req, res, next) => {
    const arrived = performance.now() - loop.unseenWaitMs();
    (req as Stamped).tidalArrivedAt = arrived;
    const verb = routes.get(req.path) ?? 'other';
    res.on('finish', () => {
      const code = String(res.statusCode);
      metrics.requests.inc({ verb, code });
      metrics.duration.observe({ verb, code }, (performance.now() - arrived) / 1000);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });

  app.get('/readyz', (_req, res) => {
    const r = opts.source.readiness();
    if (!r.ready) {
      log.debug({ reason: r.reason }, 'readyz: not ready');
      sendJson(res, 503, { ready: false, reason: r.reason, details: r.details });
      return;
    }
    sendJson(res, 200, { ready: true, reason: r.reason, details: r.details });
  });

  // tidal explain node, as JSON (the forecast, the band, commitments, events, capacity now and over the
  // coming hours: core/forecast/explain.ts), from the engine's own forecast book: loopback only
  // (kubectl port-forward), as it shows the cluster's pods. 404 when the policy has no ForecastCapacity.
  app.get('/debug/explain/node/:name', (req, res) => {
    const from = req.socket.remoteAddress ?? '';
    if (!(from === '127.0.0.1' || from === '::1' || from === '::ffff:127.0.0.1')) {
      sendJson(res, 403, { error: 'the debug endpoint answers loopback only (kubectl port-forward)' });
      return;
    }
    const engine = opts.engine;
    if (!engine.config.filters.includes('ForecastCapacity')) {
      sendJson(res, 404, { error: `policy ${engine.config.name} has no ForecastCapacity filter (the timetable mode: run without --timetable, or with a TidalConfig of base time-sharing)` });
      return;
    }
    const node = engine.state.nodes.get(String(req.params.name));
    if (!node) {
      sendJson(res, 404, { error: `no node ${JSON.stringify(req.params.name)}` });
      return;
    }
    const at = typeof req.query.at === 'string' ? Date.parse(req.query.at) : (opts.clock ?? realClock).now();
    if (!Number.isFinite(at)) {
      sendJson(res, 400, { error: 'at must be an ISO 8601 time' });
      return;
    }
    const args = forecastCapacityArgs(engine.config);
    const x = explainNode(engine.state, node, engine.timeline, forecastBookOf(engine.handle, args), at, args);
    res.status(200).type('application/json').send(JSON.stringify(x, (_k, v) => (v === Infinity ? 'never' : v)));
  });

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(registry.contentType).send(await registry.metrics());
    } catch (e) {
      next(e);
    }
  });

  const json = express.json({
    limit,
    // Any JSON value parses (null, "str", 1); wire.ts then says it is not the object a verb takes.
    strict: false,
    type: 'application/json',
    // kube-scheduler never compresses; an inflated body could be far larger than what was sent.
    inflate: false,
    verify: (_req: IncomingMessage, _res: unknown, buf: Buffer) => {
      if (jsonDepthExceeds(buf, MAX_JSON_DEPTH)) throw new WireError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels: not a Kubernetes object`);
    },
  });
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is('application/json')) {
      next(new WireError(`Content-Type must be application/json (got ${JSON.stringify(req.get('content-type') ?? '')})`, 415));
      return;
    }
    next();
  };
  // Under mTLS, refuse before reading the body: only a verified client may make Tidal parse anything.
  const clientAuth: RequestHandler = (req, res, next) => {
    const socket = req.socket as TLSSocket;
    if (!opts.requireClientCert || socket.authorized === true) {
      next();
      return;
    }
    const name = routes.get(req.path) ?? 'other';
    const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    const why = !presented ? 'no client certificate' : `client certificate refused: ${String(socket.authorizationError ?? 'not verified')}`;
    metrics.unauthenticated.inc({ verb: name });
    log.warn({ verb: name, remote: req.socket.remoteAddress, why }, 'refused an unauthenticated request');
    const message = `${why}: this extender accepts only clients with a certificate signed by its --client-ca-file`;
    res.set('Connection', 'close');
    sendJson(res, 401, name === 'filter' ? emptyFilterResult(message) : { Error: message });
  };

  // Not serving (a standby, or not synced): answer, then close the connection, so that kube-scheduler
  // reconnects through the Service, which routes new connections to the Ready replica.
  const closeUnlessServing: RequestHandler = (_req, res, next) => {
    if (!opts.source.isSynced()) res.set('Connection', 'close');
    next();
  };

  let lastDegradeLog = 0;
  let quietDegrades = 0;
  const noteDegrade = (name: Verb, cls: string, mode: string, cause: string, waitedMs: number, predictedMs: number): void => {
    const now = performance.now();
    if (now - lastDegradeLog < 1000) {
      quietDegrades++;
      return;
    }
    log.warn(
      { verb: name, class: cls, mode, cause, waitedMs: Math.round(waitedMs), predictedMs: Math.round(predictedMs * 10) / 10, budgetMs: budget.budgetMs, alsoDegradedSinceLastLog: quietDegrades },
      `decision budget exceeded: answered ${name} in degraded mode (${mode})`,
    );
    lastDegradeLog = now;
    quietDegrades = 0;
  };

  interface VerbSpec<A> {
    parse(body: unknown): A;
    /** Something to wait for before deciding (filter: binds of pods filtered earlier), or null. */
    before?(args: A): Promise<void> | null;
    nodes(args: A): number;
    /** The answer: an object to serialise, or (filter, prioritize) its JSON text already written. */
    decide(args: A): unknown;
    degrade(args: A): { answer: unknown; cls: string; mode: string };
  }
  const verb = <A,>(name: Verb, spec: VerbSpec<A>): RequestHandler => (req, res) => {
    // kube-scheduler gave up on this request (timed out and closed the connection): do not decide.
    if (req.socket.destroyed || res.closed) {
      metrics.abandoned.inc({ verb: name });
      return;
    }
    let args: A;
    try {
      args = spec.parse(req.body);
    } catch (e) {
      fail(e);
      return;
    }
    const wait = spec.before?.(args) ?? null;
    if (wait === null) decide(args);
    else
      void wait.then(() => {
        if (req.socket.destroyed || res.closed) {
          metrics.abandoned.inc({ verb: name });
          return;
        }
        decide(args);
      });

    function fail(e: unknown): void {
      if (e instanceof WireError) {
        log.info({ verb: name, err: e.message }, `rejected a malformed ${name} request`);
        sendJson(res, e.status, name === 'filter' ? emptyFilterResult(e.message) : { Error: e.message });
        return;
      }
      const message = `tidal extender internal error in ${name}: ${(e as Error)?.message ?? String(e)}`;
      log.error({ verb: name, err: e }, message);
      sendJson(res, 500, name === 'filter' ? emptyFilterResult(message) : { Error: message });
    }

    function decide(args: A): void {
      let answer: unknown;
      try {
        const nodes = spec.nodes(args);
        const v = budget.check(name, nodes, (req as Stamped).tidalArrivedAt ?? performance.now());
        metrics.waited.observe({ verb: name }, v.waitedMs / 1000);
        if (v.cause !== null) {
          const d = spec.degrade(args);
          answer = d.answer;
          metrics.degraded.inc({ verb: name, class: d.cls, mode: d.mode, cause: v.cause });
          noteDegrade(name, d.cls, d.mode, v.cause, v.waitedMs, v.predictedMs);
        } else {
          const t0 = performance.now();
          answer = spec.decide(args);
          budget.observe(name, nodes, performance.now() - t0);
        }
      } catch (e) {
        fail(e);
        return;
      }
      if (typeof answer === 'string') res.status(200).type('application/json').send(answer);
      else sendJson(res, 200, answer);
    }
  };
  const modeOf = (cls: keyof OverloadPolicy): string => handlers.overloaded[cls];
  app.post(`${prefix}/filter`, clientAuth, closeUnlessServing, requireJson, json, verb('filter', {
    parse: parseExtenderArgs,
    before: (a) => binder.beforeFilter(a.Pod.metadata?.uid),
    nodes: nodeCount,
    decide: (a) => handlers.filterJson(a),
    degrade: (a) => {
      const pod = handlers.pod(a.Pod);
      return { answer: handlers.degradedFilter(a, pod), cls: pod.class, mode: modeOf(pod.class) };
    },
  }));
  app.post(`${prefix}/prioritize`, clientAuth, closeUnlessServing, requireJson, json, verb('prioritize', {
    parse: parseExtenderArgs,
    nodes: nodeCount,
    decide: (a) => handlers.prioritizeJson(a),
    degrade: (a) => ({ answer: handlers.degradedPrioritize(a), cls: handlers.pod(a.Pod).class, mode: 'zero' }),
  }));
  app.post(`${prefix}/preempt`, clientAuth, closeUnlessServing, requireJson, json, verb('preempt', {
    parse: parsePreemptionArgs,
    nodes: victimNodeCount,
    decide: (a) => handlers.preempt(a),
    degrade: (a) => ({ answer: handlers.degradedPreempt(), cls: handlers.pod(a.Pod).class, mode: 'none' }),
  }));
  // bind waits for the apiserver: no decision budget (kube-scheduler's httpTimeout bounds it).
  app.post(`${prefix}/bind`, clientAuth, requireJson, json, async (req, res) => {
    if (req.socket.destroyed || res.closed) {
      metrics.abandoned.inc({ verb: 'bind' });
      return;
    }
    try {
      const args = parseBindingArgs(req.body);
      sendJson(res, 200, await handlers.bind(args));
    } catch (e) {
      if (e instanceof WireError) {
        log.info({ verb: 'bind', err: e.message }, 'rejected a malformed bind request');
        sendJson(res, e.status, { Error: e.message });
        return;
      }
      const message = `tidal extender internal error in bind: ${(e as Error)?.message ?? String(e)}`;
      log.error({ verb: 'bind', err: e }, message);
      if (!res.headersSent) sendJson(res, 500, { Error: message });
    }
  });
  for (const v of ALL_VERBS) {
    app.all(`${prefix}/${v}`, (req, res) => {
      res.set('Allow', 'POST');
      sendJson(res, 405, { Error: `${req.method} ${req.path}: the ${v} verb takes POST` });
    });
  }

  app.use((req, res) => {
    sendJson(res, 404, { Error: `no route ${req.method} ${req.path}: the extender serves POST ${prefix}/{filter,prioritize,preempt,bind} and GET /healthz, /readyz, /metrics` });
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const isFilter = req.path === `${prefix}/filter`;
    const reply = (status: number, message: string): void => {
      if (res.headersSent) return;
      sendJson(res, status, isFilter ? emptyFilterResult(message) : { Error: message });
    };
    const type = (err as { type?: string })?.type;
    if (err instanceof WireError) return reply(err.status, err.message);
    if (type === 'entity.too.large') {
      const length = (err as { length?: number }).length;
      const body = typeof length === 'number' && Number.isFinite(length) ? `request body of ${length} bytes` : 'request body (sent without a Content-Length)';
      return reply(413, `${body} exceeds the limit of ${limit} bytes (raise --max-body-bytes, or use nodeCacheCapable: true so that only node names are sent)`);
    }
    if (type === 'entity.parse.failed') return reply(400, `malformed JSON: ${(err as Error).message}`);
    if (type === 'encoding.unsupported') return reply(415, `unsupported Content-Encoding (send the JSON uncompressed): ${(err as Error).message}`);
    if (type === 'charset.unsupported') return reply(415, `unsupported charset (send UTF-8): ${(err as Error).message}`);
    if (type === 'request.aborted') {
      metrics.abandoned.inc({ verb: routes.get(req.path) ?? 'other' });
      return;
    }
    if (type === 'request.size.invalid' || type === 'stream.encoding.set') return reply(400, (err as Error).message);
    const message = `tidal extender internal error: ${(err as Error)?.message ?? String(err)}`;
    log.error({ err, path: req.path }, message);
    reply(500, message);
  };
  app.use(onError);
  return app;
}

export interface RunningExtender {
  server: Server;
  host: string;
  port: number;
  /** http(s)://host:port */
  url: string;
  /** Whether it serves HTTPS. */
  tls: boolean;
  close(): Promise<void>;
}

export interface StartOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS with these (reloaded) credentials; plain HTTP without. */
  tls?: TlsReloader;
  /** Headers and body must arrive within this (ms); default 10 s. Slower clients get 408 and are disconnected. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this (ms); default 95 s, above Go's 90 s idle timeout. */
  keepAliveTimeoutMs?: number;
  /** Connections beyond this are refused at accept; default 1024 (kube-scheduler keeps a handful). */
  maxConnections?: number;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/**
 * Binds the app (host 127.0.0.1 and port 0 in tests: a free port is chosen), over HTTPS when `tls`
 * is given (its reloads swap the server's certificate in place; connections stay up).
 */
export function startExtender(app: Express, opts: StartOptions = {}): Promise<RunningExtender> {
  const host = opts.host ?? '0.0.0.0';
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!(requestTimeout >= 100)) throw new Error(`request timeout must be at least 100 ms (got ${requestTimeout})`);
  const locals = app.locals.tidal as ExtenderLocals | undefined;
  const timeouts = {
    requestTimeout,
    // Node counts the first request's headers from the moment the connection opens.
    headersTimeout: requestTimeout,
    // How often Node checks the two timeouts above (its default, 30 s, would let a slow client hold a connection that long).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.round(requestTimeout / 10))),
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 95_000,
  };
  const tls = opts.tls;
  const server: Server = tls
    ? (createHttpsServer({ ...timeouts, ...tls.current.context, requestCert: tls.requestsClientCert, rejectUnauthorized: false, handshakeTimeout: requestTimeout }, app) as unknown as Server)
    : createServer(timeouts, app);
  server.maxConnections = opts.maxConnections ?? 1024;
  // Protocol errors and timeouts before the app sees a request: count them and answer as Node would.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = err.code ?? 'unknown';
    locals?.metrics.clientErrors.inc({ code });
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
    const body = JSON.stringify({ Error: status === 408 ? `request not received within ${requestTimeout} ms` : `malformed HTTP request (${code})` });
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // A client that keeps sending after our answer would hold the half-open socket: cut it.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  if (tls) {
    server.on('tlsClientError', (err: Error) => {
      locals?.metrics.tlsHandshakeErrors.inc();
      locals?.log.debug({ err: err.message }, 'TLS handshake failed');
    });
    tls.start((m) => (server as unknown as { setSecureContext(o: object): void }).setSecureContext(m.context), { log: locals?.log, metrics: locals?.metrics });
  }
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      tls?.stop();
      reject(e);
    });
    server.listen(opts.port ?? 8888, host, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => locals?.log.error({ err: e }, 'extender server error'));
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        host: addr.address,
        port: addr.port,
        url: `${tls ? 'https' : 'http'}://${shown}:${addr.port}`,
        tls: !!tls,
        close: () =>
          new Promise<void>((done, fail) => {
            tls?.stop();
            server.close((e) => (e ? fail(e) : done()));
            server.closeIdleConnections();
            // Requests in progress get a few seconds to finish; then their connections are cut.
            setTimeout(() => server.closeAllConnections(), 5000).unref();
          }),
      });
    });
  });
}

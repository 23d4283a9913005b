// The kube-scheduler extender webhook (express): POST {urlPrefix}/filter, /prioritize and /preempt as
// kube-scheduler calls them (see wire.ts), plus GET /healthz, /readyz and /metrics.
//
// Error answers: a body that is not JSON, not application/json, or not the wire shape is a 400 whose
// `Error` names what is wrong; a body over the limit is a 413; an unknown path is a 404; an exception
// inside Tidal is a 500 (for filter with the full ExtenderFilterResult shape, the message in `Error`)
// and the server keeps serving. kube-scheduler treats every non-200 as an error of that extender
// (it does not read the body then: Tidal's own log and metrics carry the message).

import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Clock } from '../core/clock.ts';
import type { PolicyEngine } from '../core/engine.ts';
import type { StateSource } from '../kube/source.ts';
import { ExtenderHandlers, type NotReadyPolicy } from './handlers.ts';
import { ExtenderMetrics } from './metrics.ts';
import { parseExtenderArgs, parsePreemptionArgs, WireError, type ExtenderFilterResult } from './wire.ts';

export const DEFAULT_URL_PREFIX = '/scheduler';
/** kube-scheduler sends whole NodeLists when nodeCacheCapable is false: thousands of nodes are megabytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

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
  log?: Logger;
  /** Where to register the extender's metrics (also served on /metrics); a private one when absent. */
  registry?: Registry;
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
  const handlers = new ExtenderHandlers({ engine: opts.engine, source: opts.source, clock: opts.clock, whenNotReady: opts.whenNotReady, log, metrics });
  const routes = new Map<string, string>([
    ...VERBS.map((v) => [`${prefix}/${v}`, v] as [string, string]),
    ['/healthz', 'healthz'],
    ['/readyz', 'readyz'],
    ['/metrics', 'metrics'],
  ]);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Count and time every request, by verb and status.
  app.use((req, res, next) => {
    const started = performance.now();
    const verb = routes.get(req.path) ?? 'other';
    res.on('finish', () => {
      const code = String(res.statusCode);
      metrics.requests.inc({ verb, code });
      metrics.duration.observe({ verb, code }, (performance.now() - started) / 1000);
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

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(registry.contentType).send(await registry.metrics());
    } catch (e) {
      next(e);
    }
  });

  const json = express.json({ limit, strict: true, type: 'application/json' });
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is('application/json')) {
      next(new WireError(`Content-Type must be application/json (got ${JSON.stringify(req.get('content-type') ?? '')})`));
      return;
    }
    next();
  };
  const verb = (name: Verb, run: (body: unknown) => unknown): RequestHandler => (req, res) => {
    let answer: unknown;
    try {
      answer = run(req.body);
    } catch (e) {
      if (e instanceof WireError) {
        log.info({ verb: name, err: e.message }, `rejected a malformed ${name} request`);
        sendJson(res, 400, name === 'filter' ? emptyFilterResult(e.message) : { Error: e.message });
        return;
      }
      const message = `tidal extender internal error in ${name}: ${(e as Error)?.message ?? String(e)}`;
      log.error({ verb: name, err: e }, message);
      sendJson(res, 500, name === 'filter' ? emptyFilterResult(message) : { Error: message });
      return;
    }
    sendJson(res, 200, answer);
  };
  app.post(`${prefix}/filter`, requireJson, json, verb('filter', (b) => handlers.filter(parseExtenderArgs(b))));
  app.post(`${prefix}/prioritize`, requireJson, json, verb('prioritize', (b) => handlers.prioritize(parseExtenderArgs(b))));
  app.post(`${prefix}/preempt`, requireJson, json, verb('preempt', (b) => handlers.preempt(parsePreemptionArgs(b))));
  for (const v of VERBS) {
    app.all(`${prefix}/${v}`, (req, res) => {
      res.set('Allow', 'POST');
      sendJson(res, 405, { Error: `${req.method} ${req.path}: the ${v} verb takes POST` });
    });
  }

  app.use((req, res) => {
    sendJson(res, 404, { Error: `no route ${req.method} ${req.path}: the extender serves POST ${prefix}/{filter,prioritize,preempt} and GET /healthz, /readyz, /metrics` });
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const isFilter = req.path === `${prefix}/filter`;
    const reply = (status: number, message: string): void => {
      if (res.headersSent) return;
      sendJson(res, status, isFilter ? emptyFilterResult(message) : { Error: message });
    };
    const type = (err as { type?: string })?.type;
    if (err instanceof WireError) return reply(400, err.message);
    if (type === 'entity.too.large') {
      return reply(413, `request body of ${(err as { length?: number }).length ?? 'unknown'} bytes exceeds the limit of ${limit} bytes (raise --max-body-bytes, or use nodeCacheCapable: true so that only node names are sent)`);
    }
    if (type === 'entity.parse.failed') return reply(400, `malformed JSON: ${(err as Error).message}`);
    if (type === 'charset.unsupported' || type === 'encoding.unsupported') return reply(400, `unsupported body encoding: ${(err as Error).message}`);
    if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'stream.encoding.set') return reply(400, (err as Error).message);
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
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/** Binds the app (host 127.0.0.1 and port 0 in tests: a free port is chosen). */
export function startExtender(app: Express, opts: { host?: string; port?: number } = {}): Promise<RunningExtender> {
  const host = opts.host ?? '0.0.0.0';
  const server = createServer(app);
  // kube-scheduler keeps connections alive between cycles; keep them a little longer than Go's idle timeout.
  server.keepAliveTimeout = 95_000;
  server.headersTimeout = 96_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8888, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        host: addr.address,
        port: addr.port,
        url: `http://${shown}:${addr.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            server.closeIdleConnections();
          }),
      });
    });
  });
}

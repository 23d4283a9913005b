// Tidal's own programs in the e2e tier: `tidal extender` and `tidal deschedule` run as child processes
// of the control plane (own process group, log file, killed with it), on 127.0.0.1, exactly as an
// operator would start them: `node scheduler/cli/tidal.ts <command> --kubeconfig …`.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request as httpRequest } from 'node:http';
import type { ControlPlane, ManagedProcess } from '../harness/control-plane.ts';
import { freePorts } from '../harness/control-plane.ts';
import { httpGet, tailFile, waitHealthy } from '../harness/process.ts';
import { waitFor } from '../harness/wait.ts';
import { Metrics } from './prom.ts';

const run = promisify(execFile);

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const TIDAL_CLI = join(REPO_ROOT, 'scheduler/cli/tidal.ts');

/**
 * Runs `tidal <args>` to completion and returns its stdout. Node is the one running the tests
 * (Node 24 through the npm scripts), so the CLI runs under the same runtime.
 */
export async function runTidal(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [TIDAL_CLI, ...args], {
      cwd: REPO_ROOT,
      timeout: opts.timeoutMs ?? 60_000,
      env: opts.env ?? process.env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`tidal ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** The kubeconfig kube-scheduler runs with inside this control plane. */
export function schedulerKubeconfig(cp: ControlPlane): string {
  return join(cp.dir, 'scheduler.kubeconfig');
}

/**
 * `tidal config scheduler --full` for an extender at `urlPrefix` (e.g. http://127.0.0.1:PORT/scheduler):
 * the complete KubeSchedulerConfiguration, as the command prints it.
 */
export function tidalSchedulerConfig(cp: ControlPlane, urlPrefix: string, opts: { nodeCacheCapable?: boolean; extra?: string[] } = {}): Promise<string> {
  return runTidal([
    'config',
    'scheduler',
    '--full',
    '--url-prefix',
    urlPrefix,
    '--no-leader-elect',
    '--kubeconfig',
    schedulerKubeconfig(cp),
    ...(opts.nodeCacheCapable === false ? ['--no-node-cache-capable'] : []),
    ...(opts.extra ?? []),
  ]);
}

/** POST JSON to a URL; resolves with the status and the parsed body (or the raw text). */
export function postJson(url: string, body: unknown, timeoutMs = 5_000): Promise<{ status: number; body: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': data.length },
      timeout: timeoutMs,
      agent: false,
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep the text
        }
        resolvePromise({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

let helpCache: Map<string, Promise<string>> | undefined;

/** `tidal <command> --help`, once per command and run. */
export function tidalHelp(command: string): Promise<string> {
  helpCache ??= new Map();
  let p = helpCache.get(command);
  if (!p) {
    p = runTidal([command, '--help']);
    helpCache.set(command, p);
  }
  return p;
}

/**
 * The flag that asks `tidal extender` for plain HTTP, if this version has one. Versions with TLS
 * support refuse to serve a live cluster until the transport is chosen (--plain-http or the TLS
 * flags); earlier ones serve plain HTTP only and have no such flag.
 */
export async function plainHttpArgs(): Promise<string[]> {
  return (await tidalHelp('extender')).includes('--plain-http') ? ['--plain-http'] : [];
}

export interface ExtenderOptions {
  /** Child process name (and log file name); default tidal-extender. */
  name?: string;
  profile: string;
  config?: string;
  /**
   * Run Tidal's timetable mode (--timetable: batch capacity from the profile's levels) instead of the
   * default forecast mode, which ignores the profile's default level and recurring windows. For the
   * scenarios whose expectations are figures of the profile (a batchShare, a window's drain).
   */
  timetable?: boolean;
  /** Fixed port (e.g. to restart on the same one); a free one by default. */
  port?: number;
  /** kubeconfig; the admin one by default. */
  kubeconfig?: string;
  logLevel?: string;
  extraArgs?: string[];
  /**
   * Serve HTTPS (mTLS) as the shipped deploy does, instead of --plain-http: the serving certificate and
   * key, the CA that verifies clients (--client-ca-file), and for the tests' own probes the CA and the
   * name to verify the serving certificate against.
   */
  tls?: { certFile: string; keyFile: string; clientCaFile: string; caFile: string; serverName: string };
}

/** A `tidal extender` child process. */
export class TidalExtender {
  readonly cp: ControlPlane;
  readonly name: string;
  readonly port: number;
  readonly opts: ExtenderOptions;
  proc: ManagedProcess | undefined;

  private constructor(cp: ControlPlane, port: number, opts: ExtenderOptions) {
    this.cp = cp;
    this.port = port;
    this.opts = opts;
    this.name = opts.name ?? 'tidal-extender';
  }

  /** Starts it and waits until /healthz answers (not until it has synced: see waitReady). */
  static async start(cp: ControlPlane, opts: ExtenderOptions): Promise<TidalExtender> {
    const port = opts.port ?? (await freePorts(1))[0]!;
    const ext = new TidalExtender(cp, port, opts);
    await ext.launch();
    return ext;
  }

  get baseUrl(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** TLS options for the tests' own GETs (/healthz, /readyz, /metrics): no client certificate needed. */
  get probeTls(): { ca?: Buffer; servername?: string } {
    const t = this.opts.tls;
    return t ? { ca: readFileSync(t.caFile), servername: t.serverName } : {};
  }

  /** What kube-scheduler's extender urlPrefix must be. */
  get urlPrefix(): string {
    return `${this.baseUrl}/scheduler`;
  }

  get logPath(): string {
    return this.cp.logs(this.name);
  }

  async args(): Promise<string[]> {
    const o = this.opts;
    return [
      TIDAL_CLI,
      'extender',
      '--kubeconfig',
      o.kubeconfig ?? this.cp.kubeconfigPath,
      '--address',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--profile',
      o.profile,
      ...(o.config ? ['--config', o.config] : []),
      ...(o.timetable ? ['--timetable'] : []),
      '--log-level',
      o.logLevel ?? 'info',
      // Loopback only: kube-scheduler reaches it on 127.0.0.1.
      ...(o.tls ? ['--tls-cert-file', o.tls.certFile, '--tls-key-file', o.tls.keyFile, '--client-ca-file', o.tls.clientCaFile] : await plainHttpArgs()),
      ...(o.extraArgs ?? []),
    ];
  }

  /** Starts the process and waits for /healthz (200 as soon as it listens). */
  async launch(): Promise<void> {
    this.proc = await this.cp.startChild(this.name, process.execPath, await this.args(), { cwd: REPO_ROOT });
    await waitHealthy(this.proc, `${this.baseUrl}/healthz`, { timeoutMs: 60_000, tls: this.probeTls });
  }

  /** Waits until /readyz answers 200 (the informers have listed nodes, pods and PDBs). */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${this.name} /readyz 200`,
      async () => {
        const exit = this.proc?.exited();
        if (exit) throw new Error(`${this.name} exited (${exit}):\n${tailFile(this.logPath)}`);
        return (await httpGet(`${this.baseUrl}/readyz`, this.probeTls)).status === 200;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  readyz(): Promise<{ status: number; body: string }> {
    return httpGet(`${this.baseUrl}/readyz`, this.probeTls);
  }

  /** SIGTERM and wait for the exit (the extender shuts down gracefully). */
  async stop(): Promise<void> {
    await this.cp.stopChild(this.name);
    this.proc = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async metrics(): Promise<Metrics> {
    const res = await httpGet(`${this.baseUrl}/metrics`, this.probeTls);
    if (res.status !== 200) throw new Error(`${this.name} /metrics: HTTP ${res.status}`);
    return new Metrics(res.body);
  }

  /** Calls a verb directly, as kube-scheduler would (POST {urlPrefix}/{verb}). */
  verb(verb: 'filter' | 'prioritize' | 'preempt', body: unknown): Promise<{ status: number; body: unknown }> {
    return postJson(`${this.urlPrefix}/${verb}`, body);
  }
}

export interface DeschedulerOptions {
  /** Child process name (and log file name). */
  name: string;
  profile: string;
  config?: string;
  /** --timetable: Tidal's timetable mode instead of the default forecast (see ExtenderOptions.timetable). */
  timetable?: boolean;
  /** --identity; the name by default. */
  identity?: string;
  interval?: string;
  kubeconfig?: string;
  /** Extra flags, e.g. ['--max-per-node', '1'] or ['--no-leader-elect']. */
  args?: string[];
  logLevel?: string;
}

/** One cycle of the descheduler as its log tells it: the plan and what became of each eviction. */
export interface CycleLog {
  /** When the plan was logged (ms). */
  time: number;
  planned: number;
  level: { batchShare: number; window: string; drainingFor: string | null } | undefined;
  skipped: Record<string, number>;
  outcomes: Array<{ pod: string; node: string; reason: string; outcome: string; time: number }>;
}

/** A `tidal deschedule` child process (loop mode). */
export class TidalDescheduler {
  readonly cp: ControlPlane;
  readonly opts: DeschedulerOptions;
  readonly metricsPort: number;
  proc: ManagedProcess | undefined;

  private constructor(cp: ControlPlane, metricsPort: number, opts: DeschedulerOptions) {
    this.cp = cp;
    this.opts = opts;
    this.metricsPort = metricsPort;
  }

  /** Starts it and waits until its /healthz answers, which happens once its informers have synced. */
  static async start(cp: ControlPlane, opts: DeschedulerOptions): Promise<TidalDescheduler> {
    const d = new TidalDescheduler(cp, (await freePorts(1))[0]!, opts);
    await d.launch();
    return d;
  }

  get name(): string {
    return this.opts.name;
  }

  get identity(): string {
    return this.opts.identity ?? this.opts.name;
  }

  get logPath(): string {
    return this.cp.logs(this.name);
  }

  async launch(): Promise<void> {
    const o = this.opts;
    const args = [
      TIDAL_CLI,
      'deschedule',
      '--kubeconfig',
      o.kubeconfig ?? this.cp.kubeconfigPath,
      '--profile',
      o.profile,
      ...(o.config ? ['--config', o.config] : []),
      ...(o.timetable ? ['--timetable'] : []),
      '--interval',
      o.interval ?? '5s',
      '--identity',
      this.identity,
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      String(this.metricsPort),
      '--log-level',
      o.logLevel ?? 'info',
      ...(o.args ?? []),
    ];
    this.proc = await this.cp.startChild(this.name, process.execPath, args, { cwd: REPO_ROOT });
    await waitHealthy(this.proc, `http://127.0.0.1:${this.metricsPort}/healthz`, { timeoutMs: 90_000 });
  }

  async stop(graceMs?: number): Promise<void> {
    await this.cp.stopChild(this.name, graceMs);
    this.proc = undefined;
  }

  async metrics(): Promise<Metrics> {
    const res = await httpGet(`http://127.0.0.1:${this.metricsPort}/metrics`);
    if (res.status !== 200) throw new Error(`${this.name} /metrics: HTTP ${res.status}`);
    return new Metrics(res.body);
  }

  /** The JSON log lines (pino) written so far, harness lines left out. */
  logLines(): Array<Record<string, unknown>> {
    let text = '';
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return [];
    }
    const out: Array<Record<string, unknown>> = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line being written
      }
    }
    return out;
  }

  /**
   * Cycles that planned, in order: each "eviction plan" line opens one, and the eviction outcome
   * lines that follow belong to it (a cycle carries its plan out before the next begins).
   */
  cycles(): CycleLog[] {
    const out: CycleLog[] = [];
    for (const l of this.logLines()) {
      if (l.msg === 'eviction plan') {
        out.push({
          time: Number(l.time),
          planned: Number(l.evictions),
          level: l.level as CycleLog['level'],
          skipped: (l.skipped ?? {}) as Record<string, number>,
          outcomes: [],
        });
      } else if (typeof l.outcome === 'string' && typeof l.pod === 'string' && out.length > 0) {
        out.at(-1)!.outcomes.push({ pod: l.pod, node: String(l.node), reason: String(l.reason), outcome: l.outcome, time: Number(l.time) });
      }
    }
    return out;
  }

  tail(lines = 40): string {
    return tailFile(this.logPath, lines);
  }
}

/** A level of a TimeSharingProfile (see profiles/loader.ts). */
export interface LevelDef {
  batchShare?: number;
  onlineHeadroom?: number;
  drainLeadTime?: string;
  ramp?: string;
}

export interface WindowDef extends LevelDef {
  name: string;
  start: number;
  end: number;
  priority?: number;
}

/** A TimeSharingProfile (UTC, absolute windows) as YAML. */
export function profileYaml(name: string, def: LevelDef & { batchShare: number; onlineHeadroom: number }, windows: WindowDef[] = []): string {
  const level = (l: LevelDef, indent: string): string[] => {
    const out: string[] = [];
    if (l.batchShare !== undefined) out.push(`${indent}batchShare: ${l.batchShare}`);
    if (l.onlineHeadroom !== undefined) out.push(`${indent}onlineHeadroom: ${l.onlineHeadroom}`);
    if (l.drainLeadTime !== undefined) out.push(`${indent}drainLeadTime: ${l.drainLeadTime}`);
    if (l.ramp !== undefined) out.push(`${indent}ramp: ${l.ramp}`);
    return out;
  };
  const lines = [
    'apiVersion: tidal.io/v1alpha1',
    'kind: TimeSharingProfile',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  timeZone: UTC',
    '  default:',
    ...level(def, '    '),
  ];
  if (windows.length > 0) {
    lines.push('  windows:');
    for (const w of windows) {
      lines.push(`    - name: ${w.name}`);
      if (w.priority !== undefined) lines.push(`      priority: ${w.priority}`);
      lines.push(`      start: "${new Date(w.start).toISOString()}"`, `      end: "${new Date(w.end).toISOString()}"`);
      lines.push(...level(w, '      '));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a profile into the control plane's folder and returns its path. */
export function writeProfile(cp: ControlPlane, file: string, yaml: string): string {
  const path = join(cp.dir, file);
  writeFileSync(path, yaml);
  return path;
}

/**
 * The setup of a Tidal cluster: `tidal extender` with this profile (waited on until its informers have
 * synced), then kube-scheduler restarted with the configuration `tidal config scheduler --full` prints
 * for it. Returns the extender.
 */
export async function startTidalScheduling(
  cp: ControlPlane,
  opts: ExtenderOptions & { nodeCacheCapable?: boolean },
): Promise<TidalExtender> {
  const ext = await TidalExtender.start(cp, opts);
  await ext.waitReady();
  await cp.startScheduler(await tidalSchedulerConfig(cp, ext.urlPrefix, { nodeCacheCapable: opts.nodeCacheCapable }));
  return ext;
}

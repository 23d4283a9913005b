// Child processes in their own process groups, logging to files, plus readiness polling.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

/** The last `lines` lines of a log file (at most the last 64 KiB are read). */
export function tailFile(path: string, lines = 40): string {
  if (!existsSync(path)) return '(no log file)';
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buf, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read).toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd();
  } finally {
    closeSync(fd);
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Set once the process has exited: exit code, or the signal name. */
  exited(): string | undefined;
  /** Resolves when the process has exited (or at once if it already has). */
  exitPromise: Promise<string>;
  /** SIGTERM to the whole group, SIGKILL after graceMs; resolves once the leader is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous SIGKILL of the whole group (for exit handlers). */
  killNow(): void;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  logPath: string,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ManagedProcess {
  const fd = openSync(logPath, 'a');
  writeSync(fd, `\n===== ${new Date().toISOString()} starting ${name}: ${command} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    // detached: the child leads a new process group (setsid), so a kill of -pid reaches
    // everything it forks, and a Ctrl-C in the terminal does not reach it directly.
    child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new Error(`could not start ${name} (${command}); see ${logPath}`);
  }
  const pid = child.pid;
  // The harness waits on the process explicitly; it must not keep the test worker alive.
  child.unref();
  let exitState: string | undefined;
  const exitPromise = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitState = code !== null ? `exit code ${code}` : `signal ${signal}`;
      resolve(exitState);
    });
    child.once('error', (err) => {
      exitState = `spawn error: ${err.message}`;
      resolve(exitState);
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  };
  return {
    name,
    pid,
    logPath,
    exited: () => exitState,
    exitPromise,
    async stop(graceMs = 15_000) {
      const t0 = Date.now();
      const note = (text: string): void => {
        try {
          appendFileSync(logPath, `===== ${new Date().toISOString()} harness: ${text}\n`);
        } catch {
          // folder already gone
        }
      };
      if (exitState === undefined) note(`SIGTERM to process group ${pid}`);
      signalGroup('SIGTERM');
      const timedOut = await Promise.race([exitPromise.then(() => false), sleep(graceMs).then(() => true)]);
      // SIGKILL the group even after a clean leader exit: it reaps any stragglers it forked.
      signalGroup('SIGKILL');
      if (timedOut) {
        note(`no exit ${graceMs}ms after SIGTERM: SIGKILL`);
        await Promise.race([exitPromise, sleep(5_000)]);
      } else {
        note(`${name} ended (${exitState}) ${Date.now() - t0}ms after SIGTERM`);
      }
    },
    killNow() {
      signalGroup('SIGKILL');
    },
  };
}

export interface HttpResult {
  status: number;
  body: string;
}

export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** false for components that serve a self-signed certificate. */
  rejectUnauthorized?: boolean;
  /** The name to verify the server's certificate against (SNI), when it is not the URL's host. */
  servername?: string;
}

/** One GET with a short timeout; rejects on connection errors. */
export function httpGet(url: string, tls: TlsOptions = {}, timeoutMs = 3_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { method: 'GET', timeout: timeoutMs, ...tls, agent: false })
        : httpRequest(u, { method: 'GET', timeout: timeoutMs, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function readTls(paths: { ca?: string; cert?: string; key?: string }): TlsOptions {
  return {
    ca: paths.ca ? readFileSync(paths.ca) : undefined,
    cert: paths.cert ? readFileSync(paths.cert) : undefined,
    key: paths.key ? readFileSync(paths.key) : undefined,
  };
}

/**
 * Polls `url` until it answers 200 (and `accept(body)` holds), the process exits, or
 * `timeoutMs` passes; the error names the component and carries the tail of its log.
 */
export async function waitHealthy(
  proc: ManagedProcess,
  url: string,
  opts: { tls?: TlsOptions; timeoutMs?: number; accept?: (body: string) => boolean } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    const exit = proc.exited();
    if (exit !== undefined) {
      throw new Error(
        `${proc.name} exited (${exit}) before ${url} was healthy.\n--- tail of ${proc.logPath}\n${tailFile(proc.logPath)}`,
      );
    }
    try {
      const res = await httpGet(url, opts.tls);
      if (res.status === 200 && (opts.accept ? opts.accept(res.body) : true)) return;
      last = `HTTP ${res.status}: ${res.body.slice(0, 2_000)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${proc.name} not healthy at ${url} within ${timeoutMs / 1000}s (last: ${last}).\n` +
          `--- tail of ${proc.logPath}\n${tailFile(proc.logPath)}`,
      );
    }
    await sleep(delay);
  }
}

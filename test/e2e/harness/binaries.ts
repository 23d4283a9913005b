// Where the control-plane binaries live, and how they get there (test/e2e/controlplane/build.sh).
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const K8S_VERSION = 'v1.37.2';
export const ETCD_VERSION = 'v3.7.3';
export const KWOK_VERSION = 'v0.8.0';

export const BINARIES = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubectl', 'etcd', 'kwok'] as const;
export type Binary = (typeof BINARIES)[number];

export const BUILD_SCRIPT = resolve(fileURLToPath(new URL('../controlplane/build.sh', import.meta.url)));

/** Cache entry build.sh writes to; keep in step with the script. */
export function cacheBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.TIDAL_E2E_CACHE || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'tidal-e2e');
  return join(root, `k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}`, 'bin');
}

/** TIDAL_E2E_BIN_DIR when set, else the version-keyed cache folder. */
export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TIDAL_E2E_BIN_DIR ? resolve(env.TIDAL_E2E_BIN_DIR) : cacheBinDir(env);
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Names of the binaries not (executable) in dir. */
export function missingBinaries(dir: string): Binary[] {
  return BINARIES.filter((name) => !isExecutableFile(join(dir, name)));
}

export function binaryPath(dir: string, name: Binary): string {
  return join(dir, name);
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Go toolchain build.sh would use (go on PATH, else /usr/local/go/bin/go), or undefined. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fallback = '/usr/local/go/bin/go';
  return findOnPath('go', env) ?? (isExecutableFile(fallback) ? fallback : undefined);
}

/**
 * Returns a folder holding all the binaries (BINARIES). Uses TIDAL_E2E_BIN_DIR or the cache as they
 * are; otherwise runs build.sh (a cold build takes many minutes), streaming its progress to
 * `log` (stderr by default).
 */
export async function ensureBinaries(
  opts: { env?: NodeJS.ProcessEnv; log?: (chunk: string) => void } = {},
): Promise<string> {
  const env = opts.env ?? process.env;
  const dir = binDir(env);
  if (missingBinaries(dir).length === 0) return dir;
  if (env.TIDAL_E2E_BIN_DIR) {
    throw new Error(`TIDAL_E2E_BIN_DIR=${env.TIDAL_E2E_BIN_DIR} lacks: ${missingBinaries(dir).join(', ')}`);
  }
  const log = opts.log ?? ((chunk: string) => process.stderr.write(chunk));
  const started = Date.now();
  const stdout = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      log(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => log(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${BUILD_SCRIPT} failed (exit ${code ?? signal}); see its output above`));
    });
  });
  const built = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  const missing = missingBinaries(built);
  if (!built || missing.length > 0) {
    throw new Error(`${BUILD_SCRIPT} reported "${built}", which lacks: ${missing.join(', ')}`);
  }
  log(`[tidal-e2e] control-plane binaries ready in ${Math.round((Date.now() - started) / 1000)}s: ${built}\n`);
  return built;
}

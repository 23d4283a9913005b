// Finding the cluster to talk to, the way kubectl and client-go's controllers do: --kubeconfig, then
// $KUBECONFIG (a list of files, merged), then the pod's ServiceAccount (in-cluster), then
// ~/.kube/config. client-node's loadFromDefault falls back to http://localhost:8080 when it finds
// none, so that a misconfigured component retries a server that is not there forever; here, finding
// none is an error that names every place looked at.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Where the ServiceAccount's token is mounted in a pod. */
export const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeConfigEnv {
  env: NodeJS.ProcessEnv;
  home: string;
  /** Prefixed to the ServiceAccount paths (tests point it at a folder of their own). */
  serviceAccountPrefix: string;
}

const defaults = (): KubeConfigEnv => ({ env: process.env, home: homedir(), serviceAccountPrefix: '' });

/** Why a kubeconfig could not be loaded; the message names the place (file, variable). */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/** The kubeconfig in effect and where it came from (for logs). */
export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  source: string;
}

function fromFile(kc: KubeConfig, file: string, via: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KubeConfigError(`${via} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    kc.loadFromString(text);
  } catch (e) {
    // A YAML error's message quotes the offending lines; of a binary file that is raw bytes on the
    // terminal. Name the position instead (file:line:column, 1-based).
    const y = e as Error & { reason?: string; mark?: { line: number; column: number } };
    const at = y.mark ? `:${y.mark.line + 1}:${y.mark.column + 1}` : '';
    throw new KubeConfigError(`${via} ${file}${at}: not a valid kubeconfig: ${y.reason ?? y.message}`);
  }
}

function checked(kc: KubeConfig, source: string): LoadedKubeConfig {
  const context = kc.getCurrentContext();
  if (!context) throw new KubeConfigError(`${source}: no current-context (set one with kubectl config use-context)`);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError(`${source}: current-context "${context}" names no cluster defined in the file`);
  if (!cluster.server) throw new KubeConfigError(`${source}: cluster "${cluster.name}" has no server`);
  return { kubeConfig: kc, source };
}

/**
 * Loads the kubeconfig: `file` (--kubeconfig) if given, else $KUBECONFIG, else in-cluster, else
 * ~/.kube/config. Throws a KubeConfigError naming where it looked when none applies.
 */
export function loadKubeConfig(file: string | undefined, where: KubeConfigEnv = defaults()): LoadedKubeConfig {
  const kc = new KubeConfig();
  if (file) {
    fromFile(kc, file, '--kubeconfig');
    return checked(kc, `--kubeconfig ${file}`);
  }
  const listed = (where.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (listed.length > 0) {
    // As kubectl: files of the list that do not exist are skipped; the first file's current-context wins.
    const present = listed.filter((f) => existsSync(f));
    if (present.length === 0) throw new KubeConfigError(`$KUBECONFIG=${where.env.KUBECONFIG}: no such file`);
    const files = present.map((f) => {
      const one = new KubeConfig();
      fromFile(one, f, '$KUBECONFIG file');
      return one;
    });
    return checked(mergeFirstWins(files), `$KUBECONFIG=${where.env.KUBECONFIG}`);
  }
  const host = where.env.KUBERNETES_SERVICE_HOST;
  const port = where.env.KUBERNETES_SERVICE_PORT;
  const tokenFile = `${where.serviceAccountPrefix}${IN_CLUSTER_TOKEN}`;
  if (host && port && existsSync(tokenFile)) {
    kc.loadFromCluster(where.serviceAccountPrefix);
    return { kubeConfig: kc, source: `in-cluster (${kc.getCurrentCluster()?.server}, token ${tokenFile})` };
  }
  const home = join(where.home, '.kube', 'config');
  if (existsSync(home)) {
    fromFile(kc, home, 'kubeconfig');
    return checked(kc, home);
  }
  const inCluster = !host || !port ? 'KUBERNETES_SERVICE_HOST/PORT unset' : `no token at ${tokenFile}`;
  throw new KubeConfigError(
    `no kubeconfig found: no --kubeconfig, $KUBECONFIG unset, not in a cluster (${inCluster}), no ${home}. ` +
      'Pass --kubeconfig FILE (or --state FILE for a snapshot where the command takes one)',
  );
}

/** Merges kubeconfig files as kubectl does: the first file to define a name (or the current-context) wins. */
function mergeFirstWins(files: KubeConfig[]): KubeConfig {
  const out = new KubeConfig();
  const clusters = new Map<string, KubeConfig['clusters'][number]>();
  const users = new Map<string, KubeConfig['users'][number]>();
  const contexts = new Map<string, KubeConfig['contexts'][number]>();
  let current = '';
  for (const f of files) {
    for (const c of f.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of f.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of f.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    current ||= f.getCurrentContext();
  }
  out.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext: current });
  return out;
}

// Helpers for the deploy-mode scenarios (08-second-scheduler, 09-in-place): kubectl of the control
// plane, a kubeconfig for a ServiceAccount (TokenRequest), and the TLS files of the Secrets that
// `tidal certs bootstrap` creates, written out as the pods would mount them.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../harness/control-plane.ts';
import type { Kube } from './kube.ts';

const run = promisify(execFile);

export async function kubectl(cp: ControlPlane, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], { timeout: 60_000, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** A kubeconfig for ServiceAccount ns/sa, with a token from the TokenRequest API. */
export async function serviceAccountKubeconfig(cp: ControlPlane, k: Kube, ns: string, sa: string): Promise<string> {
  const tr = await k.core.createNamespacedServiceAccountToken({ name: sa, namespace: ns, body: { spec: { expirationSeconds: 3600 } } });
  const cluster = cp.kubeConfig().getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: cluster.server, caData: cluster.caData }],
    users: [{ name: sa, token: tr.status!.token }],
    contexts: [{ name: sa, cluster: 'e2e', user: sa }],
    currentContext: sa,
  });
  const path = join(cp.dir, `${ns}-${sa}.kubeconfig`);
  writeFileSync(path, kc.exportConfig());
  return path;
}

export interface TlsFiles {
  /** The extender's: tls.crt, tls.key, ca.crt (its --client-ca-file). */
  serving: { certFile: string; keyFile: string; caFile: string };
  /** kube-scheduler's, as tidal-scheduler mounts them: ca.crt, client.crt, client.key. */
  client: { caFile: string; certFile: string; keyFile: string };
}

/** Writes the two kubernetes.io/tls Secrets' keys to files, as the pods mount them. */
export async function secretFiles(cp: ControlPlane, k: Kube, ns: string, serving = 'tidal-extender-tls', client = 'tidal-scheduler-client'): Promise<TlsFiles> {
  const write = async (name: string, names: Record<string, string>): Promise<Record<string, string>> => {
    const s = await k.core.readNamespacedSecret({ name, namespace: ns });
    const dir = join(cp.dir, 'secrets', name);
    mkdirSync(dir, { recursive: true });
    const out: Record<string, string> = {};
    for (const [key, file] of Object.entries(names)) {
      const path = join(dir, file);
      writeFileSync(path, Buffer.from(s.data![key]!, 'base64'), { mode: 0o600 });
      out[key] = path;
    }
    return out;
  };
  const sv = await write(serving, { 'tls.crt': 'tls.crt', 'tls.key': 'tls.key', 'ca.crt': 'ca.crt' });
  const cl = await write(client, { 'ca.crt': 'ca.crt', 'tls.crt': 'client.crt', 'tls.key': 'client.key' });
  return {
    serving: { certFile: sv['tls.crt']!, keyFile: sv['tls.key']!, caFile: sv['ca.crt']! },
    client: { caFile: cl['ca.crt']!, certFile: cl['tls.crt']!, keyFile: cl['tls.key']! },
  };
}

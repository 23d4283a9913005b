// Finding the kubeconfig: --kubeconfig, $KUBECONFIG (merged, first wins), in-cluster, ~/.kube/config;
// none of them is an error naming each place, never client-node's http://localhost:8080 fallback.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IN_CLUSTER_TOKEN, KubeConfigError, loadKubeConfig } from '../../../scheduler/kube/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidal-kubeconfig-'));
const emptyHome = mkdtempSync(join(tmpdir(), 'tidal-home-'));

function kubeconfig(name: string, server: string, context = name): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${context}`,
      `clusters: [{ name: ${name}, cluster: { server: "${server}" } }]`,
      `users: [{ name: ${name}, user: { token: t } }]`,
      `contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]`,
    ].join('\n'),
  );
  return file;
}

const nowhere = { env: {}, home: emptyHome, serviceAccountPrefix: join(dir, 'no-sa') };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('loadKubeConfig', () => {
  it('with nothing to find, throws naming every place it looked (no localhost:8080)', () => {
    let err: unknown;
    try {
      loadKubeConfig(undefined, nowhere);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('no --kubeconfig');
    expect(msg).toContain('$KUBECONFIG unset');
    expect(msg).toContain('KUBERNETES_SERVICE_HOST/PORT unset');
    expect(msg).toContain(join(emptyHome, '.kube', 'config'));
    expect(msg).not.toMatch(/localhost:8080/);
  });

  it('--kubeconfig: a missing or broken file is named', () => {
    expect(() => loadKubeConfig(join(dir, 'absent.yaml'), nowhere)).toThrow(`--kubeconfig ${join(dir, 'absent.yaml')}: no such file`);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'clusters: [unclosed');
    // Its position, not its bytes: a binary file must not be echoed to the terminal.
    expect(() => loadKubeConfig(broken, nowhere)).toThrow(`--kubeconfig ${broken}:1:20: not a valid kubeconfig: unexpected end of the stream within a flow collection`);
    const garbage = join(dir, 'garbage.bin');
    writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff, 0xfe, 0x0a, 0x1b, 0x5b, 0x32, 0x4a, 0x00]));
    let message = '';
    try {
      loadKubeConfig(garbage, nowhere);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`--kubeconfig ${garbage}:1:5: not a valid kubeconfig: null byte is not allowed in input`);
    const noContext = join(dir, 'no-context.yaml');
    writeFileSync(noContext, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => loadKubeConfig(noContext, nowhere)).toThrow(/no current-context/);
  });

  it('--kubeconfig wins over $KUBECONFIG', () => {
    const a = kubeconfig('a', 'https://a.example:6443');
    const b = kubeconfig('b', 'https://b.example:6443');
    const got = loadKubeConfig(a, { ...nowhere, env: { KUBECONFIG: b } });
    expect(got.kubeConfig.getCurrentCluster()?.server).toBe('https://a.example:6443');
    expect(got.source).toBe(`--kubeconfig ${a}`);
  });

  it('$KUBECONFIG: missing files are skipped, the first file\'s context and names win; none present is an error', () => {
    const a = kubeconfig('a', 'https://a.example:6443');
    const b = kubeconfig('b', 'https://b.example:6443');
    const list = [join(dir, 'gone.yaml'), b, a].join(delimiter);
    const got = loadKubeConfig(undefined, { ...nowhere, env: { KUBECONFIG: list } });
    expect(got.kubeConfig.getCurrentCluster()?.server).toBe('https://b.example:6443');
    expect(got.kubeConfig.getContexts().map((c) => c.name).sort()).toEqual(['a', 'b']);
    const gone = join(dir, 'gone.yaml');
    expect(() => loadKubeConfig(undefined, { ...nowhere, env: { KUBECONFIG: gone } })).toThrow(`$KUBECONFIG=${gone}: no such file`);
  });

  it('in a pod: the ServiceAccount, before ~/.kube/config', () => {
    const sa = join(dir, 'sa');
    mkdirSync(join(sa, '/var/run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
    writeFileSync(join(sa, IN_CLUSTER_TOKEN), 'token');
    const home = mkdtempSync(join(tmpdir(), 'tidal-home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), readFileSync(kubeconfig('home', 'https://home.example:6443'), 'utf8'));
    // client-node's loadFromCluster reads the address from the process environment.
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const got = loadKubeConfig(undefined, { env, home, serviceAccountPrefix: sa });
    expect(got.kubeConfig.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
    expect(got.source).toMatch(/^in-cluster/);
    // Without the token, the same environment falls through to ~/.kube/config.
    const home2 = loadKubeConfig(undefined, { env, home, serviceAccountPrefix: join(dir, 'no-sa') });
    expect(home2.kubeConfig.getCurrentCluster()?.server).toBe('https://home.example:6443');
    expect(home2.source).toBe(join(home, '.kube', 'config'));
  });
});

// The commands that need a cluster stop at once, with one clear error, when there is none to talk to:
// no kubeconfig anywhere (they used to fall back to http://localhost:8080 and log in a loop), or a
// cluster that never answers (`trace record --sync-timeout`; it used to wait 3 minutes).

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'scheduler/cli/tidal.ts');
const PROFILE = join(ROOT, 'profiles/daily-tidal.yaml');

/** Runs tidal with an environment that holds no kubeconfig and is not a pod. */
function tidal(args: string[], timeoutMs = 40_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = mkdtempSync(join(tmpdir(), 'tidal-nohome-'));
  const env = { PATH: process.env.PATH ?? '', HOME: home };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd: home, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

const out = () => join(mkdtempSync(join(tmpdir(), 'tidal-out-')), 'trace.jsonl');

describe('no cluster to talk to', { timeout: 60_000 }, () => {
  it.each([
    ['extender', ['extender', '--profile', PROFILE, '--plain-http', '--port', '0']],
    ['deschedule', ['deschedule', '--profile', PROFILE]],
    ['trace record', ['trace', 'record', '--out', '/dev/null']],
  ])('%s exits 1 naming where it looked for a kubeconfig', async (_name, args) => {
    const r = await tidal(args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/no kubeconfig found: no --kubeconfig, \$KUBECONFIG unset, not in a cluster \(KUBERNETES_SERVICE_HOST\/PORT unset\), no \S+\/\.kube\/config/);
    expect(r.stderr + r.stdout).not.toMatch(/localhost:8080/);
  });

  it('trace record --sync-timeout gives up on a cluster that never answers, naming the flag and the server', async () => {
    // A port that accepts connections and never answers: the informers' lists hang.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'tidal-kc-'));
    const kc = join(dir, 'kubeconfig');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}" } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\n`,
    );
    try {
      const r = await tidal(['trace', 'record', '--kubeconfig', kc, '--out', out(), '--sync-timeout', '2s']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`--sync-timeout 2s: could not list nodes and pods from http://127.0.0.1:${port}`);
    } finally {
      silent.close();
    }
    const bad = await tidal(['trace', 'record', '--kubeconfig', kc, '--out', out(), '--sync-timeout', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--sync-timeout/);
  });
});

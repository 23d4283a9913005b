// tidal certs bootstrap against a stand-in for the Secrets API: both absent -> both created (one CA, the
// right names and usages); both present -> nothing written; one alone -> an error that says what to do.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { register } from '../../../scheduler/cli/certs.ts';

interface Secret {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  type: string;
  stringData: Record<string, string>;
}

describe('tidal certs bootstrap', () => {
  const secrets = new Map<string, Secret>();
  const writes: string[] = [];
  let server: Server;
  let kubeconfig = '';
  const dir = mkdtempSync(join(tmpdir(), 'tidal-certs-cli-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/?]+))?/.exec(req.url ?? '');
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!m) return send(404, { kind: 'Status', code: 404 });
      const [, ns, name] = m;
      if (req.method === 'GET' && name) {
        const s = secrets.get(`${ns}/${name}`);
        return s ? send(200, s) : send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `secrets "${name}" not found` });
      }
      if (req.method === 'POST' && !name) {
        let text = '';
        req.on('data', (c) => (text += c));
        req.on('end', () => {
          const s = JSON.parse(text) as Secret;
          const key = `${ns}/${s.metadata.name}`;
          writes.push(key);
          if (secrets.has(key)) return send(409, { kind: 'Status', code: 409, reason: 'AlreadyExists' });
          secrets.set(key, s);
          send(201, s);
        });
        return;
      }
      send(405, { kind: 'Status', code: 405 });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<string> {
    const program = new Command('tidal').exitOverride();
    register(program);
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      await program.parseAsync(['node', 'tidal', 'certs', 'bootstrap', '--kubeconfig', kubeconfig, ...args]);
    } finally {
      spy.mockRestore();
    }
    return out.join('\n');
  }

  it('both absent: creates both, signed by one CA, for the Service name and kube-scheduler', async () => {
    expect(await run(['--namespace', 'tidal'])).toMatch(/created Secrets tidal\/tidal-extender-tls \(serving: tidal-extender\.tidal\.svc, tidal-extender\.tidal\.svc\.cluster\.local\) and tidal\/tidal-scheduler-client/);
    const serving = secrets.get('tidal/tidal-extender-tls')!;
    const client = secrets.get('tidal/tidal-scheduler-client')!;
    expect(serving.type).toBe('kubernetes.io/tls');
    expect(Object.keys(serving.stringData).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(serving.stringData['ca.crt']).toBe(client.stringData['ca.crt']);
    const ca = new X509Certificate(serving.stringData['ca.crt']!);
    const s = new X509Certificate(serving.stringData['tls.crt']!);
    const c = new X509Certificate(client.stringData['tls.crt']!);
    expect(s.verify(ca.publicKey) && c.verify(ca.publicKey)).toBe(true);
    expect(s.subjectAltName).toBe('DNS:tidal-extender.tidal.svc, DNS:tidal-extender.tidal.svc.cluster.local');
    expect(c.subject).toBe('CN=system:kube-scheduler');
    expect(serving.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'tidal', 'app.kubernetes.io/managed-by': 'tidal-certs-bootstrap' });
  });

  it('both present: writes nothing', async () => {
    const before = writes.length;
    expect(await run(['--namespace', 'tidal'])).toMatch(/exist: nothing to do/);
    expect(writes.length).toBe(before);
  });

  it('one alone: refuses, naming both and the way out', async () => {
    secrets.delete('tidal/tidal-scheduler-client');
    const before = writes.length;
    await expect(run(['--namespace', 'tidal'])).rejects.toThrow(/Secret tidal\/tidal-extender-tls exists but tidal\/tidal-scheduler-client does not: both must be signed by one CA/);
    expect(writes.length).toBe(before);
  });

  it('own names, DNS names and validity; bad --days refused', async () => {
    await run(['--namespace', 'x', '--serving-secret', 's', '--client-secret', 'c', '--dns-name', 'ext.example', '--days', '10']);
    const s = new X509Certificate(secrets.get('x/s')!.stringData['tls.crt']!);
    expect(s.subjectAltName).toBe('DNS:ext.example');
    expect((Date.parse(s.validTo) - Date.now()) / 86_400_000).toBeLessThan(10.01);
    expect(secrets.has('x/c')).toBe(true);
    await expect(run(['--days', '0'])).rejects.toThrow(/--days must be a positive integer/);
  });
});

// TLS for the webhook with certificates that openssl makes at test time: HTTPS, client-certificate
// verification (mTLS), rotation in place (the server keeps running and keeps its connections),
// refusal of bad replacement files, and the kube-scheduler configuration `tidal config scheduler`
// prints actually reaching it.

import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { register as registerConfig } from '../../../scheduler/cli/config-scheduler.ts';
import { checkTransport, runExtender, type ExtenderCliOptions } from '../../../scheduler/cli/extender.ts';
import { DEFAULT_PROFILE, SAMPLE_STATE } from '../../../scheduler/cli/demo.ts';
import { loadTlsMaterial, TlsFileError, TlsReloader } from '../../../scheduler/extender/tls.ts';
import { extenderArgs, onlinePod } from '../../fixtures/extender/payloads.ts';
import { startHardened, type HardenedExtender } from './app.ts';
import { TestPki, type Pair } from './certs.ts';

interface Answer {
  status: number;
  json: any;
  /** SHA-256 fingerprint of the certificate the server presented. */
  peer: string;
}

interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
  agent?: Agent;
  servername?: string;
}

function httpsCall(url: string, method: 'GET' | 'POST', body: unknown, c: ClientTls): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method,
        ca: readFileSync(c.ca),
        ...(c.cert ? { cert: readFileSync(c.cert), key: readFileSync(c.key!) } : {}),
        ...(c.servername ? { servername: c.servername } : {}),
        agent: c.agent ?? false,
        headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode!, json, peer });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const filterBody = () => extenderArgs(onlinePod('web-new', { cpu: '1', memory: '2Gi' }), [{ metadata: { name: 'n1' } }, { metadata: { name: 'n3' } }], true);

let pki: TestPki;
let ca: Pair;
let serving: Pair;
let serving2: Pair;
let client: Pair;
let rogueClient: Pair;
beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('ca');
  serving = pki.leaf('serving', ca, { cn: 'tidal-extender', usage: 'server' });
  serving2 = pki.leaf('serving2', ca, { cn: 'tidal-extender-rotated', usage: 'server' });
  client = pki.leaf('scheduler', ca, { cn: 'system:kube-scheduler', usage: 'client' });
  const rogueCa = pki.ca('rogue-ca');
  rogueClient = pki.leaf('rogue', rogueCa, { cn: 'system:kube-scheduler', usage: 'client' });
});
afterAll(() => pki?.cleanup());

/** Live files the server reads (copies, so a test can rotate them). */
function liveFiles(tag: string, pair: Pair): { certFile: string; keyFile: string } {
  const certFile = pki.path(`${tag}-live.crt`);
  const keyFile = pki.path(`${tag}-live.key`);
  copyFileSync(pair.cert, certFile);
  copyFileSync(pair.key, keyFile);
  return { certFile, keyFile };
}

/** Replaces a file atomically, as a Secret volume or cert-manager does. */
function replace(file: string, from: string): void {
  writeFileSync(`${file}.tmp`, readFileSync(from));
  renameSync(`${file}.tmp`, file);
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('HTTPS', () => {
  it('serves the verbs over TLS with the certificate from the files', async () => {
    const ext = await startHardened({ tls: new TlsReloader({ certFile: serving.cert, keyFile: serving.key }) });
    try {
      expect(ext.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const r = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert });
      expect(r.status).toBe(200);
      expect(r.json.NodeNames).toEqual(['n1']);
      expect(r.peer).toBe(loadTlsMaterial({ certFile: serving.cert, keyFile: serving.key }).fingerprint);
      // Plain HTTP on the TLS port gets nowhere.
      await expect(fetch(`http://127.0.0.1:${ext.server.port}/healthz`)).rejects.toThrow();
      expect(await ext.metrics()).toMatch(/tidal_extender_tls_certificate_not_after_seconds \d+/);
    } finally {
      await ext.close();
    }
  });
});

describe('client certificates (mTLS)', () => {
  let ext: HardenedExtender;
  beforeAll(async () => {
    ext = await startHardened({ tls: new TlsReloader({ certFile: serving.cert, keyFile: serving.key, clientCaFile: ca.cert }), requireClientCert: true });
  });
  afterAll(() => ext.close());

  it('answers a client whose certificate the CA verifies', async () => {
    const r = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert, cert: client.cert, key: client.key });
    expect(r.status).toBe(200);
    expect(r.json.NodeNames).toEqual(['n1']);
  });

  it('refuses a client without a certificate, and one from another CA, before reading the body', async () => {
    const none = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert });
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ NodeNames: null, Nodes: null, Error: expect.stringMatching(/^no client certificate: this extender accepts only clients with a certificate signed by its --client-ca-file/) });
    const rogue = await httpsCall(`${ext.base}/prioritize`, 'POST', filterBody(), { ca: ca.cert, cert: rogueClient.cert, key: rogueClient.key });
    expect(rogue.status).toBe(401);
    expect(rogue.json.Error).toMatch(/^client certificate refused: /);
    const m = await ext.metrics();
    expect(m).toMatch(/tidal_extender_unauthenticated_requests_total\{verb="filter"\} 1/);
    expect(m).toMatch(/tidal_extender_unauthenticated_requests_total\{verb="prioritize"\} 1/);
    expect(m).toMatch(/tidal_extender_requests_total\{verb="filter",code="401"\} 1/);
  });

  it('leaves /healthz, /readyz and /metrics open for kubelet probes and Prometheus', async () => {
    expect((await httpsCall(`${ext.url}/healthz`, 'GET', undefined, { ca: ca.cert })).status).toBe(200);
    expect((await httpsCall(`${ext.url}/readyz`, 'GET', undefined, { ca: ca.cert })).status).toBe(200);
    expect((await httpsCall(`${ext.url}/metrics`, 'GET', undefined, { ca: ca.cert })).status).toBe(200);
  });
});

describe('certificate rotation', () => {
  it('picks up a new certificate without dropping the server or its open connections', async () => {
    const files = liveFiles('rot', serving);
    const tls = new TlsReloader(files, { checkIntervalMs: 200, debounceMs: 50 });
    const ext = await startHardened({ tls });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert, agent });
      expect(before.status).toBe(200);
      const oldPrint = before.peer;
      replace(files.keyFile, serving2.key);
      replace(files.certFile, serving2.cert);
      await until('the reload', async () => /tidal_extender_tls_reloads_total\{result="success"\} 1/.test(await ext.metrics()));
      // The open keep-alive connection still works (it keeps the certificate it negotiated).
      const sameConnection = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert, agent });
      expect(sameConnection.status).toBe(200);
      expect(sameConnection.peer).toBe(oldPrint);
      // New connections get the new certificate, from the same server.
      const fresh = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert });
      expect(fresh.status).toBe(200);
      expect(fresh.peer).not.toBe(oldPrint);
      expect(fresh.peer).toBe(tls.current.fingerprint);
      expect(tls.current.subject).toMatch(/CN=tidal-extender-rotated/);
    } finally {
      agent.destroy();
      await ext.close();
    }
  });

  it('keeps serving the previous certificate when the new files are invalid, and counts it', async () => {
    const files = liveFiles('bad', serving);
    const tls = new TlsReloader(files, { checkIntervalMs: 100, debounceMs: 20 });
    const ext = await startHardened({ tls });
    try {
      const first = (await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert })).peer;
      // A certificate whose key did not come with it.
      replace(files.certFile, serving2.cert);
      await until('the refusal', async () => /tidal_extender_tls_reloads_total\{result="error"\} 1/.test(await ext.metrics()));
      const still = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert });
      expect(still.status).toBe(200);
      expect(still.peer).toBe(first);
      // Garbage is refused too, and counted once however often it is checked.
      writeFileSync(files.certFile, 'not a certificate');
      await until('the second refusal', async () => /tidal_extender_tls_reloads_total\{result="error"\} 2/.test(await ext.metrics()));
      await new Promise((r) => setTimeout(r, 300));
      expect(await ext.metrics()).toMatch(/tidal_extender_tls_reloads_total\{result="error"\} 2/);
      // The key arrives: the pair is whole and valid, and is taken.
      replace(files.certFile, serving2.cert);
      replace(files.keyFile, serving2.key);
      await until('the reload', async () => /tidal_extender_tls_reloads_total\{result="success"\} 1/.test(await ext.metrics()));
      const after = await httpsCall(`${ext.base}/filter`, 'POST', filterBody(), { ca: ca.cert });
      expect(after.peer).not.toBe(first);
    } finally {
      await ext.close();
    }
  });

  it('notices a change by the periodic check alone (no watch event)', () => {
    const files = liveFiles('poll', serving);
    const tls = new TlsReloader(files);
    expect(tls.check()).toBe('unchanged');
    replace(files.certFile, serving2.cert);
    replace(files.keyFile, serving2.key);
    expect(tls.check()).toBe('reloaded');
    expect(tls.check()).toBe('unchanged');
  });
});

describe('loading TLS files', () => {
  const load = (f: Partial<{ certFile: string; keyFile: string; clientCaFile: string }>, now?: number) =>
    loadTlsMaterial({ certFile: serving.cert, keyFile: serving.key, ...f }, now);
  it('names the file and the problem', () => {
    expect(() => load({ certFile: '/nonexistent/tls.crt' })).toThrow(/^--tls-cert-file \/nonexistent\/tls\.crt: cannot read: /);
    expect(() => load({ keyFile: '/nonexistent/tls.key' })).toThrow(/^--tls-key-file \/nonexistent\/tls\.key: cannot read: /);
    const junk = pki.path('junk.pem');
    writeFileSync(junk, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(() => load({ certFile: junk })).toThrow(/--tls-cert-file .*junk\.pem: not a PEM certificate/);
    expect(() => load({ keyFile: serving.cert })).toThrow(/--tls-key-file .*serving\.crt: not a PEM private key/);
    expect(() => load({ keyFile: serving2.key })).toThrow(/--tls-key-file .*serving2\.key does not match the certificate in --tls-cert-file .*serving\.crt \(CN=tidal-extender\)/);
    expect(() => load({ clientCaFile: junk })).toThrow(/--client-ca-file .*junk\.pem: not a PEM certificate bundle/);
    expect(() => load({}, Date.now() + 3 * 86_400_000)).toThrow(/certificate expired at /);
    expect(() => load({}, Date.now() - 86_400_000)).toThrow(/certificate not valid before /);
    expect(() => load({})).not.toThrow();
    expect(() => load({ certFile: '/nonexistent' })).toThrow(TlsFileError);
  });
});

describe('tidal extender transport flags', () => {
  it('decides plain, tls or mtls, and refuses an implicit plain HTTP against a cluster', () => {
    expect(checkTransport({ state: 'snap.json' })).toBe('plain');
    expect(checkTransport({ plainHttp: true })).toBe('plain');
    expect(checkTransport({ tlsCertFile: 'c', tlsKeyFile: 'k' })).toBe('tls');
    expect(checkTransport({ tlsCertFile: 'c', tlsKeyFile: 'k', clientCaFile: 'ca', state: 's' })).toBe('mtls');
    expect(() => checkTransport({})).toThrow(/choose the transport: --tls-cert-file FILE --tls-key-file FILE .* or --plain-http/);
    expect(() => checkTransport({ tlsCertFile: 'c' })).toThrow(/--tls-cert-file and --tls-key-file go together/);
    expect(() => checkTransport({ clientCaFile: 'ca', plainHttp: true })).toThrow(/--client-ca-file needs --tls-cert-file/);
    expect(() => checkTransport({ tlsCertFile: 'c', tlsKeyFile: 'k', plainHttp: true })).toThrow(/--plain-http contradicts/);
  });

  const cli = (over: Partial<ExtenderCliOptions>): ExtenderCliOptions => ({
    address: '127.0.0.1',
    port: '0',
    urlPrefix: '/scheduler',
    profile: DEFAULT_PROFILE,
    state: SAMPLE_STATE,
    maxBodyBytes: '16Mi',
    metricsInterval: '15s',
    onlineWhenNotReady: 'open',
    batchWhenNotReady: 'closed',
    logLevel: 'silent',
    ...over,
  });

  it('refuses bad TLS files at start, naming the file', async () => {
    await expect(runExtender(cli({ tlsCertFile: serving.cert, tlsKeyFile: serving2.key }), false)).rejects.toThrow(/does not match the certificate/);
  });

  it('serves what `tidal config scheduler --https --ca-file --client-cert-file --client-key-file` tells kube-scheduler to call', async () => {
    const p = await runExtender(cli({ tlsCertFile: serving.cert, tlsKeyFile: serving.key, clientCaFile: ca.cert }), false);
    try {
      expect(p.server.url).toMatch(/^https:/);
      const program = new Command('tidal').exitOverride();
      registerConfig(program);
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
        out.push(String(s));
        return true;
      });
      try {
        await program.parseAsync(['node', 'tidal', 'config', 'scheduler', '--https', '--url-prefix', `https://localhost:${p.server.port}/scheduler`, '--ca-file', ca.cert, '--client-cert-file', client.cert, '--client-key-file', client.key]);
      } finally {
        spy.mockRestore();
      }
      const ext = parseYaml(out.join('')).extenders[0];
      expect(ext.enableHTTPS).toBe(true);
      expect(ext.tlsConfig).toEqual({ caFile: ca.cert, certFile: client.cert, keyFile: client.key });
      // Call it the way kube-scheduler would with that configuration: verify the server against
      // caFile for the URL's host name, present certFile/keyFile.
      const r = await httpsCall(`${ext.urlPrefix}/${ext.filterVerb}`, 'POST', filterBody(), { ca: ext.tlsConfig.caFile, cert: ext.tlsConfig.certFile, key: ext.tlsConfig.keyFile });
      expect(r.status).toBe(200);
      // Without the client certificate (the configuration before mTLS) the verbs are refused.
      const bare = await httpsCall(`${ext.urlPrefix}/${ext.filterVerb}`, 'POST', filterBody(), { ca: ext.tlsConfig.caFile });
      expect(bare.status).toBe(401);
    } finally {
      await p.shutdown('test');
    }
  });
});

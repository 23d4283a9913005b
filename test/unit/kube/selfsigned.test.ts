// The self-signed bootstrap's certificates: parsed by Node's X509Certificate, chained to the CA, each for
// its one purpose (checked by openssl where the machine has it), and usable for a real mTLS handshake.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { issue, makeBundle } from '../../../scheduler/kube/selfsigned.ts';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('self-signed bootstrap certificates', () => {
  const b = makeBundle({ dnsNames: ['tidal-extender.tidal-system.svc', 'localhost'], days: 30, now: new Date() });
  const ca = new X509Certificate(b.caPem);
  const serving = new X509Certificate(b.serving.certPem);
  const client = new X509Certificate(b.client.certPem);
  const dir = mkdtempSync(join(tmpdir(), 'tidal-certs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one CA signs both; names, CA flag and validity as asked', () => {
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(serving.subjectAltName).toBe('DNS:tidal-extender.tidal-system.svc, DNS:localhost');
    expect(serving.checkHost('tidal-extender.tidal-system.svc')).toBe('tidal-extender.tidal-system.svc');
    expect(client.subject).toBe('CN=system:kube-scheduler');
    expect(serving.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const days = (Date.parse(serving.validTo) - Date.parse(serving.validFrom)) / 86_400_000;
    expect(days).toBeGreaterThan(30);
    expect(days).toBeLessThan(30.1);
    expect(() => issue({ commonName: 'x', days: 0 })).toThrow(/days must be a positive integer/);
    expect(() => makeBundle({ dnsNames: [], days: 1 })).toThrow(/at least one DNS name/);
  });

  it.skipIf(!hasOpenssl)('openssl verifies each for its purpose only', () => {
    writeFileSync(join(dir, 'ca.crt'), b.caPem);
    writeFileSync(join(dir, 's.crt'), b.serving.certPem);
    writeFileSync(join(dir, 'c.crt'), b.client.certPem);
    const verify = (purpose: string, f: string) => {
      try {
        execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), '-purpose', purpose, join(dir, f)], { stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    };
    expect([verify('sslserver', 's.crt'), verify('sslclient', 'c.crt'), verify('sslclient', 's.crt'), verify('sslserver', 'c.crt')]).toEqual([true, true, false, false]);
  });

  it('an mTLS handshake: the server verifies the client certificate, the client the server name', async () => {
    const server = createServer({ cert: b.serving.certPem, key: b.serving.keyPem, ca: b.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.end(peer.subject.CN);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const cn = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, servername: 'tidal-extender.tidal-system.svc', ca: b.caPem, cert: b.client.certPem, key: b.client.keyPem }, () => {
          s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        });
        let text = '';
        s.on('data', (d) => (text += d));
        s.on('end', () => resolve(text.split('\r\n\r\n')[1] ?? ''));
        s.on('error', reject);
      });
      expect(cn).toBe('system:kube-scheduler');
      // Without a client certificate the handshake is refused.
      await expect(
        new Promise((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port, servername: 'tidal-extender.tidal-system.svc', ca: b.caPem }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
          s.on('data', resolve);
          s.on('error', reject);
          s.on('end', () => reject(new Error('closed')));
        }),
      ).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});

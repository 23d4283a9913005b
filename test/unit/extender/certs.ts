// Throw-away certificates for the TLS tests, made with the openssl CLI in a temporary directory at
// test time (no key is ever committed): a CA, serving certificates for 127.0.0.1/localhost signed by
// it, a client certificate for kube-scheduler, and a second, untrusted CA with its own client.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() || e.message}`);
  }
}

export interface Pair {
  cert: string;
  key: string;
}

export class TestPki {
  readonly dir: string;
  #serial = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tidal-tls-'));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  #key(name: string): string {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], this.dir);
    return this.path(`${name}.key`);
  }

  ca(name: string, cn = `${name} test CA`): Pair {
    const key = this.#key(name);
    openssl(
      ['req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '2', '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', `${name}.crt`],
      this.dir,
    );
    return { cert: this.path(`${name}.crt`), key };
  }

  /** A leaf signed by `ca`: a server certificate for 127.0.0.1 and localhost, or a client certificate. */
  leaf(name: string, ca: Pair, o: { cn: string; usage: 'server' | 'client'; san?: string }): Pair {
    const key = this.#key(name);
    openssl(['req', '-new', '-key', key, '-subj', `/CN=${o.cn}`, '-out', `${name}.csr`], this.dir);
    const ext =
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
      (o.usage === 'server' ? `extendedKeyUsage=serverAuth\nsubjectAltName=${o.san ?? 'IP:127.0.0.1,DNS:localhost'}\n` : 'extendedKeyUsage=clientAuth\n');
    writeFileSync(this.path(`${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(1000 + ++this.#serial), '-days', '1', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], this.dir);
    return { cert: this.path(`${name}.crt`), key };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

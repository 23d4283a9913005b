// The webhook's TLS credentials from PEM files (--tls-cert-file, --tls-key-file, optionally
// --client-ca-file), reloaded when the files change: cert-manager and Kubernetes Secret volumes
// rotate them in place (a Secret volume swaps a `..data` symlink in the directory). Changes are
// noticed by watching the directories and, in case a watch misses one (network filesystems,
// editors that replace files), by comparing the files' contents periodically.
//
// A new set of files is taken only if it is valid: each file parses, the key matches the
// certificate, the certificate is within its validity period, and Node builds a TLS context from
// them. Otherwise the previous certificate keeps being served, and the refusal is logged and counted
// (tidal_extender_tls_reloads_total{result="error"}). At start, invalid files are an error.

import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import pino from 'pino';
import type { ExtenderMetrics } from './metrics.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Verify client certificates against this CA bundle (mTLS). */
  clientCaFile?: string;
}

export interface TlsMaterial {
  /** What to hand to https.createServer / server.setSecureContext. */
  context: SecureContextOptions;
  /** The serving certificate's subject and validity, for logs and metrics. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  /** Hash of the three files' contents, to notice changes. */
  digest: string;
}

export class TlsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsFileError';
  }
}

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new TlsFileError(`${flag} ${file}: cannot read: ${(e as Error).message}`);
  }
}

function digestOf(parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** Reads and checks the files; throws TlsFileError naming the file and the problem. */
export function loadTlsMaterial(files: TlsFiles, now = Date.now()): TlsMaterial {
  const cert = read(files.certFile, '--tls-cert-file');
  const key = read(files.keyFile, '--tls-key-file');
  const ca = files.clientCaFile ? read(files.clientCaFile, '--client-ca-file') : undefined;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new TlsFileError(`--tls-cert-file ${files.certFile}: not a PEM certificate: ${(e as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new TlsFileError(`--tls-key-file ${files.keyFile}: not a PEM private key: ${(e as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`--tls-key-file ${files.keyFile} does not match the certificate in --tls-cert-file ${files.certFile} (${x509.subject.replace(/\n/g, ', ')})`);
  }
  const notBefore = new Date(x509.validFrom);
  const notAfter = new Date(x509.validTo);
  if (now < notBefore.getTime()) throw new TlsFileError(`--tls-cert-file ${files.certFile}: certificate not valid before ${notBefore.toISOString()}`);
  if (now > notAfter.getTime()) throw new TlsFileError(`--tls-cert-file ${files.certFile}: certificate expired at ${notAfter.toISOString()}`);
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch (e) {
      throw new TlsFileError(`--client-ca-file ${files.clientCaFile}: not a PEM certificate bundle: ${(e as Error).message}`);
    }
  }
  const context: SecureContextOptions = { cert, key, ...(ca ? { ca } : {}) };
  try {
    createSecureContext(context);
  } catch (e) {
    throw new TlsFileError(`${files.certFile}, ${files.keyFile}${ca ? `, ${files.clientCaFile}` : ''}: TLS refuses them: ${(e as Error).message}`);
  }
  return {
    context,
    subject: x509.subject.replace(/\n/g, ', '),
    notBefore,
    notAfter,
    fingerprint: x509.fingerprint256,
    digest: digestOf(ca ? [cert, key, ca] : [cert, key]),
  };
}

export interface TlsReloaderOptions {
  log?: Logger;
  metrics?: ExtenderMetrics;
  /** Periodic content check; default 60 s. */
  checkIntervalMs?: number;
  /** Wait after a watch event before reading (writers replace files one at a time); default 250 ms. */
  debounceMs?: number;
  now?: () => number;
}

/** Holds the current TLS material and swaps it in when the files change into something valid. */
export class TlsReloader {
  readonly files: TlsFiles;
  #log: Logger;
  #metrics?: ExtenderMetrics;
  readonly #checkIntervalMs: number;
  readonly #debounceMs: number;
  readonly #now: () => number;
  #current: TlsMaterial;
  /** Digest of the files we last tried (valid or not), so a broken set is reported once, not every check. */
  #lastTried: string;
  #watchers: FSWatcher[] = [];
  #interval: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #apply: ((m: TlsMaterial) => void) | null = null;

  /** Loads the files now; throws TlsFileError when they are not a valid set. */
  constructor(files: TlsFiles, o: TlsReloaderOptions = {}) {
    this.files = files;
    this.#log = o.log ?? pino({ level: 'silent' });
    this.#metrics = o.metrics;
    this.#checkIntervalMs = o.checkIntervalMs ?? 60_000;
    this.#debounceMs = o.debounceMs ?? 250;
    this.#now = o.now ?? Date.now;
    this.#current = loadTlsMaterial(files, this.#now());
    this.#lastTried = this.#current.digest;
    this.#metrics?.tlsNotAfter.set(this.#current.notAfter.getTime() / 1000);
  }

  get current(): TlsMaterial {
    return this.#current;
  }

  get requestsClientCert(): boolean {
    return this.files.clientCaFile !== undefined;
  }

  /**
   * Starts watching; `apply` is called with each new valid material (server.setSecureContext).
   * `sinks` are used for logs and metrics when the constructor was given none (startExtender passes the app's).
   */
  start(apply: (m: TlsMaterial) => void, sinks: { log?: Logger; metrics?: ExtenderMetrics } = {}): void {
    this.#apply = apply;
    if (!this.#metrics) this.#metrics = sinks.metrics;
    if (sinks.log && this.#log.level === 'silent') this.#log = sinks.log;
    this.#metrics?.tlsNotAfter.set(this.#current.notAfter.getTime() / 1000);
    const dirs = new Set([this.files.certFile, this.files.keyFile, ...(this.files.clientCaFile ? [this.files.clientCaFile] : [])].map((f) => dirname(f)));
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => this.#soon());
        w.on('error', (e) => this.#log.warn({ err: e, dir }, 'TLS file watch failed; relying on the periodic check'));
        this.#watchers.push(w);
      } catch (e) {
        this.#log.warn({ err: e, dir }, 'cannot watch the TLS files\' directory; relying on the periodic check');
      }
    }
    this.#interval = setInterval(() => this.check(), this.#checkIntervalMs);
    this.#interval.unref();
  }

  stop(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    if (this.#interval) clearInterval(this.#interval);
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#interval = this.#debounce = null;
    this.#apply = null;
  }

  #soon(): void {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      this.check();
    }, this.#debounceMs);
    this.#debounce.unref();
  }

  /**
   * Re-reads the files; when their contents changed and are valid, switches to them. Returns
   * 'unchanged', 'reloaded' or 'refused'.
   */
  check(): 'unchanged' | 'reloaded' | 'refused' {
    let digest: string;
    try {
      const parts = [readFileSync(this.files.certFile), readFileSync(this.files.keyFile), ...(this.files.clientCaFile ? [readFileSync(this.files.clientCaFile)] : [])];
      digest = digestOf(parts);
    } catch (e) {
      // Mid-rotation (a file briefly missing) or gone: keep serving; the next event or check retries.
      return this.#refuse(`cannot read: ${(e as Error).message}`, `unreadable:${(e as Error).message}`);
    }
    if (digest === this.#current.digest) {
      this.#lastTried = digest;
      return 'unchanged';
    }
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(this.files, this.#now());
    } catch (e) {
      return this.#refuse((e as Error).message, digest);
    }
    const previous = this.#current;
    this.#current = next;
    this.#lastTried = next.digest;
    try {
      this.#apply?.(next);
    } catch (e) {
      this.#current = previous;
      return this.#refuse(`the server refused the new TLS context: ${(e as Error).message}`, digest);
    }
    this.#metrics?.tlsReloads.inc({ result: 'success' });
    this.#metrics?.tlsNotAfter.set(next.notAfter.getTime() / 1000);
    this.#log.info({ subject: next.subject, notAfter: next.notAfter.toISOString(), fingerprint: next.fingerprint, previous: previous.fingerprint }, 'TLS certificate reloaded');
    return 'reloaded';
  }

  #refuse(message: string, key: string): 'refused' {
    if (key !== this.#lastTried) {
      this.#lastTried = key;
      this.#metrics?.tlsReloads.inc({ result: 'error' });
      this.#log.error({ err: message, serving: this.#current.fingerprint, notAfter: this.#current.notAfter.toISOString() }, 'new TLS files refused; still serving the previous certificate');
    }
    return 'refused';
  }
}

// A small certificate authority for the self-signed TLS bootstrap (`tidal certs bootstrap`, the Helm
// chart's tls.source=selfSigned Job): a CA, the extender's serving certificate and kube-scheduler's client
// certificate, all ECDSA P-256 / SHA-256 X.509 v3. Node's crypto makes the keys and the signatures; the
// certificate structure (RFC 5280) is DER-encoded here, so that Tidal's own image needs no openssl and
// no extra dependency. Only what the two TLS ends check is written: basicConstraints, keyUsage,
// extKeyUsage, subjectAltName, and the key identifiers.

import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject, X509Certificate } from 'node:crypto';

// --- DER ---------------------------------------------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 + n, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.from([unused]), b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

function int(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, (v[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y < 2050 ? tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'ascii')) : tlv(0x18, Buffer.from(`${p(y, 4)}${rest}`, 'ascii'));
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const name = (cn: string): Buffer => seq(set(seq(oid(OID.commonName), utf8(cn))));
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** keyUsage bits, numbered as in RFC 5280 (digitalSignature 0, keyCertSign 5, cRLSign 6). */
function keyUsage(...bitNumbers: number[]): Buffer {
  let v = 0;
  for (const b of bitNumbers) v |= 0x80 >> b;
  // Unused trailing bits of the one byte: DER wants the bit string minimal.
  let unused = 0;
  while (unused < 7 && (v & (1 << unused)) === 0) unused++;
  return bits(Buffer.from([v]), unused);
}

// --- certificates ------------------------------------------------------------------------------------

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A certificate and its key, PEM-encoded. */
export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

export interface CertSpec {
  commonName: string;
  /** Validity from one hour ago (clock skew) for this many days. */
  days: number;
  isCa?: boolean;
  /** serverAuth, clientAuth (leaf certificates). */
  usages?: Array<'server' | 'client'>;
  dnsNames?: string[];
  /** The issuer; a self-signed certificate (the CA) when left out. */
  issuer?: { cert: X509Certificate; key: KeyObject; publicKey: KeyObject };
  now?: Date;
}

const newKey = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
/** The key identifier of RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey bits. */
function keyId(k: KeyObject): Buffer {
  const der = spki(k);
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, BIT STRING }: for P-256 the BIT STRING is the last 66 bytes (tag, length, 0 unused, 65-byte point).
  return createHash('sha1').update(der.subarray(der.length - 65)).digest();
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Issues one certificate (a new key each time). */
export function issue(spec: CertSpec): IssuedCert & { cert: X509Certificate; key: KeyObject; publicKey: KeyObject } {
  if (!(Number.isInteger(spec.days) && spec.days > 0)) throw new Error(`days must be a positive integer (got ${spec.days})`);
  const { privateKey, publicKey } = newKey();
  const now = spec.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(now.getTime() + spec.days * 86_400_000);
  const issuerName = spec.issuer ? spec.issuer.cert.subject.replace(/^CN=/, '') : spec.commonName;
  const signingKey = spec.issuer?.key ?? privateKey;
  const issuerPublic = spec.issuer?.publicKey ?? publicKey;
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const extensions: Buffer[] = [ext(OID.basicConstraints, true, spec.isCa ? seq(bool(true)) : seq())];
  extensions.push(ext(OID.keyUsage, true, spec.isCa ? keyUsage(0, 5, 6) : keyUsage(0)));
  if (spec.usages && spec.usages.length > 0) extensions.push(ext(OID.extKeyUsage, false, seq(...spec.usages.map((u) => oid(u === 'server' ? OID.serverAuth : OID.clientAuth)))));
  if (spec.dnsNames && spec.dnsNames.length > 0) extensions.push(ext(OID.subjectAltName, false, seq(...spec.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))))));
  extensions.push(ext(OID.subjectKeyIdentifier, false, octets(keyId(publicKey))));
  if (spec.issuer) extensions.push(ext(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyId(issuerPublic)))));
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(serial),
    algorithm,
    name(issuerName),
    seq(time(notBefore), time(notAfter)),
    name(spec.commonName),
    spki(publicKey),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, signingKey);
  const der = seq(tbs, algorithm, bits(signature));
  const cert = new X509Certificate(der);
  return {
    cert,
    key: privateKey,
    publicKey,
    certPem: pem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** What the bootstrap makes: one CA, the extender's serving certificate and kube-scheduler's client certificate. */
export interface Bundle {
  caPem: string;
  serving: IssuedCert;
  client: IssuedCert;
}

export function makeBundle(o: { dnsNames: string[]; days: number; clientCommonName?: string; caCommonName?: string; now?: Date }): Bundle {
  if (o.dnsNames.length === 0) throw new Error('the serving certificate needs at least one DNS name');
  const ca = issue({ commonName: o.caCommonName ?? 'tidal-ca', days: o.days, isCa: true, now: o.now });
  const issuer = { cert: ca.cert, key: ca.key, publicKey: ca.publicKey };
  const serving = issue({ commonName: o.dnsNames[0]!, days: o.days, usages: ['server'], dnsNames: o.dnsNames, issuer, now: o.now });
  const client = issue({ commonName: o.clientCommonName ?? 'system:kube-scheduler', days: o.days, usages: ['client'], issuer, now: o.now });
  return { caPem: ca.certPem, serving: { certPem: serving.certPem, keyPem: serving.keyPem }, client: { certPem: client.certPem, keyPem: client.keyPem } };
}

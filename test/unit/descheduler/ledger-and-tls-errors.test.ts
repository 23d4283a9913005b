// Invalid inputs of the hardening features themselves: TLS files (named by flag and path, with the
// problem) and a corrupted eviction ledger annotation (refused, so the cycle evicts nothing).

import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerUnavailable, parseLedger } from '../../../scheduler/descheduler/ledger.ts';
import { loadTlsMaterial } from '../../../scheduler/extender/tls.ts';
import { TestPki, type Pair } from '../extender/certs.ts';

let pki: TestPki;
let serving: Pair;
let other: Pair;
beforeAll(() => {
  pki = new TestPki();
  const ca = pki.ca('ca');
  serving = pki.leaf('serving', ca, { cn: 'tidal-extender', usage: 'server' });
  other = pki.leaf('other', ca, { cn: 'other', usage: 'server' });
});
afterAll(() => pki?.cleanup());

describe('TLS files', () => {
  it('name the flag, the file and the problem', () => {
    const garbage = pki.path('garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    expect(() => loadTlsMaterial({ certFile: '/nope.crt', keyFile: serving.key })).toThrow(/^--tls-cert-file \/nope\.crt: cannot read/);
    expect(() => loadTlsMaterial({ certFile: garbage, keyFile: serving.key })).toThrow(new RegExp(`^--tls-cert-file ${garbage}: not a PEM certificate`));
    expect(() => loadTlsMaterial({ certFile: serving.cert, keyFile: garbage })).toThrow(new RegExp(`^--tls-key-file ${garbage}: not a PEM private key`));
    expect(() => loadTlsMaterial({ certFile: serving.cert, keyFile: other.key })).toThrow(new RegExp(`^--tls-key-file ${other.key} does not match the certificate in --tls-cert-file ${serving.cert}`));
    expect(() => loadTlsMaterial({ certFile: serving.cert, keyFile: serving.key, clientCaFile: garbage })).toThrow(new RegExp(`^--client-ca-file ${garbage}: not a PEM certificate bundle`));
    expect(() => loadTlsMaterial({ certFile: serving.cert, keyFile: serving.key }, Date.now() + 10 * 86_400_000)).toThrow(/certificate expired at/);
  });
});

describe('the eviction ledger annotation', () => {
  it('is refused when corrupted, naming the annotation', () => {
    for (const [text, message] of [
      ['{', /tidal\.io\/eviction-ledger is not JSON/],
      ['{"a":1}', /tidal\.io\/eviction-ledger must be a JSON array/],
      ['[[1]]', /bad entry \[1\]/],
      ['[["x",1,0,"a"]]', /bad entry/],
      ['[[1,-1,0,"a"]]', /bad entry/],
    ] as const) {
      expect(() => parseLedger(text)).toThrow(LedgerUnavailable);
      expect(() => parseLedger(text)).toThrow(message);
    }
    expect(parseLedger(undefined)).toEqual([]);
    expect(parseLedger('')).toEqual([]);
  });
});

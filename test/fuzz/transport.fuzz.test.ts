// Hostile transport: slow clients (slowloris on headers and on the body, idle connections, bodies
// shorter than their Content-Length), huge and deeply nested bodies, tens of thousands of unknown
// nodes, malformed HTTP. The extender times slow clients out, refuses what is too big or too deep
// with a clear 4xx, answers the rest within its deadline, and keeps serving everyone else meanwhile.

import fc from 'fast-check';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_NODE } from '../../scheduler/core/engine.ts';
import { startHardened, type HardenedExtender } from '../unit/extender/app.ts';
import { openSocket, readResponses, requestText } from '../unit/extender/raw-http.ts';
import { onlinePod } from '../fixtures/extender/payloads.ts';
import { closeAgent, KNOWN, runs, send } from './lib.ts';

const REQUEST_TIMEOUT_MS = 400;
const MAX_BODY = 512 * 1024;

let ext: HardenedExtender;
beforeAll(async () => {
  ext = await startHardened({ requestTimeoutMs: REQUEST_TIMEOUT_MS, maxBodyBytes: MAX_BODY });
});
afterAll(async () => {
  closeAgent();
  await ext?.close();
});

const filterText = (names: readonly string[] = KNOWN) => JSON.stringify({ Pod: onlinePod('web', { cpu: '1' }), Nodes: null, NodeNames: names });

/** Waits for the server to close the socket; returns what it sent and how long it took (ms). */
function untilClosed(s: Socket, startedAt: number): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => resolve({ text, ms: performance.now() - startedAt }));
  });
}

/** Writes `data` a few bytes at a time, every `everyMs`, until the socket closes or the data runs out. */
function trickle(s: Socket, data: Buffer, bytes: number, everyMs: number): void {
  let at = 0;
  const t = setInterval(() => {
    if (s.destroyed || at >= data.length) return clearInterval(t);
    s.write(data.subarray(at, at + bytes));
    at += bytes;
  }, everyMs);
}

async function filterAnsweredQuickly(): Promise<number> {
  const a = await send(ext.server.port, '/scheduler/filter', filterText());
  expect(a.status).toBe(200);
  return a.ms;
}

describe('slow clients', () => {
  it('a client that trickles its headers is answered 408 and cut off at the request timeout', async () => {
    const s = await openSocket(ext.server.port);
    const t0 = performance.now();
    const closed = untilClosed(s, t0);
    trickle(s, requestText('/scheduler/filter', filterText()), 2, 30);
    const r = await closed;
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.text).toMatch(/request not received within 400 ms/);
    expect(r.ms).toBeGreaterThan(REQUEST_TIMEOUT_MS - 50);
    expect(r.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
  });

  it('a client that sends its headers and then trickles the body (or stops short of Content-Length) is cut off too', async () => {
    for (const mode of ['trickle', 'short'] as const) {
      const s = await openSocket(ext.server.port);
      const t0 = performance.now();
      const closed = untilClosed(s, t0);
      const full = requestText('/scheduler/filter', filterText());
      const headEnd = full.indexOf('\r\n\r\n') + 4;
      s.write(full.subarray(0, headEnd + 10));
      if (mode === 'trickle') trickle(s, full.subarray(headEnd + 10), 1, 40);
      const r = await closed;
      expect([mode, r.ms < REQUEST_TIMEOUT_MS + 1500]).toEqual([mode, true]);
      // Whatever was answered, it was a timeout or an aborted body, never a decision or a 5xx.
      expect(r.text).not.toMatch(/^HTTP\/1\.1 (200|5\d\d)/);
    }
  });

  it('an idle connection that never sends a request is closed', async () => {
    const s = await openSocket(ext.server.port);
    const r = await untilClosed(s, performance.now());
    expect(r.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
  });

  it('a hundred slowloris connections do not delay kube-scheduler\'s requests', async () => {
    const sockets = await Promise.all(Array.from({ length: 100 }, () => openSocket(ext.server.port)));
    const closed = sockets.map((s) => untilClosed(s, performance.now()));
    for (const s of sockets) trickle(s, requestText('/scheduler/filter', filterText()), 1, 25);
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) ms.push(await filterAnsweredQuickly());
    expect(Math.max(...ms)).toBeLessThan(250);
    const results = await Promise.all(closed);
    expect(results.every((r) => r.ms < REQUEST_TIMEOUT_MS + 1500)).toBe(true);
    expect(await ext.metrics()).toMatch(/tidal_extender_client_errors_total\{code="ERR_HTTP_REQUEST_TIMEOUT"\} \d+/);
  });
});

describe('huge and deep bodies', () => {
  it('a body over the limit is refused 413 without reading it all, whether it says so up front or not', async () => {
    const big = Buffer.alloc(MAX_BODY + 1024, 0x20);
    const a = await send(ext.server.port, '/scheduler/filter', big);
    expect(a.status).toBe(413);
    expect(a.json.Error).toMatch(/exceeds the limit of 524288 bytes/);
    // Chunked, no Content-Length: the limit applies to what arrives.
    const s = await openSocket(ext.server.port);
    const closed = untilClosed(s, performance.now());
    s.write('POST /scheduler/filter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let i = 0; i < 10 && !s.destroyed; i++) s.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
    if (!s.destroyed) s.write('0\r\n\r\n');
    const [r] = await readResponses(s, 1);
    expect(r!.status).toBe(413);
    s.destroy();
    await closed;
  });

  it('JSON nested far deeper than any Kubernetes object is a 400, at any depth up to the body limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 65, max: 200_000 }), fc.constantFrom('[', '{"a":'), async (depth, open) => {
        const close = open === '[' ? ']' : '}';
        const body = `{"Pod":${open.repeat(depth)}1${close.repeat(depth)},"NodeNames":["n1"]}`;
        const a = await send(ext.server.port, '/scheduler/filter', body);
        if (Buffer.byteLength(body) > MAX_BODY) expect(a.status).toBe(413);
        else {
          expect(a.status).toBe(400);
          expect(a.json.Error).toMatch(/nested deeper than 64 levels/);
        }
      }),
      runs(15),
    );
    // Just inside the depth limit it parses, and the wire check names what is wrong.
    const ok = await send(ext.server.port, '/scheduler/filter', `{"Pod":{"metadata":{"name":"p","labels":${'['.repeat(60)}${']'.repeat(60)}}},"NodeNames":["n1"]}`);
    expect(ok.status).toBe(400);
    expect(ok.json.Error).toMatch(/^Pod\.metadata\.labels: must be an object of strings/);
  });

  it('tens of thousands of unknown nodes: every one gets the unknown-node reason, within the deadline', async () => {
    const names = [...KNOWN, ...Array.from({ length: 30_000 }, (_, i) => `ghost-${i}`)];
    const a = await send(ext.server.port, '/scheduler/filter', filterText(names));
    expect(a.status).toBe(200);
    expect(a.ms).toBeLessThan(1500);
    const unresolvable = a.json.FailedAndUnresolvableNodes as Record<string, string>;
    expect(Object.keys(unresolvable)).toHaveLength(30_000 + 1); // the ghosts and the cordoned n3
    expect(unresolvable['ghost-29999']).toBe(UNKNOWN_NODE);
    const p = await send(ext.server.port, '/scheduler/prioritize', filterText(names));
    expect(p.status).toBe(200);
    expect(p.json).toHaveLength(names.length);
    expect(p.json[names.length - 1]).toEqual({ Host: 'ghost-29999', Score: 0 });
  });

  it('huge strings inside an acceptable body are just data', async () => {
    const pod = onlinePod('x'.repeat(200_000), { cpu: '1' });
    pod.metadata.annotations = { 'tidal.io/expected-runtime': '9'.repeat(100_000) + 'h', 'tidal.io/progress': '0.'.padEnd(50_000, '5') };
    const a = await send(ext.server.port, '/scheduler/filter', JSON.stringify({ Pod: pod, NodeNames: KNOWN }));
    expect(a.status).toBe(200);
  });
});

describe('malformed HTTP', () => {
  it('garbage request lines and headers get a 4xx (or a closed connection), and the server goes on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }).map((s) => `${s}\r\n\r\n`),
          fc.constantFrom(
            'GET / HTTP/9.9\r\n\r\n',
            'POST /scheduler/filter HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
            'POST /scheduler/filter HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
            'POST /scheduler/filter HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
            `GET /healthz HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
            'POST /scheduler/filter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
            '\u0000\u0001\u0002\r\n\r\n',
          ),
        ),
        async (raw) => {
          const s = await openSocket(ext.server.port);
          const closed = untilClosed(s, performance.now());
          s.end(Buffer.from(raw, 'latin1'));
          const r = await closed;
          const status = /^HTTP\/1\.1 (\d{3})/.exec(r.text)?.[1];
          if (status !== undefined) expect(Number(status)).toBeLessThan(500);
        },
      ),
      runs(60),
    );
    expect((await fetch(`${ext.url}/healthz`)).status).toBe(200);
    await filterAnsweredQuickly();
  });

  it('counted no internal error', async () => {
    expect(await ext.metrics()).not.toMatch(/tidal_extender_requests_total\{verb="\w+",code="5\d\d"\}/);
  });
});

// A minimal HTTP/1.1 client over raw sockets for the hardening tests: its writes reach the kernel at
// once (so requests can be queued behind a deliberately stalled event loop), it can trickle bytes,
// and it reads several responses from one keep-alive connection.

import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
  /** ms from the write of the request to the end of its response. */
  ms: number;
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Sockets the server has accepted and served once (GET /healthz), as kube-scheduler's keep-alive
 * connections are: a request written to one is read by the server's next loop iteration.
 */
export async function openWarmSockets(port: number, n: number): Promise<Socket[]> {
  const sockets = await Promise.all(Array.from({ length: n }, () => openSocket(port)));
  await Promise.all(
    sockets.map((s) => {
      const p = readResponses(s, 1);
      s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      return p;
    }),
  );
  return sockets;
}

export function requestText(path: string, body: string | Buffer, headers: Record<string, string> = {}): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const h = { Host: '127.0.0.1', 'Content-Type': 'application/json', 'Content-Length': String(b.length), ...headers };
  const head = `POST ${path} HTTP/1.1\r\n${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), b]);
}

/** Reads `n` responses (Content-Length framed) from the socket, or as many as arrive before it closes. */
export function readResponses(s: Socket, n: number, sentAt: number[] = []): Promise<RawResponse[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const out: RawResponse[] = [];
    const done = (): void => {
      s.off('data', onData);
      s.off('close', done);
      resolve(out);
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        const len = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
        buf = buf.subarray(end + 4 + len);
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const k = out.length;
        out.push({ status: Number(head[0]!.split(' ')[1]), headers, body, json, ms: sentAt[k] !== undefined ? performance.now() - sentAt[k]! : NaN });
        if (out.length === n) return done();
      }
    };
    s.on('data', onData);
    s.on('close', done);
  });
}

/** Keeps the thread busy (a stalled event loop: a long decision, a GC, a relist of the cluster). */
export function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

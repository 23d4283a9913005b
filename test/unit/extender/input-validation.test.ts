// What docs/security.md promises for request bodies: a quantity Tidal cannot read is a 400 naming
// the field (never a pod placed as if it requested nothing), every quantity form the apiserver
// accepts still works, a wrong Content-Type is a 415, a JSON value that is not an object is called
// what it is, an oversized chunked body says so without "unknown bytes", and a request naming more
// nodes than any cluster has is a 413.

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NODES_PER_REQUEST } from '../../../scheduler/extender/wire.ts';
import { batchPod, extenderArgs, onlinePod, post } from '../../fixtures/extender/payloads.ts';
import { startHardened, type HardenedExtender } from './app.ts';

let ext: HardenedExtender;
beforeAll(async () => {
  ext = await startHardened({ maxBodyBytes: 1 << 20 });
});
afterAll(() => ext.close());

const names = ['n1', 'n2'];
const args = (pod: unknown) => ({ Pod: pod, Nodes: null, NodeNames: names });

describe('extender request validation', () => {
  it('answers 400 naming the field to a quantity it cannot read', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ cpu: '-4' }, 'Pod.spec.containers[0].resources.requests[cpu]: must not be negative (got "-4")'],
      [{ cpu: 'NaN' }, 'Pod.spec.containers[0].resources.requests[cpu]: "NaN" is not a Kubernetes quantity'],
      [{ memory: '2 gigs' }, 'Pod.spec.containers[0].resources.requests[memory]: "2 gigs" is not a Kubernetes quantity'],
    ];
    for (const [requests, message] of cases) {
      const r = await post(`${ext.base}/filter`, args(batchPod('b', requests)));
      expect(r.status, JSON.stringify(requests)).toBe(400);
      expect(r.json.Error).toContain(message);
      expect(r.json.NodeNames ?? []).toEqual([]);
    }
    // The JSON number 1e400 parses to Infinity: too large, not "nothing".
    const raw = JSON.stringify(args(batchPod('b', { cpu: '1' }))).replace('"cpu":"1"', '"cpu":1e400');
    const big = await post(`${ext.base}/prioritize`, null, { raw });
    expect(big.status).toBe(400);
    expect(big.json.Error).toBe('Pod.spec.containers[0].resources.requests[cpu]: quantity Infinity is not finite');
  });

  it('keeps every quantity form the apiserver accepts', async () => {
    for (const cpu of ['500m', '2', '0.5', '.5', '1e3', '1E-1', '+1', '100n', '2k']) {
      const r = await post(`${ext.base}/filter`, args(onlinePod('o', { cpu, memory: '1Gi' })));
      expect(r.status, cpu).toBe(200);
    }
    const raw = JSON.stringify(args(onlinePod('o', { cpu: '1', memory: '1Gi' }))).replace('"cpu":"1"', '"cpu":0.25');
    expect((await post(`${ext.base}/filter`, null, { raw })).status).toBe(200);
    for (const memory of ['1Gi', '512Mi', '1e9', '1G', '128974848', '129M', '123Mi', '1.5Gi']) {
      expect((await post(`${ext.base}/filter`, args(onlinePod('o', { cpu: '1', memory })))).status, memory).toBe(200);
    }
  });

  it('answers 400 naming the field to a node allocatable it cannot read', async () => {
    const node = { metadata: { name: 'n1' }, status: { allocatable: { cpu: '-16', memory: '64Gi' } } };
    const r = await post(`${ext.base}/filter`, extenderArgs(onlinePod('o', { cpu: '1' }), [node], false));
    expect(r.status).toBe(400);
    expect(r.json.Error).toBe('Nodes.items[0].status.allocatable[cpu]: must not be negative (got "-16")');
  });

  it('answers 415 to a Content-Type other than application/json', async () => {
    const r = await post(`${ext.base}/filter`, null, { raw: '{}', contentType: 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.json.Error).toBe('Content-Type must be application/json (got "text/plain")');
  });

  it('calls null and "str" what they are: valid JSON that is not the object a verb takes', async () => {
    for (const [raw, got] of [['null', 'null'], ['"str"', 'a string'], ['7', 'a number'], ['[]', 'an array']] as const) {
      const r = await post(`${ext.base}/filter`, null, { raw });
      expect(r.status, raw).toBe(400);
      expect(r.json.Error).toBe(`request body must be a JSON object (ExtenderArgs), got ${got}`);
    }
  });

  it('refuses a chunked body over the limit without "unknown bytes"', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${ext.base}/filter`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write('{"Pod":"' + 'x'.repeat(1 << 20));
      req.end('"}');
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).Error).toMatch(/^request body \(sent without a Content-Length\) exceeds the limit of 1048576 bytes/);
  });

  it('answers 413 to more node names than any cluster has, with a bounded answer', async () => {
    const many = Array.from({ length: MAX_NODES_PER_REQUEST + 1 }, (_, i) => `x${i}`);
    const r = await post(`${ext.base}/filter`, { Pod: onlinePod('o', { cpu: '1' }), Nodes: null, NodeNames: many });
    expect(r.status).toBe(413);
    expect(r.json.Error).toBe(`NodeNames: ${MAX_NODES_PER_REQUEST + 1} nodes in one request; at most 50,000 are read (Kubernetes supports clusters of up to 5,000 nodes)`);
    expect(r.text.length).toBeLessThan(2000);
  });
});

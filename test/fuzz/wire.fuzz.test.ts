// Fuzzing the webhook over HTTP: requests shaped as kube-scheduler's with arbitrary values swapped in
// at arbitrary places, and valid bodies with their bytes flipped, inserted, deleted, truncated and
// duplicated. Every answer must come within the deadline and be either a decision that accounts for
// exactly the nodes asked about, or a 400/413/415 with a message; never a 5xx, never a crash.
// (TIDAL_FUZZ_RUNS=20 multiplies the runs; TIDAL_FUZZ_SEED replays a failure.)

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHardened, type HardenedExtender } from '../unit/extender/app.ts';
import { batchPod, onlinePod } from '../fixtures/extender/payloads.ts';
import { RUNS_SCALE, checkAnswer, closeAgent, byteOpsArb, filterArgsArb, filterBody, KNOWN, mutate, mutateBytes, preemptArgsArb, runs, send, type Answer } from './lib.ts';

/**
 * kube-scheduler's httpTimeout as `tidal config scheduler` sets it (2s): an answer after it is
 * wasted. (The extender's own decision budget is 500 ms; the rest is slack for a loaded machine.)
 */
const DEADLINE_MS = 2000;
/** Per property test: a few seconds, scaled with TIDAL_FUZZ_RUNS. */
const TIMEOUT_MS = 10_000 * Math.max(1, RUNS_SCALE);

let ext: HardenedExtender;
const tally = { requests: 0, byStatus: new Map<number, number>(), maxMs: 0 };

function record(a: Answer): void {
  tally.requests++;
  tally.byStatus.set(a.status, (tally.byStatus.get(a.status) ?? 0) + 1);
  if (a.ms > tally.maxMs) tally.maxMs = a.ms;
}

/**
 * Victims Tidal may name: batch pods of that node; for a system-class preemptor (system-critical
 * priority), kube-scheduler's own proposal passes through unchanged (core/preemption.ts).
 */
function victimCheck(pod: unknown): (node: string, uid: string, proposed: boolean) => boolean {
  let system = false;
  try {
    system = ext.locals.handlers.pod(pod as never).class === 'system';
  } catch {
    // Not a readable pod: then the request is a 400 and no victim is checked.
  }
  return (node, uid, proposed) => (system && proposed) || ext.state.nodes.get(node)?.pods.get(uid)?.class === 'batch';
}

function podOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  if (Object.hasOwn(body, 'Pod')) return (body as Record<string, unknown>).Pod;
  const k = Object.keys(body).find((x) => x.toLowerCase() === 'pod');
  return k === undefined ? undefined : (body as Record<string, unknown>)[k];
}

async function verb(name: 'filter' | 'prioritize' | 'preempt', body: unknown): Promise<void> {
  const text = JSON.stringify(body) ?? 'undefined';
  const a = await send(ext.server.port, `/scheduler/${name}`, text);
  record(a);
  let sent: unknown;
  try {
    sent = JSON.parse(text);
  } catch {
    sent = undefined;
  }
  const problem = checkAnswer(name, sent, a, victimCheck(podOf(sent)));
  if (problem !== null) throw new Error(`${name} ${text.slice(0, 400)}\n-> ${problem}`);
  if (a.ms > DEADLINE_MS) throw new Error(`${name} answered in ${a.ms.toFixed(0)} ms (deadline ${DEADLINE_MS} ms)`);
}

beforeAll(async () => {
  ext = await startHardened({ maxBodyBytes: 1024 * 1024, requestTimeoutMs: 2000 });
});

afterAll(async () => {
  closeAgent();
  const statuses = [...tally.byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
  console.log(`wire fuzz: ${tally.requests} requests (${statuses}), slowest ${tally.maxMs.toFixed(1)} ms`);
  await ext?.close();
});

describe('fuzzing the verbs with structured requests', () => {
  it('filter: decides about exactly the nodes asked, or says clearly what is wrong', async () => {
    await fc.assert(
      fc.asyncProperty(filterArgsArb, async ({ pod, names, cache, mutations }) => {
        await verb('filter', mutate(filterBody(pod, names, cache), mutations));
      }),
      runs(250),
    );
  }, TIMEOUT_MS);

  it('prioritize: one score 0..10 per node asked, in order, or a clear 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(filterArgsArb, async ({ pod, names, cache, mutations }) => {
        await verb('prioritize', mutate(filterBody(pod, names, cache), mutations));
      }),
      runs(250),
    );
  }, TIMEOUT_MS);

  it('preempt: keeps only candidate nodes, each with batch victims of that node, or a clear 4xx', async () => {
    const pods = Object.values(ext.cluster.pods);
    await fc.assert(
      fc.asyncProperty(preemptArgsArb, fc.subarray(pods), async ({ pod, victims, pdb, cache, mutations }, real) => {
        // Some candidates name the cluster's real pods, as kube-scheduler's would.
        const withReal: Record<string, string[]> = { ...victims };
        for (const p of real) (withReal[p.spec.nodeName as string] ??= []).push(p.metadata.uid as string);
        const body = cache
          ? { Pod: pod, NodeNameToVictims: null, NodeNameToMetaVictims: Object.fromEntries(Object.entries(withReal).map(([n, uids]) => [n, { Pods: uids.map((UID) => ({ UID })), NumPDBViolations: pdb }])) }
          : {
              Pod: pod,
              NodeNameToMetaVictims: null,
              NodeNameToVictims: Object.fromEntries(Object.entries(withReal).map(([n, uids]) => [n, { Pods: uids.map((uid) => ({ metadata: { name: `v-${uid}`, uid } })), NumPDBViolations: pdb }])),
            };
        await verb('preempt', mutate(body, mutations));
      }),
      runs(200),
    );
  }, TIMEOUT_MS);

  it('answers the shapes that are valid but odd: null NodeNames, missing Pod, empty and unknown node lists', async () => {
    const pod = onlinePod('w', { cpu: '1' });
    for (const body of [
      { Pod: pod, Nodes: null, NodeNames: null },
      { Nodes: null, NodeNames: KNOWN },
      { Pod: null, NodeNames: KNOWN },
      { Pod: pod, NodeNames: [] },
      { Pod: pod, Nodes: { items: null } },
      { Pod: pod, Nodes: {} },
      { pod, nodenames: KNOWN },
      { Pod: pod, NodeNames: ['ghost-1', 'ghost-2'] },
      { Pod: pod, NodeNames: KNOWN.concat(KNOWN) },
    ]) {
      for (const v of ['filter', 'prioritize'] as const) await verb(v, body);
    }
  });
});

describe('fuzzing the bytes', () => {
  const bodies = [
    JSON.stringify(filterBody(onlinePod('web', { cpu: '1', memory: '1Gi' }), KNOWN, true)),
    JSON.stringify(filterBody(batchPod('etl', { 'tidal.io/batch-cpu': '500' }), KNOWN, false)),
  ];

  it('mutated bodies get a decision or a 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.constantFrom('filter', 'prioritize', 'preempt') as fc.Arbitrary<'filter' | 'prioritize' | 'preempt'>, byteOpsArb, async (which, name, ops) => {
        const bytes = mutateBytes(Buffer.from(bodies[which]!), ops);
        const a = await send(ext.server.port, `/scheduler/${name}`, bytes);
        record(a);
        if (a.ms > DEADLINE_MS) throw new Error(`answered in ${a.ms.toFixed(0)} ms`);
        if (a.status >= 500 || a.status === 0) throw new Error(`status ${a.status} for ${Buffer.from(bytes).toString('latin1').slice(0, 300)}: ${a.body.slice(0, 300)}`);
        if (a.status !== 200) {
          expect([400, 413, 415]).toContain(a.status);
          expect(a.json?.Error).toMatch(/\w{4}/);
        } else {
          // Still valid JSON after the mutation: the answer must be a well-formed decision about it.
          const sent = JSON.parse(Buffer.from(bytes).toString('utf8'));
          const problem = checkAnswer(name, sent, a, victimCheck(podOf(sent)));
          if (problem !== null) throw new Error(problem);
        }
      }),
      runs(400),
    );
  }, TIMEOUT_MS);

  it('odd encodings and content types are refused clearly', async () => {
    const body = bodies[0]!;
    const cases: Array<[Record<string, string>, number]> = [
      [{ 'Content-Encoding': 'gzip' }, 415],
      [{ 'Content-Encoding': 'br' }, 415],
      [{ 'Content-Type': 'application/json; charset=latin1' }, 415],
      [{ 'Content-Type': 'text/plain' }, 415],
      [{ 'Content-Type': 'application/x-www-form-urlencoded' }, 415],
      [{ 'Content-Type': 'application/json; charset=utf-8' }, 200],
    ];
    for (const [headers, status] of cases) {
      const a = await send(ext.server.port, '/scheduler/filter', body, headers);
      record(a);
      expect([headers, a.status]).toEqual([headers, status]);
      if (status !== 200) expect(a.json.Error).toMatch(/\w{4}/);
    }
    // Bytes that are not UTF-8, a BOM, a NUL.
    for (const bytes of [Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]), Buffer.from('{"Pod":\u0000}')]) {
      const a = await send(ext.server.port, '/scheduler/filter', bytes);
      record(a);
      expect([200, 400]).toContain(a.status);
    }
  });

  it('is still healthy and counted no internal error', async () => {
    expect((await fetch(`${ext.url}/healthz`)).status).toBe(200);
    const m = await ext.metrics();
    expect(m).not.toMatch(/tidal_extender_requests_total\{verb="\w+",code="5\d\d"\}/);
    expect(tally.requests).toBeGreaterThan(500);
  });
});

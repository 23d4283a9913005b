// Shared by the webhook fuzz tests: fast-check arbitraries over the extender wire types (valid
// requests, then values swapped for arbitrary JSON at arbitrary paths), byte-level mutations of valid
// bodies, a keep-alive HTTP client that times each request, and the checks every answer must pass.
//
// Scale with TIDAL_FUZZ_RUNS (runs per property; default small so that `npm test` stays fast) and
// replay a failure with TIDAL_FUZZ_SEED (fast-check prints the seed and path of any counterexample).

import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { batchPod, onlinePod, wirePod } from '../fixtures/extender/payloads.ts';

export const RUNS_SCALE = Number(process.env.TIDAL_FUZZ_RUNS ?? '1');
export const SEED = process.env.TIDAL_FUZZ_SEED !== undefined ? Number(process.env.TIDAL_FUZZ_SEED) : undefined;

export function runs(n: number): fc.Parameters<unknown> {
  return { numRuns: Math.max(1, Math.round(n * RUNS_SCALE)), ...(SEED !== undefined ? { seed: SEED } : {}) };
}

/** Node names the sample cluster knows (test/fixtures/extender/cluster.ts). */
export const KNOWN = ['n1', 'n2', 'n3', 'n4', 'n5'];

export interface Answer {
  status: number;
  body: string;
  json: any;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** POSTs raw bytes with a correct Content-Length over a keep-alive connection; times the round trip. */
export function send(port: number, path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json, ms: performance.now() - t0 });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function closeAgent(): void {
  agent.destroy();
}

// ---- structured requests ------------------------------------------------------------------------

/** Quantities as people and tools write them, and as nobody should. */
const quantity = fc.oneof(
  fc.constantFrom('1', '500m', '2Gi', '0', '1e3', '1.5', '64000', '1Ei', '-1', 'NaN', 'Infinity', '1e400', '', ' ', '1Ki ', '0x10', '9999999999999999999999Gi', '1..2', 'm'),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
);

const annotationValue = fc.oneof(
  fc.constantFrom('1h', '30m', '0s', '-5h', '1e309h', 'forever', 'true', 'false', 'TRUE', 'yes', '0.5', '2', '-0.1', 'NaN', '', '1h30m', '100000000h'),
  fc.string({ maxLength: 16 }),
);

const tidalAnnotations = fc.dictionary(
  fc.constantFrom('tidal.io/class', 'tidal.io/expected-runtime', 'tidal.io/checkpointable', 'tidal.io/progress', 'other.io/x'),
  annotationValue,
  { maxKeys: 4 },
);

/** A plausible pod (online or batch, odd quantities and annotations allowed). */
export const podArb = fc
  .record({
    kind: fc.constantFrom('online', 'batch', 'plain'),
    name: fc.oneof(fc.constantFrom('web', 'etl-1', 'x'), fc.string({ minLength: 1, maxLength: 40 })),
    requests: fc.dictionary(fc.constantFrom('cpu', 'memory', 'tidal.io/batch-cpu', 'tidal.io/batch-memory', 'nvidia.com/gpu', 'pods'), quantity, { maxKeys: 4 }),
    annotations: tidalAnnotations,
    priority: fc.option(fc.oneof(fc.integer(), fc.constantFrom(0, 100, 3000, 5999, 1_000_000_000, 2_000_001_000)), { nil: undefined }),
    priorityClassName: fc.option(fc.constantFrom('tidal-online', 'tidal-batch', 'koord-batch', 'system-node-critical', 'unknown'), { nil: undefined }),
    namespace: fc.constantFrom('default', 'kube-system', 'batch', ''),
    // In-place resize: what the kubelet allocated and actuated, as the status reports it.
    statuses: fc.option(
      fc.array(fc.record({ name: fc.constantFrom('main', 'other'), allocatedResources: fc.dictionary(fc.constantFrom('cpu', 'memory'), quantity, { maxKeys: 2 }), resources: fc.record({ requests: fc.dictionary(fc.constantFrom('cpu', 'memory'), quantity, { maxKeys: 2 }) }) }), { maxLength: 2 }),
      { nil: undefined },
    ),
    deleting: fc.boolean(),
  })
  .map((o) => {
    const base = o.kind === 'online' ? onlinePod(o.name, o.requests) : o.kind === 'batch' ? batchPod(o.name, o.requests) : wirePod({ name: o.name, requests: o.requests });
    base.metadata.annotations = o.annotations;
    base.metadata.namespace = o.namespace;
    if (o.priority !== undefined) base.spec.priority = o.priority;
    if (o.priorityClassName !== undefined) base.spec.priorityClassName = o.priorityClassName;
    if (o.statuses !== undefined) base.status.containerStatuses = o.statuses;
    if (o.deleting) base.metadata.deletionTimestamp = '2026-11-10T11:59:00Z';
    return base;
  });

/** Node names: known, unknown, and strings no node could be called. */
export const nodeNameArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 2, arbitrary: fc.constantFrom('gone', 'n6', 'N1', 'n1 ', '', '__proto__', 'constructor', 'toString', 'a"b', 'x\\y', '\u2028', '\ud800') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** Every path (array of keys) into a JSON value, the root included. */
function paths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (out.length > 400) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

export interface Mutation {
  /** Which path (modulo the number of paths). */
  at: number;
  /** Replace with this value; undefined: delete the key (or set the root to undefined). */
  value: unknown;
}

/** Applies mutations to a deep copy: each replaces the value at one path with arbitrary JSON, or deletes it. */
export function mutate(v: unknown, ms: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(v);
  for (const m of ms) {
    const all = paths(root);
    const path = all[m.at % all.length]!;
    // A copy: constants are shared objects, and one mutation may plant a value inside itself.
    const value = m.value === undefined ? undefined : structuredClone(m.value);
    if (path.length === 0) {
      root = value;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (value === undefined && !Array.isArray(parent)) delete parent[last];
    else parent[last] = value;
  }
  return root;
}

const jsonish = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, '', 0, -1, 1e308, true, [], {}, [null], { '': null }, 'n1', ['n1', 'n1']) },
);

export const mutationsArb = fc.array(fc.record({ at: fc.nat(), value: jsonish }), { minLength: 0, maxLength: 4 });

export const filterArgsArb = fc.record({
  pod: podArb,
  names: fc.array(nodeNameArb, { maxLength: 12 }),
  cache: fc.boolean(),
  mutations: mutationsArb,
});

export function filterBody(pod: unknown, names: readonly string[], cache: boolean): Record<string, unknown> {
  return cache
    ? { Pod: pod, Nodes: null, NodeNames: names }
    : { Pod: pod, Nodes: { metadata: {}, items: names.length > 0 ? names.map((name) => ({ metadata: { name }, status: { allocatable: { cpu: '4' } } })) : null }, NodeNames: null };
}

export const preemptArgsArb = fc.record({
  pod: podArb,
  victims: fc.dictionary(nodeNameArb, fc.array(fc.oneof(fc.constantFrom('uid-batch-1', 'uid-web-1', 'nope'), fc.string({ minLength: 1, maxLength: 10 })), { maxLength: 4 }), { maxKeys: 6 }),
  pdb: fc.nat({ max: 3 }),
  cache: fc.boolean(),
  mutations: mutationsArb,
});

// ---- byte mutations -----------------------------------------------------------------------------

export type ByteOp =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate'; at: number; len: number };

export const byteOpsArb: fc.Arbitrary<ByteOp[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x2c, 0x3a)), { minLength: 1, maxLength: 8 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  ),
  { minLength: 1, maxLength: 6 },
);

export function mutateBytes(src: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  let b = Array.from(src);
  for (const o of ops) {
    const at = b.length === 0 ? 0 : o.at % (b.length + 1);
    if (o.op === 'flip' && b.length > 0) b[at % b.length] = o.byte;
    else if (o.op === 'insert') b.splice(at, 0, ...o.bytes);
    else if (o.op === 'delete') b.splice(at, o.len);
    else if (o.op === 'truncate') b = b.slice(0, at);
    else if (o.op === 'duplicate') b.splice(at, 0, ...b.slice(at, at + o.len));
  }
  return Uint8Array.from(b);
}

/** The top-level keys as the server reads them (Go's decoder: exact, else case-insensitive). */
function caseless(body: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const key of ['Pod', 'Nodes', 'NodeNames', 'NodeNameToVictims', 'NodeNameToMetaVictims']) {
    if (Object.hasOwn(body, key)) out[key] = body[key];
    else {
      const k = Object.keys(body).find((x) => x.toLowerCase() === key.toLowerCase());
      if (k !== undefined) out[key] = body[k];
    }
  }
  return out;
}

// ---- what every answer must be ------------------------------------------------------------------

/** Statuses the verbs may answer with: a decision, or a clear client error. Never 5xx. */
export const CLIENT_ERRORS = new Set([400, 413, 415]);

/** Checks an answer's shape; returns a description of what is wrong, or null. */
export function checkAnswer(verb: 'filter' | 'prioritize' | 'preempt', sent: unknown, a: Answer, victimOk: (node: string, uid: string, proposed: boolean) => boolean = () => true): string | null {
  if (a.status !== 200) {
    if (!CLIENT_ERRORS.has(a.status)) return `status ${a.status}: ${a.body.slice(0, 300)}`;
    if (typeof a.json?.Error !== 'string' || a.json.Error.length < 10) return `status ${a.status} without a clear Error: ${a.body.slice(0, 300)}`;
    if (verb === 'filter' && !(a.json.NodeNames === null && a.json.Nodes === null)) return 'filter error without the ExtenderFilterResult shape';
    return null;
  }
  const body = caseless(sent as Record<string, any>);
  if (verb === 'filter') {
    const r = a.json;
    if (typeof r !== 'object' || r === null) return 'filter answer is not an object';
    if (r.Error !== '') return `filter 200 with Error ${JSON.stringify(r.Error)}`;
    const cache = Array.isArray(body.NodeNames);
    const input: string[] = cache ? body.NodeNames : (body.Nodes?.items ?? []).map((n: any) => n.metadata.name);
    const passed: string[] = cache ? r.NodeNames : (r.Nodes?.items ?? []).map((n: any) => n.metadata.name);
    if (!Array.isArray(passed)) return 'filter answer lacks the passing nodes in the mode asked';
    const failed = Object.keys(r.FailedNodes ?? {});
    const unres = Object.keys(r.FailedAndUnresolvableNodes ?? {});
    const inSet = new Set(input);
    for (const n of [...passed, ...failed, ...unres]) if (!inSet.has(n)) return `filter answered about ${JSON.stringify(n)}, which was not asked`;
    const answered = new Set([...passed, ...failed, ...unres]);
    for (const n of inSet) if (!answered.has(n)) return `filter said nothing about ${JSON.stringify(n)}`;
    for (const m of [r.FailedNodes, r.FailedAndUnresolvableNodes]) for (const k of Object.keys(m)) if (typeof m[k] !== 'string' || m[k].length === 0) return `empty reason for ${k}`;
    return null;
  }
  if (verb === 'prioritize') {
    const r = a.json;
    const cache = Array.isArray(body.NodeNames);
    const input: string[] = cache ? body.NodeNames : (body.Nodes?.items ?? []).map((n: any) => n.metadata.name);
    if (!Array.isArray(r) || r.length !== input.length) return 'prioritize answer is not one entry per node';
    for (let i = 0; i < r.length; i++) {
      if (r[i].Host !== input[i]) return `prioritize entry ${i} is ${JSON.stringify(r[i].Host)}, asked ${JSON.stringify(input[i])}`;
      if (!Number.isInteger(r[i].Score) || r[i].Score < 0 || r[i].Score > 10) return `score ${r[i].Score} out of 0..10`;
    }
    return null;
  }
  const r = a.json;
  const asked = (body.NodeNameToMetaVictims ?? body.NodeNameToVictims) as Record<string, { Pods: Array<{ UID?: string; metadata?: { uid: string } }> } | null>;
  if (typeof r?.NodeNameToMetaVictims !== 'object' || r.NodeNameToMetaVictims === null) return 'preempt answer without NodeNameToMetaVictims';
  for (const [node, v] of Object.entries(r.NodeNameToMetaVictims as Record<string, { Pods: Array<{ UID: string }> }>)) {
    if (!Object.hasOwn(asked, node)) return `preempt kept ${JSON.stringify(node)}, not a candidate`;
    if (!Array.isArray(v.Pods) || v.Pods.length === 0) return `preempt kept ${JSON.stringify(node)} without victims`;
    // Tidal may answer with other pods of the node than those proposed (the cheapest batch pods there).
    const offered = new Set((asked[node]?.Pods ?? []).map((p) => p.UID ?? p.metadata?.uid));
    for (const p of v.Pods) if (typeof p.UID !== 'string' || !victimOk(node, p.UID, offered.has(p.UID))) return `preempt chose ${JSON.stringify(p.UID)} on ${node}: not an acceptable victim`;
  }
  return null;
}

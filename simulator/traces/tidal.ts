// Tidal's native trace format: JSON Lines, one TraceEvent a line exactly as events.ts types them,
// optionally preceded by a header line. See FORMAT.md. The reader streams and validates each line;
// the writer streams any Trace (generated, read from another format, or snapshotted) to a file.

import { unlink } from 'node:fs/promises';
import { LineWriter, readLines } from './lines.ts';
import { countDropped, MAX_TIME, TraceError } from './events.ts';
import type { Trace, TraceEvent, TraceInfo, TracePod } from './events.ts';

export const TIDAL_FORMAT = 'tidal-trace';
export const TIDAL_VERSION = 1;

/** The optional first line. Unknown extra fields are kept in `meta` and ignored by readers. */
export interface TidalHeader {
  format: typeof TIDAL_FORMAT;
  version: number;
  /** First and last event times (ms since epoch), when the writer knew them. */
  start?: number;
  end?: number;
  source?: string;
  [extra: string]: unknown;
}

export interface ReadTidalOptions {
  /** Strict (default): a bad line throws TraceError. Lenient: it is skipped and counted in info.skipped. */
  strict?: boolean;
}

export interface TidalTrace extends Trace {
  /** The header line, once events() has read it (null when the file has none). */
  header: TidalHeader | null;
}

/**
 * Read a native trace. The header (if any) is read eagerly so that `info.start/end` are known
 * before iteration; events are read lazily, one line at a time, every time events() is called.
 */
export async function readTidalTrace(file: string, options: ReadTidalOptions = {}): Promise<TidalTrace> {
  const strict = options.strict ?? true;
  const info: TraceInfo = { format: TIDAL_FORMAT, source: file, skipped: new Map() };
  const trace: TidalTrace = {
    info,
    header: null,
    events: () => readEvents(file, strict, trace),
  };
  for await (const line of readLines(file)) {
    const h = parseHeader(file, line);
    if (h) {
      trace.header = h;
      if (typeof h.start === 'number') info.start = h.start;
      if (typeof h.end === 'number') info.end = h.end;
    }
    break;
  }
  return trace;
}

function parseHeader(file: string, line: string): TidalHeader | null {
  if (!line.includes('"format"')) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(v) || 'type' in v || v['format'] === undefined) return null;
  if (v['format'] !== TIDAL_FORMAT) {
    throw new TraceError(file, 1, columnOf(line, 'format'), `header: format must be "${TIDAL_FORMAT}", got ${JSON.stringify(v['format'])}`);
  }
  if (v['version'] !== TIDAL_VERSION) {
    throw new TraceError(file, 1, columnOf(line, 'version'), `header: unsupported version ${JSON.stringify(v['version'])} (this reader knows ${TIDAL_VERSION})`);
  }
  for (const k of ['start', 'end'] as const) {
    const t = v[k];
    if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= MAX_TIME)) {
      throw new TraceError(file, 1, columnOf(line, k), `header: ${k} must be an instant in ms since 1970 (0 to ${MAX_TIME}), got ${JSON.stringify(t)}`);
    }
  }
  if (typeof v['start'] === 'number' && typeof v['end'] === 'number' && v['end'] < v['start']) {
    throw new TraceError(file, 1, columnOf(line, 'end'), `header: end ${v['end']} is before start ${v['start']}`);
  }
  return v as TidalHeader;
}

async function* readEvents(file: string, strict: boolean, trace: TidalTrace): AsyncGenerator<TraceEvent> {
  const info = trace.info;
  info.skipped.delete(file);
  info.dropped = new Map();
  const span = { start: trace.header?.start ?? -Infinity, end: trace.header?.end ?? Infinity };
  const refs = new References();
  let line = 0;
  let last = -Infinity;
  for await (const text of readLines(file)) {
    line++;
    if (line === 1 && parseHeader(file, text)) continue;
    if (text.trim() === '') continue;
    let ev: TraceEvent;
    try {
      ev = parseEventLine(text);
      if (ev.time < last) {
        throw new LineError(columnOf(text, 'time'), `time ${ev.time} is earlier than the previous event's ${last}: events must be in non-decreasing time order`, 'earlier than the previous event');
      }
      if (ev.time < span.start || ev.time > span.end) {
        throw new LineError(
          columnOf(text, 'time'),
          `time ${ev.time} (${new Date(ev.time).toISOString()}) is outside the span the header declares (${instant(span.start)} to ${instant(span.end)})`,
          "outside the header's start..end",
        );
      }
      const problem = refs.check(ev);
      if (problem) {
        // A pin to a node that is not there is a fixable fault: lenient mode lets the policy place the pod.
        if (!strict && problem.reason === PINNED_UNKNOWN && ev.type === 'pod-arrival') {
          countDropped(info, `${PINNED_UNKNOWN} (placed by the policy)`);
          const { nodeName: _pin, ...pod } = ev.pod;
          ev = { ...ev, pod };
          refs.accept(ev);
        } else {
          throw new LineError(columnOf(text, problem.key), problem.message, problem.reason);
        }
      } else {
        refs.accept(ev);
      }
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      if (strict) throw new TraceError(file, line, e.column, e.message);
      info.skipped.set(file, (info.skipped.get(file) ?? 0) + 1);
      countDropped(info, `skipped line: ${e.reason}`);
      continue;
    }
    last = ev.time;
    yield ev;
  }
}

function instant(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : t < 0 ? 'the beginning' : 'no end';
}

const PINNED_UNKNOWN = 'pod pinned to a node that is not live';

/**
 * FORMAT.md's rules 2 and 4: an event refers only to what exists, a uid is used once, a live node is
 * not added again. Keeps the live nodes and every uid seen (one small map entry per pod), so that a
 * duplicate uid is caught however far apart the two arrivals are.
 */
class References {
  readonly #nodes = new Set<string>();
  /** true: arrived and not ended by a pod-end; false: ended. */
  readonly #pods = new Map<string, boolean>();

  check(e: TraceEvent): (Problem & { reason: string }) | null {
    switch (e.type) {
      case 'node-add':
        return this.#nodes.has(e.node.name) ? { key: 'name', reason: 'node-add of a live node', message: `node-add of node ${JSON.stringify(e.node.name)}, which is already live (a node is added once until it is removed)` } : null;
      case 'node-remove':
      case 'node-usage':
        return this.#nodes.has(e.name) ? null : { key: 'name', reason: `${e.type} of a node that is not live`, message: `${e.type} of node ${JSON.stringify(e.name)}, which no earlier node-add made live (or it was removed)` };
      case 'pod-arrival': {
        if (this.#pods.has(e.pod.uid)) return { key: 'uid', reason: 'pod-arrival of a uid already used', message: `pod-arrival of uid ${JSON.stringify(e.pod.uid)}, which an earlier pod-arrival used (a uid is never reused)` };
        const pin = e.pod.nodeName;
        if (pin && !this.#nodes.has(pin)) return { key: 'nodeName', reason: PINNED_UNKNOWN, message: `pod ${JSON.stringify(e.pod.uid)} is pinned to node ${JSON.stringify(pin)}, which no earlier node-add made live` };
        return null;
      }
      case 'pod-end':
      case 'pod-usage': {
        const live = this.#pods.get(e.uid);
        if (live === undefined) return { key: 'uid', reason: `${e.type} of an unknown pod`, message: `${e.type} of uid ${JSON.stringify(e.uid)}, which no earlier pod-arrival introduced` };
        if (!live) return { key: 'uid', reason: `${e.type} of an ended pod`, message: `${e.type} of uid ${JSON.stringify(e.uid)}, which an earlier pod-end ended` };
        return null;
      }
      case 'app-usage':
        return null;
    }
  }

  accept(e: TraceEvent): void {
    if (e.type === 'node-add') this.#nodes.add(e.node.name);
    else if (e.type === 'node-remove') this.#nodes.delete(e.name);
    else if (e.type === 'pod-arrival') this.#pods.set(e.pod.uid, true);
    else if (e.type === 'pod-end') this.#pods.set(e.uid, false);
  }
}

class LineError extends Error {
  readonly column: number;
  /** A short cause, for the count of skipped lines by reason in lenient mode. */
  readonly reason: string;
  constructor(column: number, message: string, reason = 'malformed event') {
    super(message);
    this.column = column;
    this.reason = reason;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** 1-based column of `"key"` in the line (the first occurrence), or 1. */
function columnOf(text: string, key: string): number {
  const i = text.indexOf(`"${key}"`);
  return i === -1 ? 1 : i + 1;
}

/** Parse and validate one event line; throws LineError (with a column) when it is not a valid event. */
export function parseEventLine(text: string): TraceEvent {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw new LineError(m ? Number(m[1]) + 1 : 1, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(v)) throw new LineError(1, 'expected a JSON object (one event)');
  const problem = checkEvent(v);
  if (problem) throw new LineError(columnOf(text, problem.key), problem.message);
  return v as unknown as TraceEvent;
}

interface Problem {
  key: string;
  message: string;
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function num(o: Record<string, unknown>, key: string, path: string, min = -Infinity): Problem | null {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) return { key, message: `${path}${key}: expected a number, got ${describe(v)}` };
  if (v < min) return { key, message: `${path}${key}: must be >= ${min}, got ${v}` };
  return null;
}

function str(o: Record<string, unknown>, key: string, path: string, nonEmpty = true): Problem | null {
  const v = o[key];
  if (typeof v !== 'string') return { key, message: `${path}${key}: expected a string, got ${describe(v)}` };
  if (nonEmpty && v === '') return { key, message: `${path}${key}: must not be empty` };
  return null;
}

function bool(o: Record<string, unknown>, key: string, path: string): Problem | null {
  return typeof o[key] === 'boolean' ? null : { key, message: `${path}${key}: expected true or false, got ${describe(o[key])}` };
}

/** A nested object, or the problem with it. */
function obj(o: Record<string, unknown>, key: string, path: string): { value: Record<string, unknown> } | { problem: Problem } {
  const v = o[key];
  return isObject(v) ? { value: v } : { problem: { key, message: `${path}${key}: expected an object, got ${describe(v)}` } };
}

function resources(o: Record<string, unknown>, key: string, path: string): Problem | null {
  const r = obj(o, key, path);
  if ('problem' in r) return r.problem;
  return num(r.value, 'cpu', `${path}${key}.`, 0) ?? num(r.value, 'memory', `${path}${key}.`, 0);
}

function first(...checks: Array<() => Problem | null>): Problem | null {
  for (const c of checks) {
    const p = c();
    if (p) return p;
  }
  return null;
}

function checkNode(n: Record<string, unknown>): Problem | null {
  const p = 'node.';
  return first(
    () => str(n, 'name', p),
    () => resources(n, 'allocatable', p),
    () => num(n, 'maxPods', p, 0),
    () => {
      const l = obj(n, 'labels', p);
      if ('problem' in l) return l.problem;
      for (const [k, val] of Object.entries(l.value)) {
        if (typeof val !== 'string') return { key: k, message: `node.labels.${k}: expected a string, got ${describe(val)}` };
      }
      return null;
    },
    () => str(n, 'zone', p, false),
    () => bool(n, 'unschedulable', p),
  );
}

const CLASSES = ['online', 'batch'];

function checkPod(q: Record<string, unknown>): Problem | null {
  const p = 'pod.';
  return first(
    () => str(q, 'uid', p),
    () => str(q, 'namespace', p, false),
    () => str(q, 'name', p),
    () => (CLASSES.includes(q['class'] as string) ? null : { key: 'class', message: `pod.class: expected "online" or "batch", got ${describe(q['class'])}` }),
    () => str(q, 'app', p, false),
    () => num(q, 'priority', p),
    () => resources(q, 'requests', p),
    () => num(q, 'runtimeMs', p, 0),
    () => num(q, 'declaredRuntimeMs', p, 0),
    () => bool(q, 'checkpointable', p),
    () => str(q, 'job', p, false),
    () => (q['nodeName'] === undefined ? null : str(q, 'nodeName', p, false)),
    () => (q['createdAt'] === undefined ? null : num(q, 'createdAt', p, 0)),
    () => (q['scheduledAt'] === undefined ? null : num(q, 'scheduledAt', p, 0)),
    () =>
      q['class'] === 'batch' && q['runtimeMs'] === 0
        ? { key: 'runtimeMs', message: 'pod.runtimeMs: a batch pod needs a positive runtime' }
        : null,
  );
}

function checkEvent(e: Record<string, unknown>): Problem | null {
  const t = num(e, 'time', '', 0);
  if (t) return t;
  if ((e['time'] as number) > MAX_TIME) return { key: 'time', message: `time: ${e['time']} is not an instant (ms since 1970; at most ${MAX_TIME}, the year 275760)` };
  switch (e['type']) {
    case 'node-add': {
      const n = obj(e, 'node', '');
      return 'problem' in n ? n.problem : checkNode(n.value);
    }
    case 'node-remove':
      return str(e, 'name', '');
    case 'pod-arrival': {
      const q = obj(e, 'pod', '');
      return 'problem' in q ? q.problem : checkPod(q.value);
    }
    case 'pod-end':
      return str(e, 'uid', '');
    case 'pod-usage':
      return str(e, 'uid', '') ?? num(e, 'cpu', '', 0) ?? num(e, 'memory', '', 0);
    case 'app-usage':
      return str(e, 'app', '', false) ?? num(e, 'cpu', '', 0) ?? num(e, 'memory', '', 0);
    case 'node-usage':
      return str(e, 'name', '') ?? num(e, 'cpu', '', 0) ?? num(e, 'memory', '', 0);
    default:
      return {
        key: 'type',
        message: `type: expected one of node-add, node-remove, pod-arrival, pod-end, pod-usage, app-usage, node-usage, got ${describe(e['type'])}`,
      };
  }
}

/**
 * One event as its line, with keys in a fixed order (the order of events.ts), so that equal events
 * always serialise to identical bytes whatever order their object was built in.
 */
export function serializeEvent(e: TraceEvent): string {
  switch (e.type) {
    case 'node-add': {
      const n = e.node;
      const node = {
        name: n.name,
        allocatable: { cpu: n.allocatable.cpu, memory: n.allocatable.memory },
        maxPods: n.maxPods,
        labels: n.labels,
        zone: n.zone,
        unschedulable: n.unschedulable,
      };
      return JSON.stringify({ type: e.type, time: e.time, node });
    }
    case 'node-remove':
      return JSON.stringify({ type: e.type, time: e.time, name: e.name });
    case 'pod-arrival':
      return JSON.stringify({ type: e.type, time: e.time, pod: orderedPod(e.pod) });
    case 'pod-end':
      return JSON.stringify({ type: e.type, time: e.time, uid: e.uid });
    case 'pod-usage':
      return JSON.stringify({ type: e.type, time: e.time, uid: e.uid, cpu: e.cpu, memory: e.memory });
    case 'app-usage':
      return JSON.stringify({ type: e.type, time: e.time, app: e.app, cpu: e.cpu, memory: e.memory });
    case 'node-usage':
      return JSON.stringify({ type: e.type, time: e.time, name: e.name, cpu: e.cpu, memory: e.memory });
  }
}

function orderedPod(p: TracePod): TracePod {
  const o: TracePod = {
    uid: p.uid,
    namespace: p.namespace,
    name: p.name,
    class: p.class,
    app: p.app,
    priority: p.priority,
    requests: { cpu: p.requests.cpu, memory: p.requests.memory },
    runtimeMs: p.runtimeMs,
    declaredRuntimeMs: p.declaredRuntimeMs,
    checkpointable: p.checkpointable,
    job: p.job,
  };
  if (p.nodeName) o.nodeName = p.nodeName;
  if (p.createdAt !== undefined) o.createdAt = p.createdAt;
  if (p.scheduledAt !== undefined) o.scheduledAt = p.scheduledAt;
  return o;
}

export interface WriteOptions {
  /** Write the header line (default true). */
  header?: boolean;
  /** Extra header fields, e.g. the generator and its options, to make the file reproducible. */
  meta?: Record<string, unknown>;
  /** Refuse out-of-order events (default true): a file this writer produced always reads back. */
  checkOrder?: boolean;
}

/**
 * Stream a trace to a JSON Lines file (gzip-compressed when the name ends in .gz). Returns the
 * number of events written. On failure the partial file is removed.
 */
export async function writeTrace(trace: Trace, file: string, options: WriteOptions = {}): Promise<number> {
  const w = new LineWriter(file);
  let n = 0;
  try {
    if (options.header ?? true) {
      const h: TidalHeader = { format: TIDAL_FORMAT, version: TIDAL_VERSION };
      if (trace.info.start !== undefined) h.start = trace.info.start;
      if (trace.info.end !== undefined) h.end = trace.info.end;
      h.source = trace.info.source;
      Object.assign(h, options.meta ?? {}, { format: TIDAL_FORMAT, version: TIDAL_VERSION });
      await w.write(JSON.stringify(h));
    }
    const check = options.checkOrder ?? true;
    let last = -Infinity;
    for await (const e of trace.events()) {
      if (check && e.time < last) throw new Error(`writeTrace: event ${n + 1} (${e.type}) at ${e.time} is earlier than the previous one at ${last}`);
      last = e.time;
      const flushing = w.write(serializeEvent(e));
      if (flushing) await flushing;
      n++;
    }
    await w.close();
    return n;
  } catch (e) {
    await w.abort();
    await unlink(file).catch(() => {});
    throw e;
  }
}

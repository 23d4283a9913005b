// Trace events in batches for the worker threads of a parallel replay (run.ts): the main thread reads
// and parses the trace once and encodes each batch of events into two SharedArrayBuffers, which are
// posted to every worker without a copy (a SharedArrayBuffer is shared, not cloned). Per event
// nothing is structured-cloned.
//
// A batch is
//   nums  Float64Array: per event a type code, the time and the event's fields in a fixed order;
//         numbers are stored as they are (a float64 holds every JS number exactly), booleans as 0/1,
//         and each string as a reference (below);
//   text  Uint8Array: the UTF-8 of the batch's new strings, concatenated in the order they are
//         referenced; nums gives each one's length in UTF-16 units, so the decoder decodes the whole
//         text once and slices it.
// A string reference in nums is either k >= 0, the k-th interned string (sent once, in an earlier
// batch or earlier in this one), or NEW (-2) / INLINE (-1) followed by the string's length: the next
// string from text, which the decoder interns (NEW) or uses once (INLINE). Strings that repeat
// (namespaces, apps, jobs, node names, label keys and values) are interned, up to MAX_INTERNED of
// them; a pod's uid and name, which appear once or twice per pod, are sent inline so that the
// intern tables do not grow with the number of pods.
//
// Every worker receives every batch in order, so the encoder's intern table and each decoder's
// stay the same. The round trip is exact for the fields the engine reads (events.ts); optional
// fields keep their presence (an absent nodeName stays absent).

import type { NodeInfo, NodeTaint } from '../../../scheduler/core/model.ts';
import type { TraceEvent, TracePod } from '../../traces/events.ts';

const INLINE = -1;
const NEW = -2;
/** Strings interned at most; later new strings are sent inline (bounds both sides' tables). */
export const MAX_INTERNED = 1 << 20;

const TYPE_CODE = { 'node-add': 0, 'node-remove': 1, 'pod-arrival': 2, 'pod-end': 3, 'pod-usage': 4, 'app-usage': 5, 'node-usage': 6 } as const;
const CLASSES = ['online', 'batch'] as const;

export interface EncodedBatch {
  /** Events in the batch. */
  count: number;
  nums: Float64Array;
  text: Uint8Array;
}

/** A growable float64 buffer (plain array pushes cost several times as much per event). */
class Numbers {
  buf = new Float64Array(1 << 14);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) this.#grow();
    this.buf[this.length++] = v;
  }

  push2(a: number, b: number): void {
    if (this.length + 2 > this.buf.length) this.#grow();
    this.buf[this.length++] = a;
    this.buf[this.length++] = b;
  }

  #grow(): void {
    const next = new Float64Array(this.buf.length * 2);
    next.set(this.buf);
    this.buf = next;
  }
}

export class BatchEncoder {
  readonly #ids = new Map<string, number>();
  readonly #nums = new Numbers();
  #strings: string[] = [];
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Numbers buffered (a batch's size in float64s, for flushing by size). */
  get size(): number {
    return this.#nums.length;
  }

  add(e: TraceEvent): void {
    const n = this.#nums;
    n.push2(TYPE_CODE[e.type], e.time);
    switch (e.type) {
      case 'node-add':
        this.#node(e.node);
        break;
      case 'node-remove':
        this.#str(e.name);
        break;
      case 'pod-arrival':
        this.#pod(e.pod);
        break;
      case 'pod-end':
        this.#inline(e.uid);
        break;
      case 'pod-usage':
        this.#inline(e.uid);
        n.push2(e.cpu, e.memory);
        break;
      case 'app-usage':
        this.#str(e.app);
        n.push2(e.cpu, e.memory);
        break;
      case 'node-usage':
        this.#str(e.name);
        n.push2(e.cpu, e.memory);
        break;
      default:
        throw new Error(`cannot encode trace event of type ${(e as { type: string }).type}`);
    }
    this.#count++;
  }

  /** The buffered events as a batch in shared memory; the encoder starts a new batch. */
  flush(): EncodedBatch {
    const nums = new Float64Array(new SharedArrayBuffer(this.#nums.length * 8));
    nums.set(this.#nums.buf.subarray(0, this.#nums.length));
    const joined = this.#strings.join('');
    const bytes = Buffer.byteLength(joined, 'utf8');
    const text = new Uint8Array(new SharedArrayBuffer(bytes));
    if (bytes > 0) Buffer.from(text.buffer, 0, bytes).write(joined, 'utf8');
    const batch = { count: this.#count, nums, text };
    this.#nums.length = 0;
    this.#strings = [];
    this.#count = 0;
    return batch;
  }

  #node(node: NodeInfo): void {
    const n = this.#nums;
    this.#str(node.name);
    n.push2(node.allocatable.cpu, node.allocatable.memory);
    n.push(node.maxPods);
    this.#str(node.zone);
    n.push(node.unschedulable ? 1 : 0);
    const labels = Object.entries(node.labels);
    n.push(labels.length);
    for (const [k, v] of labels) {
      this.#str(k);
      this.#str(v);
    }
    if (node.taints === undefined) n.push(-1);
    else {
      n.push(node.taints.length);
      for (const t of node.taints) {
        this.#str(t.key);
        this.#str(t.value);
        this.#str(t.effect);
      }
    }
  }

  #pod(p: TracePod): void {
    const n = this.#nums;
    this.#inline(p.uid);
    this.#str(p.namespace);
    this.#inline(p.name);
    const cls = CLASSES.indexOf(p.class);
    if (cls < 0) throw new Error(`cannot encode pod ${p.uid}: class ${p.class}`);
    n.push(cls);
    this.#str(p.app);
    n.push2(p.priority, p.requests.cpu);
    n.push2(p.requests.memory, p.runtimeMs);
    n.push2(p.declaredRuntimeMs, p.checkpointable ? 1 : 0);
    this.#str(p.job);
    const flags = (p.nodeName !== undefined ? 1 : 0) | (p.createdAt !== undefined ? 2 : 0);
    n.push(flags);
    if (p.nodeName !== undefined) this.#str(p.nodeName);
    if (p.createdAt !== undefined) n.push(p.createdAt);
  }

  #str(s: string): void {
    const id = this.#ids.get(s);
    if (id !== undefined) {
      this.#nums.push(id);
      return;
    }
    if (this.#ids.size >= MAX_INTERNED) return this.#inline(s);
    this.#ids.set(s, this.#ids.size);
    this.#nums.push2(NEW, s.length);
    this.#strings.push(s);
  }

  #inline(s: string): void {
    this.#nums.push2(INLINE, s.length);
    this.#strings.push(s);
  }
}

export class BatchDecoder {
  readonly #table: string[] = [];

  decode(batch: EncodedBatch): TraceEvent[] {
    const n = batch.nums;
    const text = batch.text.length > 0 ? Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength).toString('utf8') : '';
    const table = this.#table;
    let i = 0;
    let at = 0;
    const str = (): string => {
      const r = n[i++]!;
      if (r >= 0) return table[r]!;
      const len = n[i++]!;
      const s = text.slice(at, at + len);
      at += len;
      if (r === NEW) table.push(s);
      return s;
    };
    const out: TraceEvent[] = new Array(batch.count);
    for (let k = 0; k < batch.count; k++) {
      const code = n[i++]!;
      const time = n[i++]!;
      switch (code) {
        case 0: {
          const name = str();
          const allocatable = { cpu: n[i++]!, memory: n[i++]! };
          const maxPods = n[i++]!;
          const zone = str();
          const unschedulable = n[i++] === 1;
          const labels: Record<string, string> = {};
          const nl = n[i++]!;
          for (let j = 0; j < nl; j++) {
            const key = str();
            labels[key] = str();
          }
          const node: NodeInfo = { name, allocatable, maxPods, labels, zone, unschedulable };
          const nt = n[i++]!;
          if (nt >= 0) {
            const taints: NodeTaint[] = [];
            for (let j = 0; j < nt; j++) taints.push({ key: str(), value: str(), effect: str() as NodeTaint['effect'] });
            node.taints = taints;
          }
          out[k] = { type: 'node-add', time, node };
          break;
        }
        case 1:
          out[k] = { type: 'node-remove', time, name: str() };
          break;
        case 2: {
          const uid = str();
          const namespace = str();
          const name = str();
          const cls = CLASSES[n[i++]!]!;
          const app = str();
          const priority = n[i++]!;
          const requests = { cpu: n[i++]!, memory: n[i++]! };
          const runtimeMs = n[i++]!;
          const declaredRuntimeMs = n[i++]!;
          const checkpointable = n[i++] === 1;
          const job = str();
          const pod: TracePod = { uid, namespace, name, class: cls, app, priority, requests, runtimeMs, declaredRuntimeMs, checkpointable, job };
          const flags = n[i++]!;
          if (flags & 1) pod.nodeName = str();
          if (flags & 2) pod.createdAt = n[i++]!;
          out[k] = { type: 'pod-arrival', time, pod };
          break;
        }
        case 3:
          out[k] = { type: 'pod-end', time, uid: str() };
          break;
        case 4: {
          const uid = str();
          out[k] = { type: 'pod-usage', time, uid, cpu: n[i++]!, memory: n[i++]! };
          break;
        }
        case 5: {
          const app = str();
          out[k] = { type: 'app-usage', time, app, cpu: n[i++]!, memory: n[i++]! };
          break;
        }
        case 6: {
          const name = str();
          out[k] = { type: 'node-usage', time, name, cpu: n[i++]!, memory: n[i++]! };
          break;
        }
        default:
          throw new Error(`corrupt trace batch: event type code ${code} at ${i - 2}`);
      }
    }
    if (i !== n.length || at !== text.length) throw new Error(`corrupt trace batch: ${n.length - i} numbers and ${text.length - at} characters left over`);
    return out;
  }
}

// Ordering tools for streams too large to hold: a binary heap, a k-way merge of sorted async
// streams, and a bounded-memory external merge sort (sorted runs spilled to temporary files, merged
// with a small heap, in several passes when there are more runs than the fan-in allows).

import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLineChunks } from './lines.ts';

export type Compare<T> = (a: T, b: T) => number;

/** A binary min-heap under `compare`. */
export class Heap<T> {
  private readonly items: T[] = [];
  private readonly compare: Compare<T>;

  constructor(compare: Compare<T>) {
    this.compare = compare;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.compare(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Replace the top with x (cheaper than pop + push). */
  replaceTop(x: T): void {
    this.items[0] = x;
    this.siftDown(0);
  }

  private siftDown(i: number): void {
    const a = this.items;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.compare(a[r]!, a[l]!) < 0 ? r : l;
      if (this.compare(a[c]!, a[i]!) >= 0) return;
      [a[i], a[c]] = [a[c]!, a[i]!];
      i = c;
    }
  }
}

/** Items flow between stages in arrays of up to this many: one await per batch, not per item. */
export const BATCH = 4096;

/** Group a stream of items into batches. */
export async function* batched<T>(src: AsyncIterable<T> | Iterable<T>, size = BATCH): AsyncGenerator<T[]> {
  let out: T[] = [];
  for await (const x of src) {
    out.push(x);
    if (out.length >= size) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

/** Flatten a stream of batches. */
export async function* flatten<T>(src: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const b of src) for (const x of b) yield x;
}

/** Reads a stream of batches item by item, awaiting only when a batch runs out. */
export class BatchCursor<T> {
  private buf: T[] = [];
  private i = 0;
  private done = false;
  private readonly it: AsyncIterator<T[]>;

  constructor(src: AsyncIterable<T[]>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** The current item (after fill()), undefined at the end. */
  get value(): T | undefined {
    return this.done ? undefined : this.buf[this.i];
  }

  /** Make value current: reads batches until one is non-empty or the stream ends. */
  async fill(): Promise<void> {
    while (!this.done && this.i >= this.buf.length) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        this.buf = r.value;
        this.i = 0;
      }
    }
  }

  /** Step to the next item; true when it is already in memory (no fill() needed). */
  step(): boolean {
    this.i++;
    return this.i < this.buf.length;
  }

  async close(): Promise<void> {
    await this.it.return?.(undefined);
  }
}

interface Head<T> {
  cursor: BatchCursor<T>;
  source: number;
}

/**
 * Merge batch streams, each sorted under `compare`, into one sorted batch stream. Ties go to the
 * earlier source, so merging the consecutive parts of a stably sorted sequence is stable. Sources
 * are opened one after another (not concurrently), and all are closed when the consumer stops
 * early or fails.
 */
export async function* mergeSortedBatches<T>(sources: ReadonlyArray<AsyncIterable<T[]>>, compare: Compare<T>): AsyncGenerator<T[]> {
  const heap = new Heap<Head<T>>((a, b) => compare(a.cursor.value!, b.cursor.value!) || a.source - b.source);
  const cursors = sources.map((s) => new BatchCursor(s));
  try {
    for (let i = 0; i < cursors.length; i++) {
      await cursors[i]!.fill();
      if (cursors[i]!.value !== undefined) heap.push({ cursor: cursors[i]!, source: i });
    }
    let out: T[] = [];
    while (heap.size > 0) {
      const top = heap.peek()!;
      out.push(top.cursor.value!);
      if (!top.cursor.step()) await top.cursor.fill();
      if (top.cursor.value === undefined) heap.pop();
      else heap.replaceTop(top);
      if (out.length >= BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    for (const c of cursors) await c.close();
  }
}

/** mergeSortedBatches for item streams. */
export function mergeSorted<T>(sources: ReadonlyArray<AsyncIterable<T> | Iterable<T>>, compare: Compare<T>): AsyncGenerator<T> {
  return flatten(mergeSortedBatches(sources.map((s) => batched(s)), compare));
}

export interface SortOptions<T> {
  compare: Compare<T>;
  /** Items held in memory at once (one run); default 200,000. */
  runSize?: number;
  /** Runs merged at once; more runs are first merged in groups into longer runs. Default 64. */
  maxFanIn?: number;
  /** Where the temporary folder goes (default os.tmpdir()); it is removed when the sort ends, fails or is abandoned. */
  tmpDir?: string;
  /** Line codec for spilled items (default JSON); encodings must be non-empty and contain no newline. */
  encode?: (x: T) => string;
  decode?: (s: string) => T;
}

const jsonEncode = (x: unknown): string => JSON.stringify(x);
const jsonDecode = (s: string): unknown => JSON.parse(s);

/**
 * Sort a stream stably in bounded memory. Input that fits in one run is sorted in memory and never
 * touches the disk; otherwise runs of `runSize` items are sorted and spilled, then merged.
 */
export async function* externalSortBatches<T>(input: AsyncIterable<T[]>, options: SortOptions<T>): AsyncGenerator<T[]> {
  const { compare } = options;
  const runSize = Math.max(1, options.runSize ?? 200_000);
  const maxFanIn = Math.max(2, options.maxFanIn ?? 64);
  const encode = options.encode ?? (jsonEncode as (x: T) => string);
  const decode = options.decode ?? (jsonDecode as (s: string) => T);
  let dir: string | null = null;
  let nextRun = 0;
  try {
    let buf: T[] = [];
    let runs: string[] = [];
    const spill = async (items: T[]): Promise<void> => {
      dir ??= await mkdtemp(join(options.tmpDir ?? tmpdir(), 'tidal-sort-'));
      items.sort(compare);
      const file = join(dir, `run-${nextRun++}`);
      await writeRun(file, items, encode);
      runs.push(file);
    };
    for await (const chunk of input) {
      for (const x of chunk) {
        buf.push(x);
        if (buf.length >= runSize) {
          const full = buf;
          buf = [];
          await spill(full);
        }
      }
    }
    if (runs.length === 0) {
      buf.sort(compare);
      for (let i = 0; i < buf.length; i += BATCH) yield buf.slice(i, i + BATCH);
      return;
    }
    if (buf.length > 0) await spill(buf);
    buf = [];
    while (runs.length > maxFanIn) {
      const next: string[] = [];
      for (let i = 0; i < runs.length; i += maxFanIn) {
        const group = runs.slice(i, i + maxFanIn);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        const file = join(dir!, `run-${nextRun++}`);
        await writeRunStream(file, mergeSortedBatches(group.map((f) => readRun(f, decode)), compare), encode);
        for (const f of group) await unlink(f);
        next.push(file);
      }
      runs = next;
    }
    yield* mergeSortedBatches(runs.map((f) => readRun(f, decode)), compare);
  } finally {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}

/** externalSortBatches for item streams. */
export function externalSort<T>(input: AsyncIterable<T> | Iterable<T>, options: SortOptions<T>): AsyncGenerator<T> {
  return flatten(externalSortBatches(batched(input), options));
}

async function writeRun<T>(file: string, items: readonly T[], encode: (x: T) => string): Promise<void> {
  // Written in slices so that a run never becomes one giant string.
  const SLICE = 20_000;
  const fh = await open(file, 'w');
  try {
    for (let i = 0; i < items.length; i += SLICE) {
      let text = '';
      const end = Math.min(items.length, i + SLICE);
      for (let j = i; j < end; j++) text += encode(items[j]!) + '\n';
      await fh.write(text);
    }
  } finally {
    await fh.close();
  }
}

async function writeRunStream<T>(file: string, batches: AsyncIterable<T[]>, encode: (x: T) => string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    let text = '';
    for await (const b of batches) {
      for (const x of b) text += encode(x) + '\n';
      if (text.length >= 1 << 20) {
        await fh.write(text);
        text = '';
      }
    }
    if (text) await fh.write(text);
  } finally {
    await fh.close();
  }
}

async function* readRun<T>(file: string, decode: (s: string) => T): AsyncGenerator<T[]> {
  for await (const lines of readLineChunks(file)) {
    const out: T[] = [];
    for (const line of lines) if (line !== '') out.push(decode(line));
    if (out.length > 0) yield out;
  }
}

// Line-by-line reading and writing of text files, streamed (memory does not grow with file size).
// Files whose name ends in .gz are (de)compressed on the fly.

import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';

const CHUNK = 1 << 20;

function openRead(file: string): Readable {
  const raw = createReadStream(file, { highWaterMark: CHUNK });
  if (!file.endsWith('.gz')) return raw;
  // pipeline destroys the whole chain on an error in any part, so the iterator below rejects.
  return pipeline(raw, createGunzip(), () => {});
}

/**
 * The lines of a file without their terminators ("\n" or "\r\n"), in order, a chunk (an array of
 * lines, ~1 MiB of text) at a time: one await per chunk rather than per line keeps the per-line
 * cost of async iteration out of large tables. Empty lines are kept, so that callers counting lines
 * get the right 1-based line numbers.
 */
export async function* readLineChunks(file: string): AsyncGenerator<string[]> {
  const input = openRead(file);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lines = 0;
  const chunks = input[Symbol.asyncIterator]();
  // Errors of the stream (a truncated or non-gzip .gz, a missing file) name the file and the line
  // reached; errors of the consumer (thrown into this generator) pass through untouched.
  const next = async (): Promise<IteratorResult<unknown>> => {
    try {
      return await chunks.next();
    } catch (e) {
      throw new Error(readError(file, lines + 1, e as NodeJS.ErrnoException), { cause: e });
    }
  };
  try {
    for (let r = await next(); !r.done; r = await next()) {
      const chunk = r.value;
      const s = rest + decoder.write(chunk as Buffer);
      const out: string[] = [];
      let from = 0;
      for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', from)) {
        const end = i > from && s.charCodeAt(i - 1) === 13 ? i - 1 : i;
        out.push(s.slice(from, end));
        from = i + 1;
      }
      rest = s.slice(from);
      if (out.length > 0) {
        lines += out.length;
        yield out;
      }
    }
    rest += decoder.end();
    if (rest.length > 0) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
  } finally {
    input.destroy();
  }
}

function readError(file: string, line: number, e: NodeJS.ErrnoException): string {
  const gz = file.endsWith('.gz');
  if (e.code === 'ENOENT') return `${file}: no such file`;
  if (e.code === 'EISDIR') return `${file}: is a folder, not a file`;
  if (e.code === 'EACCES') return `${file}: permission denied`;
  if (gz && e.code === 'Z_BUF_ERROR') return `${file}:${line}: the gzip stream ends early (a truncated file?)`;
  if (gz && e.code === 'Z_DATA_ERROR') return `${file}:${line}: not a valid gzip stream (${e.message}); a .gz name needs gzip content`;
  return `${file}:${line}: cannot read: ${e.message}`;
}

/** The lines of a file one by one (see readLineChunks). */
export async function* readLines(file: string): AsyncGenerator<string> {
  for await (const lines of readLineChunks(file)) yield* lines;
}

/** Buffered line writer with backpressure; `.gz` files are gzip-compressed. */
export class LineWriter {
  private readonly out: Writable;
  private readonly sink: Writable;
  private buf: string[] = [];
  private bufLen = 0;
  private failure: Error | null = null;
  private readonly done: Promise<void>;

  constructor(file: string) {
    this.sink = createWriteStream(file);
    if (file.endsWith('.gz')) {
      const gz = createGzip();
      this.out = gz;
      this.done = new Promise((resolve, reject) => {
        pipeline(gz, this.sink, (err) => (err ? reject(err) : resolve()));
      });
    } else {
      this.out = this.sink;
      this.done = new Promise((resolve, reject) => {
        this.sink.on('finish', () => resolve());
        this.sink.on('error', reject);
      });
    }
    this.done.catch((e: Error) => {
      this.failure = e;
    });
  }

  /** Buffer a line; returns a promise (to await) only when the buffer was flushed to the stream. */
  write(line: string): Promise<void> | undefined {
    this.buf.push(line);
    this.bufLen += line.length + 1;
    return this.bufLen >= CHUNK ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.bufLen = 0;
    if (!this.out.write(text)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.out.off('error', onError);
          resolve();
        };
        const onError = (e: Error) => {
          this.out.off('drain', onDrain);
          reject(e);
        };
        this.out.once('drain', onDrain);
        this.out.once('error', onError);
      });
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await this.done;
  }

  /** Abandon the file (on error) once its stream is closed; the caller removes it if it wants. */
  async abort(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (this.sink.closed) resolve();
      else this.sink.once('close', () => resolve());
    });
    this.out.destroy();
    this.sink.destroy();
    await closed;
  }
}

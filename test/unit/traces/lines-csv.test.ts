import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isTimeOrdered, readTable, Row, RowError, splitCsv } from '../../../simulator/traces/csv.ts';
import { TraceError } from '../../../simulator/traces/events.ts';
import { readLines } from '../../../simulator/traces/lines.ts';
import { collect, tempDir } from './helpers.ts';

describe('readLines', () => {
  it('splits LF and CRLF lines, keeps empty ones, handles a last line without newline', async () => {
    const d = await tempDir();
    const f = join(d, 'a.txt');
    await writeFile(f, 'a\r\nb\n\nc');
    expect(await collect(readLines(f))).toEqual(['a', 'b', '', 'c']);
  });

  it('reads .gz files and multi-byte characters across chunk boundaries', async () => {
    const d = await tempDir();
    const f = join(d, 'a.txt.gz');
    const text = Array.from({ length: 50_000 }, (_, i) => `行${i},é`).join('\n');
    await writeFile(f, gzipSync(text));
    const lines = await collect(readLines(f));
    expect(lines.length).toBe(50_000);
    expect(lines[49_999]).toBe('行49999,é');
  });

  it('rejects for a missing file', async () => {
    await expect(collect(readLines('/nonexistent/x.csv'))).rejects.toThrow('/nonexistent/x.csv: no such file');
    await expect(collect(readLines('/nonexistent/x.csv.gz'))).rejects.toThrow('/nonexistent/x.csv.gz: no such file');
  });
});

describe('splitCsv', () => {
  it('splits plain and quoted fields', () => {
    expect(splitCsv('a,,b')).toEqual(['a', '', 'b']);
    expect(splitCsv('"a,b",c,"say ""hi"""')).toEqual(['a,b', 'c', 'say "hi"']);
    expect(splitCsv('x,""')).toEqual(['x', '']);
  });

  it('reports an unterminated quote with its column', () => {
    try {
      splitCsv('a,"b');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RowError);
      expect((e as RowError).column).toBe(2);
    }
  });
});

describe('Row.num', () => {
  const row = new Row();
  row.names = ['a', 'b', 'c', 'd', 'e'];
  row.fields = ['12.5', '', '-1', '101', 'abc'];

  it('reads numbers and treats empty, -1 and 101 as missing where the schema says so', () => {
    expect(row.num(1)).toBe(12.5);
    expect(row.num(2)).toBeUndefined();
    expect(row.num(3)).toBeUndefined();
    expect(row.num(4)).toBeUndefined();
    expect(row.num(4, 'neg1')).toBe(101);
    expect(row.num(3, 'none')).toBe(-1);
  });

  it('names column and value of a non-number', () => {
    expect(() => row.num(5)).toThrow("column 5 e: expected a number, got 'abc'");
  });
});

describe('readTable', () => {
  const spec = { columns: ['id', 'time', 'value'], minColumns: 3, timeColumn: 2 };
  const parse = (r: Row) => ({ id: r.str(1), t: r.num(2, 'none'), v: r.num(3) });

  it('skips a header line and blank lines', async () => {
    const d = await tempDir();
    const f = join(d, 't.csv');
    await writeFile(f, 'id,time,value\na,1,2\n\nb,2,3\n');
    const rows = await collect(readTable(f, spec, { strict: true, skipped: new Map() }, parse));
    expect(rows).toEqual([
      { id: 'a', t: 1, v: 2 },
      { id: 'b', t: 2, v: 3 },
    ]);
  });

  it('strict: throws TraceError with file, line and column', async () => {
    const d = await tempDir();
    const f = join(d, 't.csv');
    await writeFile(f, 'a,1,2\nb,2,x\n');
    const err = await collect(readTable(f, spec, { strict: true, skipped: new Map() }, parse)).catch((e) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect(err).toMatchObject({ file: f, line: 2, column: 3 });
    expect(err.message).toBe(`${f}:2:3: column 3 value: expected a number, got 'x'`);
  });

  it('strict: a short row names the first missing column', async () => {
    const d = await tempDir();
    const f = join(d, 't.csv');
    await writeFile(f, 'a,1\n');
    const err = await collect(readTable(f, spec, { strict: true, skipped: new Map() }, parse)).catch((e) => e);
    expect(err).toMatchObject({ line: 1, column: 3 });
    expect(err.message).toMatch(/expected 3 columns \(id,time,value\), got 2/);
  });

  it('lenient: skips bad rows and counts them per file', async () => {
    const d = await tempDir();
    const f = join(d, 't.csv');
    await writeFile(f, 'a,1,2\nb,2,x\nc\nd,3,4\n');
    const mode = { strict: false, skipped: new Map<string, number>() };
    const rows = await collect(readTable(f, spec, mode, parse));
    expect(rows.map((r) => r.id)).toEqual(['a', 'd']);
    expect(mode.skipped.get(f)).toBe(2);
  });
});

describe('isTimeOrdered', () => {
  it('tells ordered from unordered tables by the time column', async () => {
    const d = await tempDir();
    const a = join(d, 'a.csv');
    const b = join(d, 'b.csv');
    await writeFile(a, 'h,time\nm1,1\nm2,1\nm1,5\nm3,\n');
    await writeFile(b, 'm1,1\nm1,5\nm2,2\n');
    expect(await isTimeOrdered(a, 2)).toBe(true);
    expect(await isTimeOrdered(b, 2)).toBe(false);
  });
});

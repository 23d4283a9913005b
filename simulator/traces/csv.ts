// Headerless CSV tables as the Alibaba traces ship them: one row a line, comma-separated, no quoting
// in practice (quoted fields are still understood, on one line). Rows are parsed column by column so
// that a bad value is reported with its 1-based line and column; invalid-value markers of the trace
// schema (empty, -1, 101) read as "missing", which is not an error.

import { readLineChunks } from './lines.ts';
import { TraceError } from './events.ts';

/** A bad value in a row; the table reader turns it into a TraceError (strict) or a skip (lenient). */
export class RowError extends Error {
  readonly column: number;
  constructor(column: number, message: string) {
    super(message);
    this.name = 'RowError';
    this.column = column;
  }
}

/** Split one CSV line. Fields may be quoted ("a,b" and "" for a quote); quotes never span lines. */
export function splitCsv(line: string): string[] {
  if (line.indexOf('"') === -1) return line.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) throw new RowError(out.length + 1, 'unterminated quoted field');
        v += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      if (j < line.length && line.charCodeAt(j) !== 44) {
        throw new RowError(out.length + 1, 'unexpected text after a quoted field');
      }
      out.push(v);
      if (j >= line.length) return out;
      i = j + 1;
    } else {
      const c = line.indexOf(',', i);
      if (c === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

/** How a numeric column marks invalid values (besides the empty field, always "missing"). */
export type Invalid = 'none' | 'neg1' | 'neg1-101';

/** Typed access to one row's fields; column numbers are 1-based as in error messages. */
export class Row {
  fields: string[] = [];
  names: readonly string[] = [];

  private label(col: number): string {
    return `column ${col} ${this.names[col - 1] ?? ''}`.trimEnd();
  }

  /** The raw field, trimmed; "" when absent. */
  str(col: number): string {
    const v = this.fields[col - 1];
    return v === undefined ? '' : v.trim();
  }

  /** A number, or undefined when the field is empty or holds an invalid-value marker. */
  num(col: number, invalid: Invalid = 'neg1-101'): number | undefined {
    const s = this.str(col);
    if (s === '') return undefined;
    const v = Number(s);
    if (!Number.isFinite(v)) {
      throw new RowError(col, `${this.label(col)}: expected a number, got '${s}'`);
    }
    if (invalid !== 'none' && v === -1) return undefined;
    if (invalid === 'neg1-101' && v === 101) return undefined;
    return v;
  }
}

export interface TableSpec {
  /** Column names in schema order (for messages); rows need at least `minColumns` of them. */
  columns: readonly string[];
  minColumns: number;
  /** 1-based column holding the row's time: a first line whose time is not a number is a header. */
  timeColumn: number;
}

export interface SkipCounter {
  strict: boolean;
  skipped: Map<string, number>;
}

/**
 * Parse every row of a table with `parse`, a batch (one chunk of lines) at a time; rows for which
 * it returns null are dropped silently (missing values), rows that throw RowError fail the read
 * (strict) or are counted in `skipped` (lenient). A first line that is a header (a non-numeric time
 * column) is ignored.
 */
export async function* readTableBatches<T>(
  file: string,
  spec: TableSpec,
  mode: SkipCounter,
  parse: (row: Row, line: number) => T | null,
): AsyncGenerator<T[]> {
  const row = new Row();
  row.names = spec.columns;
  let line = 0;
  for await (const chunk of readLineChunks(file)) {
    const out: T[] = [];
    for (const text of chunk) {
      line++;
      if (text === '' || text.trim() === '') continue;
      let v: T | null;
      try {
        row.fields = splitCsv(text);
        if (line === 1 && isHeader(row, spec.timeColumn)) continue;
        if (row.fields.length < spec.minColumns) {
          throw new RowError(
            row.fields.length + 1,
            `expected ${spec.minColumns} columns (${spec.columns.slice(0, spec.minColumns).join(',')}), got ${row.fields.length}`,
          );
        }
        v = parse(row, line);
      } catch (e) {
        if (!(e instanceof RowError)) throw e;
        if (mode.strict) throw new TraceError(file, line, e.column, e.message);
        mode.skipped.set(file, (mode.skipped.get(file) ?? 0) + 1);
        continue;
      }
      if (v !== null) out.push(v);
    }
    if (out.length > 0) yield out;
  }
}

/** readTableBatches, row by row. */
export async function* readTable<T>(file: string, spec: TableSpec, mode: SkipCounter, parse: (row: Row, line: number) => T | null): AsyncGenerator<T> {
  for await (const b of readTableBatches(file, spec, mode, parse)) yield* b;
}

/**
 * A header: a non-numeric time and at least half the cells column-name-like words (letters,
 * underscores, spaces). A data row with one bad time (ins_1,M1,j_1,1,Terminated,abc,...) is not a
 * header: it is a bad row, counted or refused, not dropped unseen.
 */
function isHeader(row: Row, timeColumn: number): boolean {
  const s = row.str(timeColumn);
  if (s === '' || Number.isFinite(Number(s)) || !/[a-z]/i.test(s)) return false;
  const words = row.fields.filter((f) => /^\s*"?[a-z_ ]+"?\s*$/i.test(f)).length;
  return words * 2 >= row.fields.length;
}

/**
 * True when the table's time column never decreases (rows with an unreadable time are ignored here;
 * the real pass reports them). Stops at the first decrease, so an unordered table costs little.
 */
export async function isTimeOrdered(file: string, timeColumn: number): Promise<boolean> {
  let prev = -Infinity;
  for await (const chunk of readLineChunks(file)) {
    for (const text of chunk) {
      const t = timeOf(text, timeColumn);
      if (t === undefined) continue;
      if (t < prev) return false;
      prev = t;
    }
  }
  return true;
}

/** The number in a line's time column, or undefined when it has none (headers, bad rows). */
function timeOf(text: string, timeColumn: number): number | undefined {
  let s: string;
  if (text.indexOf('"') !== -1) {
    try {
      s = (splitCsv(text)[timeColumn - 1] ?? '').trim();
    } catch {
      return undefined;
    }
  } else {
    let from = 0;
    for (let c = 1; c < timeColumn && from !== -1; c++) {
      from = text.indexOf(',', from);
      if (from !== -1) from++;
    }
    if (from === -1) return undefined;
    const to = text.indexOf(',', from);
    s = (to === -1 ? text.slice(from) : text.slice(from, to)).trim();
  }
  if (s === '') return undefined;
  const t = Number(s);
  return Number.isFinite(t) ? t : undefined;
}

// The trace input layer's public face: open any supported trace by path, or use a reader directly.
//   readAlibaba2018(folder | files, options)   cluster-trace-v2018 CSV tables
//   readAlibaba2017(folder | files, options)   cluster-trace-v2017 CSV tables
//   readTidalTrace(file, options)              Tidal's JSON Lines (FORMAT.md)
//   generate(options)                          the synthetic generator
//   writeTrace(trace, file, options)           any Trace to Tidal's JSON Lines

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from './lines.ts';
import { readAlibaba2017, TABLES_2017 } from './alibaba2017.ts';
import { readAlibaba2018, TABLES_2018 } from './alibaba2018.ts';
import { readTidalTrace } from './tidal.ts';
import type { Alibaba2017Options } from './alibaba2017.ts';
import type { Alibaba2018Options } from './alibaba2018.ts';
import type { Trace } from './events.ts';

export { readAlibaba2018, TABLES_2018 } from './alibaba2018.ts';
export type { Alibaba2018Options, Table2018 } from './alibaba2018.ts';
export { readAlibaba2017, TABLES_2017 } from './alibaba2017.ts';
export type { Alibaba2017Options, Table2017 } from './alibaba2017.ts';
export type { AlibabaOptions, AlibabaStats, AlibabaTrace, MachineUsageMode } from './alibaba-common.ts';
export { readTidalTrace, writeTrace, serializeEvent, parseEventLine, TIDAL_FORMAT, TIDAL_VERSION } from './tidal.ts';
export type { ReadTidalOptions, TidalHeader, TidalTrace, WriteOptions } from './tidal.ts';
export { generate, alibabaDensity, resolveOptions, double11Multiplier, DEFAULT_SYNTHETIC } from './synthetic.ts';
export type { SyntheticInput, SyntheticOptions, SyntheticTrace } from './synthetic.ts';
export { externalSort, mergeSorted } from './sort.ts';
export type { SortOptions } from './sort.ts';
export { TraceError } from './events.ts';
export type { Trace, TraceEvent, TraceInfo, TracePod } from './events.ts';

export type OpenOptions = Alibaba2018Options & Alibaba2017Options & { strict?: boolean };

/**
 * Open a trace by path: a folder of Alibaba 2018 or 2017 tables (told apart by their file names),
 * or a Tidal JSON Lines file (.jsonl, .ndjson, optionally .gz).
 */
export async function openTrace(path: string, options: OpenOptions = {}): Promise<Trace> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new Error(`trace not found: ${path}`);
  if (s.isDirectory()) {
    const files = await readdir(path);
    const names = new Set(files.map((f) => f.replace(/\.csv(\.gz)?$/, '')));
    const only2018 = TABLES_2018.filter((t) => !(TABLES_2017 as readonly string[]).includes(t) && names.has(t));
    const only2017 = TABLES_2017.filter((t) => !(TABLES_2018 as readonly string[]).includes(t) && names.has(t));
    if (only2018.length > 0 && only2017.length > 0) {
      throw new Error(`${path}: holds tables of both Alibaba traces (2018: ${only2018.join(', ')}; 2017: ${only2017.join(', ')}); use readAlibaba2018 or readAlibaba2017 with explicit files`);
    }
    if (only2018.length > 0) return readAlibaba2018(path, options);
    if (only2017.length > 0) return readAlibaba2017(path, options);
    // Only tables both traces have (batch_task, batch_instance, container_usage): 2017 rows start
    // with a numeric timestamp, 2018 rows with a name.
    const shared = files.find((f) => /^(batch_task|batch_instance|container_usage)\.csv(\.gz)?$/.test(f));
    if (shared) return (await startsWithNumber(join(path, shared))) ? readAlibaba2017(path, options) : readAlibaba2018(path, options);
    throw new Error(`${path}: no recognised trace table (expected Alibaba 2018 ${TABLES_2018.join(', ')} or 2017 ${TABLES_2017.join(', ')}, as .csv or .csv.gz)`);
  }
  if (/\.(jsonl|ndjson)(\.gz)?$/.test(path)) return readTidalTrace(path, options);
  throw new Error(`${path}: unknown trace format (expected a folder of Alibaba CSV tables or a .jsonl file)`);
}

/** Whether the first data line (after an optional header) starts with a number. */
async function startsWithNumber(file: string): Promise<boolean> {
  let n = 0;
  for await (const line of readLines(file)) {
    const first = line.split(',')[0]!.trim();
    if (first !== '' && Number.isFinite(Number(first))) return true;
    if (++n >= 2) return false;
  }
  return false;
}

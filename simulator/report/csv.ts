// series.csv and totals.csv: comma separated with a header row, lines ending in "\n", fields quoted
// as RFC 4180 says when they hold a comma, quote or line break.
//   series.csv  one row per (policy, sample): policy, time (ISO, UTC), timeMs, then every SeriesPoint
//               field in SeriesPoint order (fractions of allocatable as in the engine, not percent).
//   totals.csv  one row per policy: PolicyTotals flattened to dotted column names (the JSON paths of
//               report.json), with one evictions.byReason.<reason> column per reason any policy
//               reports (0 where a policy has none). Durations are ms. The wall-clock cpuSeconds are
//               left out: they differ from run to run (report.json has them under "run").
// Text cells that a spreadsheet would read as a formula (=, +, -, @ first) get a leading
// apostrophe, so that a hostile policy or reason name cannot run anything when the file is opened.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulationResult } from '../engine/simulation.ts';
import { isoTime } from './format.ts';
import { evictionReasons } from './rows.ts';
import { SERIES_FIELDS } from './series.ts';

type Cell = string | number;

function cell(v: Cell): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

export function formatSeriesCsv(result: SimulationResult): string {
  const header = ['policy', 'time', 'timeMs', ...SERIES_FIELDS.filter((f) => f !== 'time')];
  const rows: Cell[][] = [];
  for (const p of result.policies) {
    for (const pt of p.series) {
      const row: Cell[] = [p.policy, isoTime(pt.time), pt.time];
      for (const f of SERIES_FIELDS) if (f !== 'time') row.push(pt[f]);
      rows.push(row);
    }
  }
  return toCsv(header, rows);
}

/** Flattens an object into dotted paths, in sorted key order at every level. */
function flatten(v: unknown, prefix: string, out: Map<string, Cell>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const k of Object.keys(v).sort()) flatten((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof v === 'number' || typeof v === 'string') {
    out.set(prefix, v);
  } else if (typeof v === 'boolean') {
    out.set(prefix, String(v));
  }
}

export function formatTotalsCsv(result: SimulationResult): string {
  const reasons = evictionReasons(result.policies);
  const flat = result.policies.map((p) => {
    const { cpuSeconds: _wallClock, policy: _name, ...totals } = p.totals;
    const byReason = Object.fromEntries(reasons.map((r) => [r, p.totals.evictions.byReason[r] ?? 0]));
    const m = new Map<string, Cell>();
    flatten({ ...totals, evictions: { ...totals.evictions, byReason } }, '', m);
    return m;
  });
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const m of flat) {
    for (const k of m.keys()) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  const header = ['policy', 'description', ...columns];
  const rows = result.policies.map((p, i) => [p.policy, p.description, ...columns.map((c) => flat[i]!.get(c) ?? '')]);
  return toCsv(header, rows);
}

/** Writes series.csv and totals.csv; returns their paths. */
export async function writeCsvSeries(result: SimulationResult, dir: string): Promise<{ series: string; totals: string }> {
  await mkdir(dir, { recursive: true });
  const series = join(dir, 'series.csv');
  const totals = join(dir, 'totals.csv');
  await writeFile(series, formatSeriesCsv(result));
  await writeFile(totals, formatTotalsCsv(result));
  return { series, totals };
}

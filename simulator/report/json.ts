// report.json: the whole SimulationResult, series included, in a stable layout. Keys come in a fixed
// order (the result's own fields in declaration order, series points in SeriesPoint order, everything
// else sorted), times are given as epoch ms and as ISO strings side by side, and the wall-clock
// fields (wallSeconds, each policy's totals.cpuSeconds) move under a last "run" key: everything
// before "run" is a function of the trace, the profile and the options alone, so two runs of the
// same input give byte-identical files up to that key.
//
// Layout:
//   { report, source, timeZone, profile, start, startIso, end, endIso, events, skippedRows, droppedRows, options,
//     policies: [{ policy, description, totals, series: [{ time, timeIso, ...SeriesPoint }] }],
//     forecast?: { node, policies: [{ policy, quantile, summary, nodes }], series: [{ policy, series }] },
//     run: { wallSeconds, cpuSeconds: { <policy>: { placement, planning } } } }
// Durations in totals are ms, as in PolicyTotals.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulationReport } from './forecast.ts';
import { isoTime, reportZone, type ReportOptions } from './format.ts';
import { SERIES_FIELDS } from './series.ts';

export const JSON_REPORT_FORMAT = 'tidal-simulation-report/v1';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The report as a JSON value with its keys in report order. */
export function jsonReport(result: SimulationReport, opts: ReportOptions = {}): Json {
  return {
    report: JSON_REPORT_FORMAT,
    source: opts.source ?? result.source,
    timeZone: reportZone(opts.timeZone ?? result.timeZone),
    profile: result.profile,
    start: result.start,
    startIso: isoTime(result.start),
    end: result.end,
    endIso: isoTime(result.end),
    events: result.events,
    skippedRows: sorted(result.skippedRows),
    droppedRows: sorted(result.droppedRows ?? {}),
    options: sorted(result.options),
    policies: result.policies.map((p) => {
      const { cpuSeconds: _wallClock, ...totals } = p.totals;
      return {
        policy: p.policy,
        description: p.description,
        totals: sorted(totals),
        series: p.series.map((pt) => {
          const o: { [k: string]: Json } = { time: pt.time, timeIso: isoTime(pt.time) };
          for (const f of SERIES_FIELDS) if (f !== 'time') o[f] = pt[f];
          return o;
        }),
      };
    }),
    // Forecast vs actual (simulator/forecast-track.ts), when tracked: per policy the error summary and
    // per node; the charted node's samples beside the forecast held for them.
    ...(result.forecast ? { forecast: sorted(result.forecast) } : {}),
    run: {
      wallSeconds: result.wallSeconds,
      cpuSeconds: Object.fromEntries(result.policies.map((p) => [p.policy, sorted(p.totals.cpuSeconds)])),
    },
  };
}

/** report.json's text. */
export function formatJsonReport(result: SimulationReport, opts: ReportOptions = {}): string {
  return `${stringify(jsonReport(result, opts), '')}\n`;
}

export async function writeJsonReport(result: SimulationReport, dir: string, opts: ReportOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'report.json');
  await writeFile(path, formatJsonReport(result, opts));
  return path;
}

/** A deep copy with every object's keys sorted (code-point order, independent of locale). */
function sorted(v: unknown): Json {
  if (v === null || typeof v !== 'object') return toJsonScalar(v);
  if (Array.isArray(v)) return v.map(sorted);
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && typeof x !== 'function') out[k] = sorted(x);
  }
  return out;
}

function toJsonScalar(v: unknown): Json {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return null;
}

/**
 * Pretty JSON, two-space indent, except that an array element whose values are all scalars (a
 * series point) goes on one line: a long series stays one line per sample, readable and diffable.
 */
function stringify(v: Json, indent: string, inArray = false): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + stringify(x, inner, true)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  if (inArray && keys.every((k) => v[k] === null || typeof v[k] !== 'object')) {
    return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(v[k])}`).join(', ')} }`;
  }
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${stringify(v[k]!, inner)}`).join(',\n')}\n${indent}}`;
}

// The comparison table for the terminal: the same rows as the HTML table (rows.ts), aligned
// columns, plain ASCII apart from the unit names, best values marked with "*".

import type { SimulationResult } from '../engine/simulation.ts';
import type { SimulationReport } from './forecast.ts';
import { formatCount, formatInterval, formatSpan, formatTime, reportZone, zoneLabel, type ReportOptions } from './format.ts';
import { comparisonRows } from './rows.ts';

/** Strips control characters so that input text cannot move the terminal's cursor or colour it. */
function plain(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const rows = (n: number): string => `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;

/** The reader's dropped items by reason, most frequent first. */
export function droppedList(result: SimulationResult): Array<[string, number]> {
  return Object.entries(result.droppedRows ?? {}).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

export function formatTotalsTable(result: SimulationReport, opts: ReportOptions = {}): string {
  const zone = reportZone(opts.timeZone ?? result.timeZone);
  const table = comparisonRows(result);
  const names = result.policies.map((p) => plain(p.policy));
  const skipped = Object.entries(result.skippedRows).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const skippedTotal = skipped.reduce((s, [, n]) => s + n, 0);
  const samples = Math.max(0, ...result.policies.map((p) => p.series.length));

  const lines: string[] = [];
  lines.push(`Trace:    ${plain(opts.source ?? result.source)}`);
  lines.push(
    `Profile:  ${plain(result.profile)}`,
    `Span:     ${formatTime(result.start, zone)} to ${formatTime(result.end, zone)} ${zoneLabel(zone, result.start)} (${formatSpan(result.end - result.start)})`,
    `Events:   ${formatCount(result.events)}; ${formatCount(samples)} samples per policy, one every ${formatInterval(result.options.sampleIntervalMs)}`,
    `Skipped:  ${skippedTotal === 0 ? 'no rows' : `${rows(skippedTotal)} (lenient mode): ${skipped.map(([f, n]) => `${plain(f)} ${formatCount(n)}`).join(', ')}`}`,
  );
  const dropped = droppedList(result);
  if (dropped.length > 0) lines.push(`Dropped:  ${dropped.map(([why, n]) => `${formatCount(n)} ${plain(why)}`).join('; ')}`);
  lines.push('');

  const label = (r: (typeof table)[number]) => `  ${plain(r.label)}`;
  const cell = (r: (typeof table)[number], i: number) => `${r.cells[i]}${r.best[i] ? '*' : ' '}`;
  const wLabel = Math.max('Measure'.length, ...table.map((r) => label(r).length));
  const wUnit = Math.max('Unit'.length, ...table.map((r) => r.unit.length));
  const wBetter = 'higher'.length;
  const wCol = names.map((n, i) => Math.max(n.length + 1, ...table.map((r) => cell(r, i).length)));
  const sep = '  ';
  lines.push(['Measure'.padEnd(wLabel), 'Unit'.padEnd(wUnit), 'Better'.padEnd(wBetter), ...names.map((n, i) => `${n} `.padStart(wCol[i]!))].join(sep).trimEnd());
  lines.push(['-'.repeat(wLabel), '-'.repeat(wUnit), '-'.repeat(wBetter), ...wCol.map((w) => '-'.repeat(w))].join(sep));
  let section = '';
  for (const r of table) {
    if (r.section !== section) {
      section = r.section;
      lines.push(plain(section));
    }
    lines.push([label(r).padEnd(wLabel), r.unit.padEnd(wUnit), (r.better ?? '-').padEnd(wBetter), ...names.map((_, i) => cell(r, i).padStart(wCol[i]!))].join(sep).trimEnd());
  }
  lines.push('', '* best in its row (scored rows: Better says which way); "-": context, not scored.');
  return lines.join('\n') + '\n';
}

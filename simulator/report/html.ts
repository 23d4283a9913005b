// report.html: one self-contained page. Styles are inline, the charts are inline SVG drawn on the
// server (charts.ts), and a Content-Security-Policy of default-src 'none' makes the browser refuse
// anything the page might try to fetch: it needs no network, no other file and no JavaScript. Every
// piece of text that comes from the inputs (trace source, file names, profile, policy names and
// descriptions, eviction reasons) is escaped.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FONT_FAMILY, policyStyle, renderCharts, type PolicyStyle } from './charts.ts';
import { renderForecastCharts, type SimulationReport } from './forecast.ts';
import { escapeHtml, formatCount, formatFixed, formatInterval, formatSpan, formatTime, reportZone, zoneLabel, type ReportOptions } from './format.ts';
import { comparisonRows, type ComparisonRow } from './rows.ts';
import { droppedList } from './text.ts';

export interface HtmlReportOptions extends ReportOptions {
  /** Chart size in SVG pixels (the page scales them to its width). */
  chartWidth?: number;
  chartHeight?: number;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1d2329; font: 15px/1.5 ${FONT_FAMILY}; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 36px 0 10px; font-weight: 650; }
.source { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 13.5px; color: #4a5561; margin: 0 0 18px; word-break: break-all; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 16px 20px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px 24px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts dt { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: #66707a; }
dl.facts dd { margin: 2px 0 0; font-weight: 600; overflow-wrap: anywhere; }
.warn { margin-top: 14px; background: #fff7e0; border: 1px solid #e8c766; border-radius: 8px; padding: 10px 16px; }
.warn p { margin: 0 0 6px; }
.ok { margin-top: 14px; color: #2d6a3e; }
ul.policies { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; }
ul.policies li { display: flex; gap: 12px; align-items: baseline; }
.swatch { display: inline-block; width: 28px; height: 0; border-top-width: 4px; border-top-color: var(--c); vertical-align: middle; flex: none; position: relative; top: -3px; }
.swatch.solid { border-top-style: solid; } .swatch.dashed { border-top-style: dashed; }
.pname { font-weight: 650; white-space: nowrap; }
.pdesc { color: #4a5561; }
p.note { color: #4a5561; margin: 0 0 10px; font-size: 14px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; }
table.compare { border: 1px solid #dde1e6; }
th, td { padding: 6px 12px; border-bottom: 1px solid #eceef1; text-align: left; vertical-align: baseline; }
thead th { background: #eef1f4; font-weight: 650; border-bottom: 2px solid #cfd5db; }
thead th.policy { text-align: right; }
table.compare thead th.policy { padding-right: 26px; }
tbody th.section { background: #f7f8fa; font-size: 12.5px; text-transform: uppercase; letter-spacing: 0.04em; color: #4a5561; padding-top: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.unit { color: #66707a; white-space: nowrap; }
td.better { white-space: nowrap; color: #4a5561; font-size: 13px; }
td.best { background: #dcf3e3; font-weight: 700; color: #0f5323; }
/* Every value cell keeps room for the best mark, so that digits line up down a column. */
table.compare td.num::after { content: " \\2605"; font-size: 11px; visibility: hidden; }
table.compare td.best::after { color: #1c7a3a; visibility: visible; }
.legend-key { display: inline-block; padding: 0 6px; background: #dcf3e3; color: #0f5323; font-weight: 700; border-radius: 3px; }
figure { margin: 0 0 20px; background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 14px 16px 6px; }
figcaption h3 { font-size: 16px; margin: 0; font-weight: 650; }
figcaption p { margin: 2px 0 6px; font-size: 13px; color: #56606a; }
figure svg { display: block; width: 100%; height: auto; }
table.plain { max-width: 720px; border: 1px solid #dde1e6; }
footer { margin-top: 36px; font-size: 13px; color: #66707a; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
`;

/** The report page as a string. */
export function renderHtmlReport(result: SimulationReport, opts: HtmlReportOptions = {}): string {
  const zone = reportZone(opts.timeZone ?? result.timeZone);
  const source = opts.source ?? result.source;
  const styles = result.policies.map((_, i) => policyStyle(i));
  const charts = [...renderCharts(result, { zone, width: opts.chartWidth, height: opts.chartHeight }), ...renderForecastCharts(result, { zone, width: opts.chartWidth, height: opts.chartHeight })];
  const zoneNote = zoneLabel(zone, result.start);
  const skipped = Object.entries(result.skippedRows).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const skippedTotal = skipped.reduce((s, [, n]) => s + n, 0);
  const samples = Math.max(0, ...result.policies.map((p) => p.series.length));

  const facts: [string, string][] = [
    ['Profile', result.profile],
    ['Start', `${formatTime(result.start, zone)}`],
    ['End', `${formatTime(result.end, zone)}`],
    ['Simulated time', formatSpan(result.end - result.start)],
    ['Times shown in', zoneNote],
    ['Trace events', formatCount(result.events)],
    ['Samples per policy', `${formatCount(samples)} (every ${formatInterval(result.options.sampleIntervalMs)})`],
    ['Skipped rows', skippedTotal === 0 ? 'none' : `${formatCount(skippedTotal)} in ${formatCount(skipped.length)} ${skipped.length === 1 ? 'file' : 'files'}`],
  ];
  const dropped = droppedList(result);
  if (dropped.length > 0) facts.push(['Dropped by the reader', dropped.map(([why, n]) => `${formatCount(n)} ${why}`).join('; ')]);

  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Tidal simulation report: ${escapeHtml(source)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header>',
    '<h1>Tidal simulation report</h1>',
    `<p class="source" title="trace source">${escapeHtml(source)}</p>`,
    '<div class="card">',
    '<dl class="facts">',
    ...facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`),
    '</dl>',
  );
  if (skippedTotal > 0) {
    out.push(
      '<div class="warn" id="skipped-rows">',
      `<p><strong>${formatCount(skippedTotal)} bad ${skippedTotal === 1 ? 'row was' : 'rows were'} skipped</strong> (lenient mode): the simulation ran without them.</p>`,
      '<table class="plain"><thead><tr><th>File</th><th class="policy">Rows skipped</th></tr></thead><tbody>',
      ...skipped.map(([file, n]) => `<tr><td><code>${escapeHtml(file)}</code></td><td class="num">${formatCount(n)}</td></tr>`),
      '</tbody></table>',
      '</div>',
    );
  } else {
    out.push('<p class="ok" id="skipped-rows">No trace rows were skipped.</p>');
  }
  out.push('</div>', '</header>');

  out.push('<section id="policies">', '<h2>Policies</h2>', '<div class="card"><ul class="policies">');
  result.policies.forEach((p, i) => out.push(`<li>${swatch(styles[i]!)}<span class="pname">${escapeHtml(p.policy)}</span><span class="pdesc">${escapeHtml(p.description)}</span></li>`));
  out.push('</ul></div>', '</section>');

  out.push(
    '<section id="comparison">',
    '<h2>Policy comparison</h2>',
    `<p class="note">Totals over the whole run. <span class="legend-key">Best \u2605</span> marks the best value in each scored row; the <em>Better</em> column says which way is better (\u2191 higher, \u2193 lower). Rows marked \u2014 give context and are not scored; a row where every policy shows the same value marks none.</p>`,
    comparisonTable(result, styles),
    '</section>',
  );

  out.push('<section id="charts">', '<h2>Over time</h2>');
  for (const c of charts) {
    out.push(
      `<figure id="chart-${c.id}" data-points="${c.points.join(' ')}">`,
      `<figcaption><h3>${escapeHtml(c.title)}</h3><p>${escapeHtml(c.subtitle)}</p></figcaption>`,
      c.svg,
      '</figure>',
    );
  }
  out.push('</section>');

  out.push('<section id="details">', '<h2>Simulation options</h2>', '<table class="plain"><thead><tr><th>Option</th><th>Value</th></tr></thead><tbody>');
  for (const [k, v] of flattenOptions(result.options)) out.push(`<tr><td><code>${escapeHtml(k)}</code></td><td>${escapeHtml(v)}</td></tr>`);
  out.push('</tbody></table>', '</section>');

  out.push(
    `<footer>Generated by the Tidal simulator. Simulated in ${formatFixed(result.wallSeconds, 1)} s of wall-clock time. The data behind this page are in <code>report.json</code>, <code>series.csv</code> and <code>totals.csv</code> beside it.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  );
  return out.join('\n');
}

export async function writeHtmlReport(result: SimulationReport, dir: string, opts: HtmlReportOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'report.html');
  await writeFile(path, renderHtmlReport(result, opts));
  return path;
}

function swatch(s: PolicyStyle): string {
  return `<span class="swatch ${s.dash}" style="--c: ${s.colour}" aria-hidden="true"></span>`;
}

const BETTER_TEXT = { higher: '\u2191 higher', lower: '\u2193 lower' } as const;

function comparisonTable(result: SimulationReport, styles: readonly PolicyStyle[]): string {
  const rows = comparisonRows(result);
  const out: string[] = ['<table class="compare">', '<thead><tr><th>Measure</th><th>Unit</th><th>Better</th>'];
  result.policies.forEach((p, i) => out.push(`<th class="policy">${swatch(styles[i]!)} ${escapeHtml(p.policy)}</th>`));
  out.push('</tr></thead>', '<tbody>');
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push(`<tr><th class="section" colspan="${3 + result.policies.length}">${escapeHtml(section)}</th></tr>`);
    }
    out.push(rowHtml(r));
  }
  out.push('</tbody>', '</table>');
  return out.join('\n');
}

function rowHtml(r: ComparisonRow): string {
  const cells = r.cells.map((c, i) => `<td class="num${r.best[i] ? ' best' : ''}"${r.best[i] ? ' title="best"' : ''}>${escapeHtml(c)}</td>`).join('');
  return `<tr><td>${escapeHtml(r.label)}</td><td class="unit">${escapeHtml(r.unit)}</td><td class="better">${r.better ? BETTER_TEXT[r.better] : '\u2014'}</td>${cells}</tr>`;
}

/** SimOptions as (dotted key, shown value) pairs, sorted; *Ms values also as intervals. */
function flattenOptions(o: object, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object') out.push(...flattenOptions(v, key));
    else if (typeof v === 'number' && /Ms$/.test(k) && v > 0) out.push([key, `${formatCount(v)} (${formatInterval(v)})`]);
    else out.push([key, String(v)]);
  }
  return out;
}

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesPoint } from '../../../simulator/engine/metrics.ts';
import type { SimulationResult } from '../../../simulator/engine/simulation.ts';
import { CHARTS, MAX_CHART_POINTS, policyStyle, reduceLine } from '../../../simulator/report/charts.ts';
import { formatSeriesCsv, formatTotalsCsv } from '../../../simulator/report/csv.ts';
import { renderHtmlReport } from '../../../simulator/report/html.ts';
import { comparisonRows, formatJsonReport, formatTotalsTable, writeReport } from '../../../simulator/report/index.ts';
import { SERIES_FIELDS } from '../../../simulator/report/series.ts';
import { runScenario, START } from './scenario.ts';

const EVIL = `<img src=x onerror="alert(1)">&'`;

let result: SimulationResult;
let again: SimulationResult;
let dir: string;

beforeAll(async () => {
  result = await runScenario({ source: '/traces/demo', skipped: [['batch_task.csv', 12], ['machine_usage.csv', 3]] });
  again = await runScenario({ source: '/traces/demo', skipped: [['machine_usage.csv', 3], ['batch_task.csv', 12]] });
  dir = await mkdtemp(join(tmpdir(), 'tidal-report-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The result with hostile text everywhere the inputs reach the report. */
function hostile(r: SimulationResult): SimulationResult {
  return {
    ...r,
    profile: `${EVIL}profile`,
    skippedRows: { [`${EVIL}.csv`]: 7, 'a,"b".csv': 2 },
    policies: r.policies.map((p, i) => ({
      ...p,
      policy: `${EVIL}\u001b[31m${i}`,
      description: `=HYPERLINK("http://x", "y") ${EVIL}`,
      totals: { ...p.totals, evictions: { ...p.totals.evictions, byReason: { [`${EVIL}reason`]: i } } },
    })),
  };
}

/** A minimal RFC 4180 reader for checking what the writer quoted. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

/** The line paths of a chart's SVG (the data, not the legend icons): stroke colour -> number of points. */
function linePoints(svg: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of svg.matchAll(/<path ([^>]*)>/g)) {
    const attrs = m[1]!;
    if (/\btransform=/.test(attrs) || !/\bfill="none"/.test(attrs)) continue;
    const stroke = /\bstroke="([^"]+)"/.exec(attrs)?.[1];
    const d = /\bd="([^"]*)"/.exec(attrs)?.[1];
    if (!stroke || !d || !stroke.startsWith('#') || ['#eee', '#e6e6e6', '#888'].includes(stroke.toLowerCase())) continue;
    out.set(stroke, [...(out.get(stroke) ?? []), (d.match(/[ML]/g) ?? []).length]);
  }
  return out;
}

function chartSvgs(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure id="chart-([^"]+)"[^>]*>([\s\S]*?)<\/figure>/g)) {
    const svgs = m[2]!.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs, `chart ${m[1]}`).toHaveLength(1);
    out.set(m[1]!, svgs[0]!);
  }
  return out;
}

describe('report.json', () => {
  it('holds the whole result in a stable layout with ISO and epoch-ms times', () => {
    const j = JSON.parse(formatJsonReport(result, { source: '/traces/demo' }));
    expect(Object.keys(j)).toEqual(['report', 'source', 'timeZone', 'profile', 'start', 'startIso', 'end', 'endIso', 'events', 'skippedRows', 'droppedRows', 'options', 'policies', 'run']);
    expect(j.source).toBe('/traces/demo');
    expect(j.timeZone).toBe('UTC');
    expect(j.start).toBe(START);
    expect(j.startIso).toBe('2026-11-10T00:00:00.000Z');
    expect(j.endIso).toBe(new Date(result.end).toISOString());
    expect(j.skippedRows).toEqual({ 'batch_task.csv': 12, 'machine_usage.csv': 3 });
    expect(j.options).toEqual(result.options);
    expect(j.policies.map((p: { policy: string }) => p.policy)).toEqual(['kube-default', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'time-sharing']);
    result.policies.forEach((p, i) => {
      const jp = j.policies[i];
      const { cpuSeconds, ...totals } = p.totals;
      expect(jp.totals).toEqual(totals);
      expect(jp.totals.cpuSeconds).toBeUndefined();
      expect(j.run.cpuSeconds[p.policy]).toEqual(cpuSeconds);
      expect(jp.series).toHaveLength(p.series.length);
      expect(Object.keys(jp.series[0])).toEqual(['time', 'timeIso', ...SERIES_FIELDS.filter((f) => f !== 'time')]);
      jp.series.forEach((pt: SeriesPoint & { timeIso: string }, k: number) => {
        const { timeIso, ...rest } = pt;
        expect(rest).toEqual(p.series[k]);
        expect(timeIso).toBe(new Date(pt.time).toISOString());
      });
    });
    expect(j.run.wallSeconds).toBe(result.wallSeconds);
  });

  it('is byte-identical for the same result, and for two runs of the same input up to "run"', () => {
    expect(formatJsonReport(result)).toBe(formatJsonReport(structuredClone(result)));
    const cut = (s: string) => s.slice(0, s.indexOf('\n  "run": '));
    const a = formatJsonReport(result);
    expect(cut(a).length).toBeGreaterThan(a.length / 2);
    expect(cut(formatJsonReport(again))).toBe(cut(a));
  });

  it('puts one series point on one line', () => {
    const lines = formatJsonReport(result).split('\n');
    const points = lines.filter((l) => l.trimStart().startsWith('{ "time": '));
    expect(points).toHaveLength(result.policies.reduce((s, p) => s + p.series.length, 0));
  });
});

describe('series.csv and totals.csv', () => {
  it('has one row per policy and sample with every SeriesPoint field and an ISO time', () => {
    const rows = parseCsv(formatSeriesCsv(result));
    expect(rows[0]).toEqual(['policy', 'time', 'timeMs', ...SERIES_FIELDS.filter((f) => f !== 'time')]);
    const body = rows.slice(1);
    expect(body).toHaveLength(result.policies.reduce((s, p) => s + p.series.length, 0));
    const pt = result.policies.find((p) => p.policy === 'time-sharing')!.series[7]!;
    const row = body.find((r) => r[0] === 'time-sharing' && Number(r[2]) === pt.time)!;
    expect(row[1]).toBe(new Date(pt.time).toISOString());
    SERIES_FIELDS.filter((f) => f !== 'time').forEach((f, i) => expect(Number(row[3 + i]), f).toBe(pt[f]));
  });

  it('has one row per policy of flattened totals, one column per eviction reason', () => {
    const rows = parseCsv(formatTotalsCsv(result));
    const header = rows[0]!;
    expect(rows).toHaveLength(1 + result.policies.length);
    expect(header.slice(0, 2)).toEqual(['policy', 'description']);
    for (const c of ['utilisation.cpuUsed', 'onlineRisk.hotNodeMinutes', 'batch.completionDelay.p95', 'batch.throughputPerHour', 'evictions.workLostCoreHours', 'peakNodesInUse', 'evictions.byReason.peak-drain']) {
      expect(header, c).toContain(c);
    }
    expect(header.some((h) => h.startsWith('cpuSeconds'))).toBe(false);
    const col = (name: string) => header.indexOf(name);
    result.policies.forEach((p, i) => {
      const row = rows[i + 1]!;
      expect(row[0]).toBe(p.policy);
      expect(Number(row[col('batch.completed')])).toBe(p.totals.batch.completed);
      expect(Number(row[col('evictions.byReason.peak-drain')])).toBe(p.totals.evictions.byReason['peak-drain'] ?? 0);
    });
  });

  it('is byte-identical for two runs of the same input', () => {
    expect(formatSeriesCsv(again)).toBe(formatSeriesCsv(result));
    expect(formatTotalsCsv(again)).toBe(formatTotalsCsv(result));
  });

  it('quotes hostile names and defuses spreadsheet formulas', () => {
    const h = hostile(result);
    const totals = parseCsv(formatTotalsCsv(h));
    expect(totals[1]![0]).toBe(h.policies[0]!.policy);
    expect(totals[1]![1]).toBe(`'${h.policies[0]!.description}`);
    expect(totals[0]).toContain(`evictions.byReason.${EVIL}reason`);
    expect(totals.every((r) => r.length === totals[0]!.length)).toBe(true);
    const series = parseCsv(formatSeriesCsv(h));
    expect(series.every((r) => r.length === series[0]!.length)).toBe(true);
    expect(series[1]![0]).toBe(h.policies[0]!.policy);
  });
});

describe('terminal table', () => {
  it('states units, direction and the best value per row, with aligned columns', () => {
    const t = formatTotalsTable(result, { source: '/traces/demo' });
    const lines = t.split('\n');
    expect(t).toContain('Trace:    /traces/demo');
    expect(t).toContain('Skipped:  15 rows (lenient mode): batch_task.csv 12, machine_usage.csv 3');
    expect(formatTotalsTable({ ...result, skippedRows: { 'batch_task.csv': 1 } })).toContain('Skipped:  1 row (lenient mode): batch_task.csv 1\n');
    expect(t).toContain('Span:     2026-11-10 00:00 to 2026-11-10 20:00 UTC (20 h)');
    const header = lines.find((l) => l.startsWith('Measure'))!;
    for (const p of result.policies) expect(header).toContain(p.policy);
    const rule = lines[lines.indexOf(header) + 1]!;
    // Column ends from the rule under the header: every value ends in a digit, then its best mark.
    const ends = [...rule.matchAll(/-+/g)].map((m) => m.index! + m[0].length).slice(3);
    const rows = comparisonRows(result);
    const dataLines = lines.filter((l) => l.startsWith('  '));
    expect(dataLines).toHaveLength(rows.length);
    dataLines.forEach((l, i) => {
      const row = rows[i]!;
      expect(l).toContain(row.label);
      expect(l).toContain(` ${row.unit} `);
      for (const [k, end] of ends.entries()) {
        const padded = l.padEnd(end);
        expect(padded[end - 1], l).toBe(row.best[k] ? '*' : ' ');
        expect(padded[end - 2], l).toMatch(/\d/);
      }
    });
    expect(t).toMatch(/CPU used, online \+ batch +% +higher/);
    expect(t).toMatch(/Hot node-minutes \(usage above 90 % of CPU or memory; secondary\) +node·min +lower/);
    expect(t).toMatch(/Interference node-minutes +node·min +lower/);
    expect(t).toMatch(/Batch work completed +core·h +higher/);
    expect(t).toMatch(/Batch completion delay p95 +(s|min|h) +lower/);
    expect(t).toMatch(/Evictions: peak-drain +pods +lower +0\* /);
  });

  it('strips control characters from names', () => {
    const t = formatTotalsTable(hostile(result));
    expect(t).not.toContain('\u001b');
    expect(t).toContain(`${EVIL}?[31m0`);
  });
});

describe('comparison rows', () => {
  it('marks the best value by direction and nothing when every policy shows the same value', () => {
    const rows = comparisonRows(result);
    const ev = rows.find((r) => r.label === 'Evictions, all reasons')!;
    expect(ev.better).toBe('lower');
    expect(ev.values[0]).toBe(0);
    expect(ev.best[0]).toBe(true);
    expect(ev.best.slice(1)).toEqual(ev.values.slice(1).map((v) => v === 0));
    const arrived = rows.find((r) => r.label === 'Batch pods arrived')!;
    expect(arrived.better).toBeNull();
    expect(arrived.best).toEqual(arrived.values.map(() => false));
    const peak = rows.find((r) => r.label === 'Peak nodes in use')!;
    expect(peak.cells).toEqual(peak.values.map(() => '4'));
    expect(peak.best).toEqual(peak.values.map(() => false));
    const used = rows.find((r) => r.label === 'CPU used, online + batch')!;
    const top = Math.max(...used.values);
    used.best.forEach((b, i) => expect(b).toBe(used.cells[i] === used.cells[used.values.indexOf(top)]));
  });
});

describe('report.html', () => {
  it('has one SVG per chart with one line per policy through every sample', () => {
    const html = renderHtmlReport(result, { source: '/traces/demo' });
    const svgs = chartSvgs(html);
    expect([...svgs.keys()]).toEqual(CHARTS.map((c) => c.id));
    expect(html.match(/<svg\b/g)).toHaveLength(CHARTS.length);
    for (const [id, svg] of svgs) {
      const lines = linePoints(svg);
      result.policies.forEach((p, i) => {
        expect(lines.get(policyStyle(i).colour), `${id} ${p.policy}`).toEqual([p.series.length]);
      });
    }
  });

  it('states source, profile, span, events and the rows skipped per file', () => {
    const html = renderHtmlReport(result, { source: '/traces/demo' });
    expect(html).toContain('<title>Tidal simulation report: /traces/demo</title>');
    expect(html).toContain('<dt>Profile</dt><dd>test-peak</dd>');
    expect(html).toContain('<dt>Start</dt><dd>2026-11-10 00:00</dd>');
    expect(html).toContain('<dt>End</dt><dd>2026-11-10 20:00</dd>');
    // The profile's zone (UTC in this scenario) unless the caller names another.
    expect(html).toMatch(/<dt>Times shown in<\/dt><dd>UTC/);
    expect(html).toContain(`<dt>Trace events</dt><dd>${result.events}</dd>`);
    expect(html).toContain('<dt>Skipped rows</dt><dd>15 in 2 files</dd>');
    expect(html).toContain('<tr><td><code>batch_task.csv</code></td><td class="num">12</td></tr>');
    expect(html).toContain('<tr><td><code>machine_usage.csv</code></td><td class="num">3</td></tr>');
    const clean = renderHtmlReport({ ...result, skippedRows: {} });
    expect(clean).toContain('No trace rows were skipped.');
    expect(clean).toContain('<dt>Skipped rows</dt><dd>none</dd>');
  });

  it('highlights the best cells and says which way is better', () => {
    const html = renderHtmlReport(result);
    expect(html).toMatch(/<td>Evictions, all reasons<\/td><td class="unit">pods<\/td><td class="better">\u2193 lower<\/td><td class="num best" title="best">0<\/td>/);
    expect(html).toMatch(/<td>CPU used, online \+ batch<\/td><td class="unit">%<\/td><td class="better">\u2191 higher<\/td>/);
    expect(html).toMatch(/<td>Batch pods arrived<\/td><td class="unit">pods<\/td><td class="better">\u2014<\/td>(<td class="num">60<\/td>){5}<\/tr>/);
  });

  it('is self-contained: no script, no external resource', () => {
    const html = renderHtmlReport(result);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|\bsrc=|@import/i);
    expect(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, '')).not.toMatch(/https?:|url\((?!#)/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('escapes every text that comes from the inputs', () => {
    const html = renderHtmlReport(hostile(result), { source: `${EVIL}/trace` });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;/trace');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;profile');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;.csv');
    expect(html).toContain('Evictions: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;reason');
    // The chart legends (ECharts' own SVG text) escape too.
    expect(chartSvgs(html).get('cpu-used')).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('renders the same bytes for the same result, however many reports the process drew before', () => {
    const a = renderHtmlReport(result);
    renderHtmlReport(again);
    expect(renderHtmlReport(result)).toBe(a);
    expect(renderHtmlReport({ ...again, wallSeconds: result.wallSeconds, policies: again.policies.map((p, i) => ({ ...p, totals: { ...p.totals, cpuSeconds: result.policies[i]!.totals.cpuSeconds } })) })).toBe(a);
  });

  it('shows times in the given zone and names it', () => {
    const html = renderHtmlReport(result, { timeZone: 'Asia/Shanghai' });
    expect(html).toContain('<dt>Start</dt><dd>2026-11-10 08:00</dd>');
    expect(html).toContain('<dt>Times shown in</dt><dd>Asia/Shanghai (UTC+08:00)</dd>');
    expect(chartSvgs(html).get('cpu-used')).toContain('time (Asia/Shanghai (UTC+08:00))');
    expect(() => renderHtmlReport(result, { timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it('says when the zone changes its offset during the run', () => {
    // Europe/Berlin goes from UTC+01:00 to UTC+02:00 on 2026-03-29 at 01:00 UTC.
    const start = Date.parse('2026-03-28T12:00:00Z');
    const moved: SimulationResult = {
      ...result,
      start,
      end: start + (result.end - result.start),
      policies: result.policies.map((p) => ({ ...p, series: p.series.map((x) => ({ ...x, time: x.time - result.start + start })) })),
    };
    const html = renderHtmlReport(moved, { timeZone: 'Europe/Berlin' });
    expect(html).toContain('<dt>Start</dt><dd>2026-03-28 13:00</dd>');
    expect(html).toContain('<dt>End</dt><dd>2026-03-29 10:00</dd>');
    expect(html).toContain('Times at the zone&#39;s offset at the start (Europe/Berlin (UTC+01:00)); its offset changes during the run.');
    expect(renderHtmlReport(result, { timeZone: 'Europe/Berlin' })).not.toContain('its offset changes');
  });

  it('downsamples long series for drawing, says so, and stays fast', () => {
    const n = 12_000;
    const step = result.options.sampleIntervalMs;
    const long: SimulationResult = {
      ...result,
      end: START + (n - 1) * step,
      policies: result.policies.map((p) => ({
        ...p,
        series: Array.from({ length: n }, (_, k) => ({ ...p.series[k % p.series.length]!, time: START + k * step, evictions: k % 97 === 0 ? 1 : 0 })),
      })),
    };
    const t0 = performance.now();
    const html = renderHtmlReport(long);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(5000);
    const svgs = chartSvgs(html);
    for (const [id, svg] of svgs) {
      for (const [, counts] of linePoints(svg)) for (const c of counts) expect(c, id).toBeLessThanOrEqual(MAX_CHART_POINTS);
    }
    expect(html).toMatch(/<figure id="chart-cpu-used"[\s\S]*?Downsampled for drawing: the minimum and maximum of every 12 samples/);
    expect(html).toMatch(/<figure id="chart-evictions"[\s\S]*?Downsampled for drawing: sums over 6 samples \(30 min\)/);
    expect(svgs.get('evictions')).toContain('evictions per 30 min');
  });
});

describe('reduceLine', () => {
  const times = Array.from({ length: 10_000 }, (_, i) => i * 1000);
  const values = times.map((_, i) => (i === 4321 ? 100 : i === 8765 ? -5 : Math.sin(i / 50)));

  it('keeps short lines as they are', () => {
    const r = reduceLine(times.slice(0, 50), values.slice(0, 50), 'extremes');
    expect(r.bucket).toBe(1);
    expect(r.values).toEqual(values.slice(0, 50));
  });

  it('keeps the extremes of every bucket, in time order', () => {
    const r = reduceLine(times, values, 'extremes');
    expect(r.times.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(r.bucket).toBe(10);
    expect(Math.max(...r.values)).toBe(100);
    expect(Math.min(...r.values)).toBe(-5);
    expect(r.times).toEqual([...r.times].sort((a, b) => a - b));
    expect(r.times[r.values.indexOf(100)]).toBe(4_321_000);
  });

  it('sums counts per bucket, keeping the total', () => {
    const ones = times.map(() => 1);
    const r = reduceLine(times, ones, 'sum');
    expect(r.bucket).toBe(5);
    expect(r.values.reduce((s, v) => s + v, 0)).toBe(10_000);
    expect(r.times.length).toBe(2000);
  });
});

describe('writeReport', () => {
  it('writes every file into a new folder and returns their paths', async () => {
    const out = join(dir, 'a', 'b');
    const paths = await writeReport(result, out, { source: '/traces/demo' });
    expect(paths).toEqual({ json: join(out, 'report.json'), series: join(out, 'series.csv'), totals: join(out, 'totals.csv'), html: join(out, 'report.html') });
    expect(await readFile(paths.json, 'utf8')).toBe(formatJsonReport(result, { source: '/traces/demo' }));
    expect(await readFile(paths.series, 'utf8')).toBe(formatSeriesCsv(result));
    expect(await readFile(paths.totals, 'utf8')).toBe(formatTotalsCsv(result));
    expect(await readFile(paths.html, 'utf8')).toBe(renderHtmlReport(result, { source: '/traces/demo' }));
    const again2 = await writeReport(result, out, { source: '/traces/demo' });
    expect(again2).toEqual(paths);
  });
});

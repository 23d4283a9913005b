// The simulator's report: report.json (everything), series.csv and totals.csv (for spreadsheets and
// plotting tools), report.html (a self-contained page with the comparison table and charts), and the
// comparison as a plain-text table for the terminal.

import { mkdir } from 'node:fs/promises';
import type { SimulationReport } from './forecast.ts';
import { writeCsvSeries } from './csv.ts';
import { writeHtmlReport, type HtmlReportOptions } from './html.ts';
import { writeJsonReport } from './json.ts';

export type { ReportOptions } from './format.ts';
export type { HtmlReportOptions } from './html.ts';
export { formatTotalsTable } from './text.ts';
export { formatJsonReport, jsonReport, writeJsonReport } from './json.ts';
export { formatSeriesCsv, formatTotalsCsv, writeCsvSeries } from './csv.ts';
export { renderHtmlReport, writeHtmlReport } from './html.ts';
export { comparisonRows, type ComparisonRow } from './rows.ts';
export { forecastRows, renderForecastCharts, type SimulationReport } from './forecast.ts';

export interface ReportPaths {
  json: string;
  series: string;
  totals: string;
  html: string;
}

/** Writes report.json, series.csv, totals.csv and report.html into dir (created if missing). */
export async function writeReport(result: SimulationReport, dir: string, opts: HtmlReportOptions = {}): Promise<ReportPaths> {
  await mkdir(dir, { recursive: true });
  const json = await writeJsonReport(result, dir, opts);
  const { series, totals } = await writeCsvSeries(result, dir);
  const html = await writeHtmlReport(result, dir, opts);
  return { json, series, totals, html };
}

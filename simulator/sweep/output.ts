// The sweep's outputs: sweep.json (the analysis), sweep.md (a table per scenario), sweep.html (the
// same tables with each scenario's chart inline, one page to open in a browser) and one SVG chart
// per scenario (each policy's settings and frontier, batch outcome against online risk, with the
// bound). The SVG is written by hand: a scatter with step lines needs no chart library, and the
// file stays small and diffable for the docs.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RULES, type ScenarioAnalysis, type Stats, type SweepAnalysis } from './analyse.ts';
import { BATCH_OUTCOME, ONLINE_RISK } from './objectives.ts';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
const spread = (s: Stats, f: (x: number) => string) => (s.n > 1 ? `${f(s.mean)} (${f(s.min)}-${f(s.max)}, sd ${f(s.stddev)})` : f(s.mean));

export function formatMarkdown(a: SweepAnalysis): string {
  const out: string[] = ['# Sweep', ''];
  out.push(`Batch outcome: ${BATCH_OUTCOME.label}. Online risk: ${ONLINE_RISK.label}. Bound: ${pct(a.riskBound)}.`);
  out.push(`Training seeds ${a.seeds.training.join(', ')}; held-out seeds ${a.seeds.heldOut.join(', ')}.`, '');
  for (const r of RULES) out.push(`- ${r}`);
  for (const s of a.scenarios) out.push('', ...scenarioMarkdown(s));
  return `${out.join('\n')}\n`;
}

function scenarioMarkdown(s: ScenarioAnalysis): string[] {
  const out = [`## ${s.scenario}`, ''];
  out.push(`![${s.scenario}: batch outcome against online risk per setting](${s.scenario}.svg)`, '');
  if (!s.seeded) out.push('One trace: training and held-out figures are the same run (no spread).', '');
  out.push('| policy | best setting (risk <= bound) | held-out batch: mean (min-max, sd) | held-out risk: mean (max) | frontier (training means) |', '|---|---|---|---|---|');
  for (const p of s.policies) {
    const front = p.frontier.map((l) => {
      const pt = p.points.find((x) => x.label === l)!;
      return `${l}: ${fmt(pt.batch.mean)} @ ${pct(pt.risk.mean)}`;
    });
    const h = p.heldOut;
    out.push(`| ${p.policy} | ${p.best ?? 'none meets the bound'} | ${h ? spread(h.batch, (x) => fmt(x)) : '-'} | ${h ? `${pct(h.risk.mean)} (${pct(h.risk.max)})${h.withinBound ? '' : ' over the bound'}` : '-'} | ${front.join('<br>')} |`);
  }
  const c = s.comparison;
  const verdict = { tidal: `${c.tidal} ahead`, peer: `${c.peer ?? 'a peer'} ahead`, tie: 'tie', none: 'no comparison' }[c.verdict];
  out.push('', `${c.tidal} against the best peer${c.peer ? ` (${c.peer})` : ''}: **${verdict}**${c.ratio !== null ? `, ratio ${fmt(c.ratio, 3)}` : ''}; ${c.reason}.`);
  return out;
}

/** A scatter of every setting (training means) per policy, frontier joined, the bound as a dashed line. */
export function frontierSvg(s: ScenarioAnalysis, riskBound: number): string {
  const W = 700, H = 400, L = 70, R = 200, T = 30, B = 50;
  const pts = s.policies.flatMap((p) => p.points);
  const maxRisk = Math.max(riskBound * 2, ...pts.map((p) => p.risk.mean)) * 1.05 || 1;
  const maxBatch = Math.max(1, ...pts.map((p) => p.batch.mean)) * 1.05;
  const x = (r: number) => L + (r / maxRisk) * (W - L - R);
  const y = (b: number) => H - B - (b / maxBatch) * (H - T - B);
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const e: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(s.scenario)}: batch outcome against online risk per setting</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="13">${esc(s.scenario)}: frontier per policy (training means)</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(ONLINE_RISK.label)}</text>`,
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(BATCH_OUTCOME.label)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const r = (maxRisk * k) / 4, b = (maxBatch * k) / 4;
    e.push(`<text x="${x(r).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${pct(r)}</text>`, `<text x="${L - 4}" y="${(y(b) + 4).toFixed(1)}" text-anchor="end">${fmt(b, 0)}</text>`);
  }
  e.push(`<line x1="${x(riskBound).toFixed(1)}" y1="${T}" x2="${x(riskBound).toFixed(1)}" y2="${H - B}" stroke="#888" stroke-dasharray="4 3"/>`, `<text x="${(x(riskBound) + 3).toFixed(1)}" y="${T + 10}" fill="#555">bound ${pct(riskBound)}</text>`);
  s.policies.forEach((p, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const front = p.frontier.map((l) => p.points.find((q) => q.label === l)!);
    if (front.length > 1) e.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${front.map((q) => `${x(q.risk.mean).toFixed(1)},${y(q.batch.mean).toFixed(1)}`).join(' ')}"/>`);
    for (const q of p.points) {
      const mark = q.label === p.best ? 'stroke="black" stroke-width="1.5"' : '';
      e.push(`<circle cx="${x(q.risk.mean).toFixed(1)}" cy="${y(q.batch.mean).toFixed(1)}" r="${q.onFrontier ? 4 : 2.5}" fill="${c}" ${mark}><title>${esc(`${p.policy} ${q.label}: ${fmt(q.batch.mean)} at ${pct(q.risk.mean)}`)}</title></circle>`);
    }
    e.push(`<circle cx="${W - R + 16}" cy="${T + 8 + i * 16}" r="4" fill="${c}"/>`, `<text x="${W - R + 26}" y="${T + 12 + i * 16}">${esc(p.policy)}</text>`);
  });
  e.push('</svg>');
  return `${e.join('\n')}\n`;
}

const html = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One HTML page: the rules, then per scenario its chart (inline SVG) and the frontier table of sweep.md. */
export function formatHtml(a: SweepAnalysis): string {
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Sweep: batch outcome against online risk</title>',
    '<style>body{font-family:sans-serif;max-width:72rem;margin:1rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}td.n{text-align:right}</style>',
    '</head><body>',
    '<h1>Sweep</h1>',
    `<p>Batch outcome: ${html(BATCH_OUTCOME.label)}. Online risk: ${html(ONLINE_RISK.label)}. Bound: ${pct(a.riskBound)}. Training seeds ${a.seeds.training.join(', ')}; held-out seeds ${a.seeds.heldOut.join(', ')}.</p>`,
    `<ul>${RULES.map((r) => `<li>${html(r)}</li>`).join('')}</ul>`,
  ];
  for (const s of a.scenarios) {
    out.push(`<h2>${html(s.scenario)}</h2>`, frontierSvg(s, a.riskBound));
    if (!s.seeded) out.push('<p>One trace: training and held-out figures are the same run (no spread).</p>');
    out.push('<table><thead><tr><th>policy</th><th>best setting (risk &lt;= bound)</th><th>held-out batch: mean (min-max, sd)</th><th>held-out risk: mean (max)</th><th>frontier (training means): setting, batch, risk</th></tr></thead><tbody>');
    for (const p of s.policies) {
      const h = p.heldOut;
      const front = p.frontier.map((l) => {
        const pt = p.points.find((x) => x.label === l)!;
        return `${html(l)}: ${fmt(pt.batch.mean)} @ ${pct(pt.risk.mean)}`;
      });
      out.push(
        `<tr><td>${html(p.policy)}</td><td>${html(p.best ?? 'none meets the bound')}</td><td class="n">${h ? spread(h.batch, (x) => fmt(x)) : '-'}</td><td class="n">${h ? `${pct(h.risk.mean)} (${pct(h.risk.max)})${h.withinBound ? '' : ' over the bound'}` : '-'}</td><td>${front.join('<br>')}</td></tr>`,
      );
    }
    const c = s.comparison;
    const verdict = { tidal: `${c.tidal} ahead`, peer: `${c.peer ?? 'a peer'} ahead`, tie: 'tie', none: 'no comparison' }[c.verdict];
    out.push('</tbody></table>', `<p>${html(c.tidal)} against the best peer${c.peer ? ` (${html(c.peer)})` : ''}: <b>${html(verdict)}</b>${c.ratio !== null ? `, ratio ${fmt(c.ratio, 3)}` : ''}; ${html(c.reason)}.</p>`);
  }
  out.push('</body></html>');
  return `${out.join('\n')}\n`;
}

export interface SweepOutputs {
  json: string;
  markdown: string;
  html: string;
  charts: string[];
}

export async function writeSweepOutputs(a: SweepAnalysis, dir: string): Promise<SweepOutputs> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'sweep.json');
  const markdown = join(dir, 'sweep.md');
  await writeFile(json, `${JSON.stringify(a, null, 2)}\n`);
  await writeFile(markdown, formatMarkdown(a));
  const page = join(dir, 'sweep.html');
  await writeFile(page, formatHtml(a));
  const charts: string[] = [];
  for (const s of a.scenarios) {
    const f = join(dir, `${s.scenario}.svg`);
    await writeFile(f, frontierSvg(s, a.riskBound));
    charts.push(f);
  }
  return { json, markdown, html: page, charts };
}

// A small document model the runbook is built in once and rendered twice: as Markdown (to read in a
// repository or paste in a ticket) and as a self-contained HTML page (to open on the night).

import { escapeHtml } from '../report/format.ts';

export type Block =
  | { kind: 'h2'; text: string; id: string }
  | { kind: 'p'; text: string }
  | { kind: 'ul'; items: string[] }
  | { kind: 'table'; id: string; head: string[]; rows: string[][] }
  | { kind: 'code'; text: string };

export interface Doc {
  title: string;
  blocks: Block[];
}

/** Inline markup both renderers understand: `code` only. */
const CODE = /`([^`]+)`/g;

export function toMarkdown(d: Doc): string {
  const out = [`# ${d.title}`, ''];
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  for (const b of d.blocks) {
    switch (b.kind) {
      case 'h2':
        out.push(`## ${b.text}`, '');
        break;
      case 'p':
        out.push(b.text, '');
        break;
      case 'ul':
        out.push(...b.items.map((i) => `- ${i}`), '');
        break;
      case 'table':
        out.push(`| ${b.head.map(cell).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`), '');
        break;
      case 'code':
        out.push('```sh', b.text, '```', '');
        break;
    }
  }
  return out.join('\n');
}

const CSS = `
body { margin: 0; background: #f4f5f7; color: #1d2329; font: 15px/1.5 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 19px; margin: 32px 0 8px; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
pre { background: #1d2329; color: #f4f5f7; padding: 12px 16px; border-radius: 6px; overflow-x: auto; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { border: 1px solid #dde1e6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f3; }
`;

function inline(s: string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(CODE)) {
    out += escapeHtml(s.slice(last, m.index)) + `<code>${escapeHtml(m[1]!)}</code>`;
    last = m.index + m[0].length;
  }
  return out + escapeHtml(s.slice(last));
}

export function toHtml(d: Doc): string {
  const body: string[] = [];
  for (const b of d.blocks) {
    switch (b.kind) {
      case 'h2':
        body.push(`<h2 id="${escapeHtml(b.id)}">${inline(b.text)}</h2>`);
        break;
      case 'p':
        body.push(`<p>${inline(b.text)}</p>`);
        break;
      case 'ul':
        body.push(`<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
        break;
      case 'table':
        body.push(`<table id="${escapeHtml(b.id)}"><thead><tr>${b.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
        break;
      case 'code':
        body.push(`<pre><code>${escapeHtml(b.text)}</code></pre>`);
        break;
    }
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.title)}</title>
<style>${CSS}</style>
</head>
<body><main>
<h1>${escapeHtml(d.title)}</h1>
${body.join('\n')}
</main></body>
</html>
`;
}

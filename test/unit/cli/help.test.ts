// Every `tidal ... --help` text, walked from the top command down: each option states its default at
// most once (commander appends "(default: ...)" to an option given a default, so a description that
// also says "(default)" printed it twice: "(default) (default: true)").

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../scheduler/cli/tidal.ts', import.meta.url));
const help = (path: string[]): string => execFileSync(process.execPath, [CLI, ...path, '--help'], { encoding: 'utf8' });

/** Subcommand names listed under "Commands:" (help itself left out). */
function subcommands(text: string): string[] {
  const at = text.indexOf('Commands:');
  if (at < 0) return [];
  return [...text.slice(at).matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

/** Each option's help entry (its first line and the indented lines that continue it), whitespace folded. */
function optionEntries(text: string): string[] {
  const at = text.indexOf('Options:');
  if (at < 0) return [];
  const end = text.indexOf('Commands:', at);
  const out: string[] = [];
  for (const line of text.slice(at, end < 0 ? undefined : end).split('\n').slice(1)) {
    if (/^ {2}-/.test(line)) out.push(line.trim());
    else if (line.trim() !== '' && out.length > 0) out[out.length - 1] += ` ${line.trim()}`;
  }
  return out;
}

describe('help texts', () => {
  const pages: Array<[string, string]> = [];
  const walk = (path: string[]) => {
    const text = help(path);
    pages.push([path.join(' ') || 'tidal', text]);
    for (const c of subcommands(text)) walk([...path, c]);
  };
  walk([]);

  it('walks every command (the walk is not vacuous)', () => {
    expect(pages.length).toBeGreaterThan(12);
    expect(pages.map(([p]) => p)).toEqual(expect.arrayContaining(['config scheduler', 'deschedule', 'simulate', 'plan', 'trace record']));
  });

  it.each(pages)('%s: no option states its default twice', (_page, text) => {
    const doubled = optionEntries(text).filter((e) => (e.match(/\(default/g) ?? []).length > 1);
    expect(doubled).toEqual([]);
  });
});

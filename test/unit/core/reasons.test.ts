import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// kube-scheduler passes a FailedScheduling message to EventRecorder.Eventf as the format string
// (pkg/scheduler/schedule_one.go), so a "%" in a filter reason garbles the pod's event
// ("90% load" becomes "90%!l(MISSING)oad"). Every reason the plugins build must be free of it.
const PLUGINS = fileURLToPath(new URL('../../../scheduler/core/plugins/', import.meta.url));

/** The text of each failWith(...) and verdict(...) call (up to its closing line) and each `reason:` literal. */
function reasonSources(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/\b(?:failWith|verdict)\([^;]*?;/gs)) out.push(m[0]);
  for (const m of src.matchAll(/reason:\s*(`[^`]*`|'[^']*'|"[^"]*")/g)) out.push(m[1]!);
  return out;
}

describe('filter reasons', () => {
  const files = readdirSync(PLUGINS).filter((f) => f.endsWith('.ts'));

  it('finds the plugins and their reasons (the scan is not vacuous)', () => {
    expect(files.length).toBeGreaterThan(5);
    const all = files.flatMap((f) => reasonSources(readFileSync(join(PLUGINS, f), 'utf8')));
    expect(all.length).toBeGreaterThan(5);
  });

  it.each(files)('%s builds no reason with a percent sign in it', (file) => {
    const offending = reasonSources(readFileSync(join(PLUGINS, file), 'utf8')).filter((s) => s.includes('%'));
    expect(offending).toEqual([]);
  });
});

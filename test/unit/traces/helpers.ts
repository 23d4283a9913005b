// Temporary folders for trace tests, removed after each test file.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

export async function tempDir(prefix = 'tidal-traces-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Write files (name -> lines) into a fresh folder; returns the folder. */
export async function writeTables(files: Record<string, string[]>): Promise<string> {
  const d = await tempDir();
  for (const [name, lines] of Object.entries(files)) await writeFile(join(d, name), lines.join('\n') + '\n');
  return d;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const START = Date.parse('2026-11-04T00:00:00+08:00');
/** Trace seconds to event time with the default start. */
export const at = (sec: number): number => START + sec * 1000;
export const GiB = 2 ** 30;

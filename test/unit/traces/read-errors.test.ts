// Every read error names the file (and the line reached, where there is one): a truncated gzip, a
// .gz that is not gzip, a missing file. No bare "unexpected end of file" or "incorrect header check".

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTidalTrace } from '../../../simulator/traces/index.ts';
import { readLines } from '../../../simulator/traces/lines.ts';
import { collect, tempDir } from './helpers.ts';

const SAMPLE = new URL('../../../simulator/samples/double11-small.jsonl', import.meta.url).pathname;

describe('read errors name the file', () => {
  it('a truncated gzip: file, the line reached, and what is wrong', async () => {
    const f = join(await tempDir(), 'cut.jsonl.gz');
    const gz = gzipSync(await readFile(SAMPLE));
    await writeFile(f, gz.subarray(0, Math.floor(gz.length / 2)));
    const err = await collect((await readTidalTrace(f)).events()).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(new RegExp(`^${f}:\\d+: the gzip stream ends early \\(a truncated file\\?\\)$`));
    expect(Number(/:(\d+):/.exec(err!.message)![1])).toBeGreaterThan(1000);
  });

  it('a .gz name without gzip content', async () => {
    const f = join(await tempDir(), 'plain.jsonl.gz');
    await writeFile(f, '{"type":"node-remove","time":1,"name":"n"}\n');
    await expect(readTidalTrace(f)).rejects.toThrow(new RegExp(`^${f}:1: not a valid gzip stream \\(incorrect header check\\); a \\.gz name needs gzip content$`));
  });

  it('a missing file, without a :0:0: position', async () => {
    const f = join(await tempDir(), 'gone.csv');
    await expect(collect(readLines(f))).rejects.toThrow(`${f}: no such file`);
  });
});

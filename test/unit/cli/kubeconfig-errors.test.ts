// A kubeconfig that cannot be read is named, and its bytes are not dumped to the terminal.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../scheduler/cli/state-source.ts';
import { tempDir } from '../traces/helpers.ts';

describe('kubeconfig read errors', () => {
  it('name the file and show one clean line for a garbage file', async () => {
    const f = join(await tempDir(), 'kc');
    await writeFile(f, Buffer.from([0, 1, 0x67, 0x3a, 0x20, 0x5b, 0xff, 0xfe, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d]));
    let message = '';
    try {
      loadKubeConfig(f);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`kubeconfig ${f}: cannot read it: null byte is not allowed in input (1:1)`);
  });

  it('name a missing file and one without a current cluster', async () => {
    expect(() => loadKubeConfig('/nonexistent/kc')).toThrow("kubeconfig /nonexistent/kc: cannot read it: ENOENT: no such file or directory, open '/nonexistent/kc'");
    const f = join(await tempDir(), 'empty-kc');
    await writeFile(f, 'apiVersion: v1\nkind: Config\n');
    expect(() => loadKubeConfig(f)).toThrow(`no current cluster in kubeconfig ${f} (use --kubeconfig, or --state FILE for a snapshot)`);
  });
});

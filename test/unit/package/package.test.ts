// The package as users get it: `npm pack` (which builds dist/ through prepack), the tarball installed
// with its production dependencies into an empty folder by deploy/image/install-package.sh (what
// `npm install --global` and the Containerfile do), then the `tidal` bin run from an unrelated folder.
// Then the image's runtime filesystem, as far as this machine can build it without pulling a base
// image: the Node 24 binary and the libraries it links, plus that installed tree at /opt/tidal, run
// with the Containerfile's ENTRYPOINT and USER inside a chroot mounted read-only.
// Takes ~30-60 s (npm install of the production dependencies from the local npm cache).

import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSweepFile } from '../../../simulator/sweep/file.ts';
import type { RunResult } from '../../../simulator/sweep/run-one.ts';
import { runSweep } from '../../../simulator/sweep/runner.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
// npm and the bin's `#!/usr/bin/env node` must find Node 24 (the one running this test) first.
const PATH = [dirname(process.execPath), process.env.PATH].join(delimiter);

let work: string;
let tarball: string;
let rootfs: string; // the image's filesystem; the package is installed at /opt/tidal inside it
let prefix: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tidal-package-'));
  const env = { ...process.env, PATH };
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env, maxBuffer: 64 << 20 });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
  tarball = join(work, packed[0].filename);
  rootfs = join(work, 'rootfs');
  prefix = join(rootfs, 'opt/tidal');
  await run('sh', [join(ROOT, 'deploy/image/install-package.sh'), tarball, prefix], { cwd: work, env, maxBuffer: 64 << 20 });
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** The installed `tidal`, run from an empty folder that has nothing to do with the repository. */
async function tidal(args: string[]) {
  const cwd = mkdtempSync(join(work, 'cwd-'));
  return run(join(prefix, 'bin/tidal'), args, { cwd, env: { PATH, HOME: cwd } });
}

describe('the npm package', { timeout: 30_000 }, () => {
  it('packs the built JS, declarations and the runtime assets, no sources or tests', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('dist/scheduler/cli/tidal.js');
    expect(files).toContain('dist/scheduler/core/engine.d.ts');
    for (const p of readdirSync(join(ROOT, 'profiles')).filter((f) => f.endsWith('.yaml'))) expect(files).toContain(`profiles/${p}`);
    expect(files).toContain('scheduler/extender/sample-state.json');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('bench/') || f.includes('node_modules/'))).toEqual([]);
    // The emitted JS imports .js (tsconfig.build.json rewrites the sources' .ts specifiers).
    const cli = readFileSync(join(prefix, 'lib/node_modules/tidal/dist/scheduler/cli/tidal.js'), 'utf8');
    expect(cli.startsWith('#!/usr/bin/env node')).toBe(true);
    expect(cli).toMatch(/from '\.\/extender\.js'/);
    expect(cli).not.toMatch(/\.ts'/);
  });

  it('installs only production dependencies', () => {
    const modules = readdirSync(join(prefix, 'lib/node_modules/tidal/node_modules'));
    expect(modules).toContain('commander');
    for (const dev of ['typescript', 'vitest', 'fast-check', 'node', 'playwright-core']) expect(modules).not.toContain(dev);
  });

  it('tidal --version prints the package version from any folder', async () => {
    const { stdout } = await tidal(['--version']);
    expect(stdout.trim()).toBe(PKG.version);
  });

  it('tidal profile validate accepts a shipped profile', async () => {
    const { stdout } = await tidal(['profile', 'validate', join(prefix, 'lib/node_modules/tidal/profiles/double11.yaml')]);
    expect(stdout).toMatch(/valid profile "double11"/);
  });

  it("runs a sweep's shards as the Indexed Job's pods do (worker threads from dist/), merges them, and the runs equal the source tree's", async () => {
    const dir = mkdtempSync(join(work, 'sweep-'));
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, 'scenarios:\n  - synthetic: normal-week\n    name: tiny\n    days: 0.1\nseeds:\n  training: [1]\n  heldOut: [2, 3, 4]\npolicies:\n  koordinator: {}\n  time-sharing: {}\n');
    const out = join(dir, 'results');
    await tidal(['sweep', 'run', file, '--out', out, '--shard', '0', '--shards', '2', '--workers', '2']);
    await tidal(['sweep', 'run', file, '--out', out, '--shard', '1', '--shards', '2', '--workers', '1']);
    const { stdout } = await tidal(['sweep', 'merge', out]);
    expect(stdout).toMatch(/wrote .*sweep\.md/);
    const installed = readdirSync(join(out, 'runs')).map((f) => JSON.parse(readFileSync(join(out, 'runs', f), 'utf8')) as RunResult);
    const fromSource = await runSweep(loadSweepFile(file), join(dir, 'source'), { threads: false });
    const figures = (rs: RunResult[]) => rs.map((r) => `${r.policy} ${r.seed} ${r.digest.totals} ${r.digest.series}`).sort();
    expect(installed).toHaveLength(8);
    expect(figures(installed)).toEqual(figures(fromSource));
  }, 240_000);

  it('tidal simulate replays on worker threads from dist/ and writes the single-thread CSVs byte for byte', async () => {
    const dir = mkdtempSync(join(work, 'simulate-'));
    const profile = join(prefix, 'lib/node_modules/tidal/profiles/double11.yaml');
    const args = (out: string, threads: string) => ['simulate', '--trace', join(ROOT, 'simulator/samples/double11-small.jsonl'), '--profile', profile, '--policy', 'kube-default', 'time-sharing', '--until', '2026-11-04T03:00:00+08:00', '--no-progress', '--threads', threads, '--out', join(dir, out)];
    await tidal(args('one', '1'));
    await tidal(args('two', '2'));
    for (const f of ['totals.csv', 'series.csv']) expect(readFileSync(join(dir, 'two', f), 'utf8')).toBe(readFileSync(join(dir, 'one', f), 'utf8'));
  }, 240_000);

  it('tidal demo-extender finds its shipped sample state and profile', async () => {
    const { stdout } = await tidal(['demo-extender']);
    expect(stdout).toMatch(/built-in sample/);
    expect(stdout).toMatch(/profile daily-tidal/);
  }, 30_000);
});

// The Containerfile's runtime contract, read from the file itself.
function containerfile(): { entrypoint: string[]; user: string } {
  const text = readFileSync(join(ROOT, 'Containerfile'), 'utf8');
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(text)![1]) as string[];
  const users = [...text.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
  return { entrypoint, user: users.at(-1)! };
}

const canChroot = process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && process.platform === 'linux';

describe.skipIf(!canChroot)('the image filesystem (chroot, read-only, as the image user)', () => {
  beforeAll(async () => {
    // The runtime stage's node: /usr/local/bin/node, as in the node:24 images; here the Node 24
    // binary this test runs on, with the shared libraries it links.
    const node = process.execPath;
    mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
    cpSync(node, join(rootfs, 'usr/local/bin/node'));
    const { stdout } = await run('ldd', [node]);
    for (const lib of stdout.matchAll(/(\/\S+\.so[.\d]*)/g)) {
      mkdirSync(join(rootfs, dirname(lib[1])), { recursive: true });
      copyFileSync(realpathSync(lib[1]), join(rootfs, lib[1]));
    }
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  }, 60_000);

  /** Runs the image's ENTRYPOINT with args inside the rootfs, mounted read-only, as USER. */
  async function inImage(args: string[]) {
    const { entrypoint, user } = containerfile();
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = [
      `mount --bind ${q(rootfs)} ${q(rootfs)}`,
      `mount -o remount,bind,ro ${q(rootfs)}`,
      `exec chroot --userspec=${user} ${q(rootfs)} ${[...entrypoint, ...args].map(q).join(' ')}`,
    ].join(' && ');
    return run('unshare', ['--mount', '--propagation', 'private', 'env', '-i', 'NODE_ENV=production', 'sh', '-c', script]);
  }

  it('runs as a non-root user', () => {
    expect(containerfile().user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it('tidal --version runs with nothing but the image contents', async () => {
    const { stdout } = await inImage(['--version']);
    expect(stdout.trim()).toBe(PKG.version);
  }, 30_000);

  it('validates a shipped profile on a read-only root', async () => {
    const { stdout } = await inImage(['profile', 'validate', '/opt/tidal/lib/node_modules/tidal/profiles/double11.yaml']);
    expect(stdout).toMatch(/valid profile "double11"/);
  }, 30_000);

  it('the root really is read-only in that chroot (the checks above would catch a write)', async () => {
    const { user } = containerfile();
    const script = `mount --bind '${rootfs}' '${rootfs}' && mount -o remount,bind,ro '${rootfs}' && exec chroot --userspec=${user} '${rootfs}' /usr/local/bin/node -e "require('fs').writeFileSync('/tmp/x','x')"`;
    await expect(run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script])).rejects.toMatchObject({ stderr: expect.stringMatching(/EROFS|read-only/i) });
  }, 30_000);
});

// The Indexed Job a sweep fans out as (simulator/sweep/job.ts): what each shard pod runs, where it
// reads the sweep file, where it writes, and the refusals that name the flag or the scenario.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSweep } from '../../../simulator/sweep/file.ts';
import { sweepJobIssues, sweepJobManifests, sweepMergeJobManifest, type SweepJobOptions } from '../../../simulator/sweep/job.ts';

const SYNTHETIC = 'scenarios:\n  - synthetic: normal-week\n    days: 1\nseeds:\n  training: [1]\n  heldOut: [2, 3, 4]\npolicies:\n  koordinator:\n    reclaimCpuPercent: [50, 60]\n';

function options(text: string, file: string, over: Partial<SweepJobOptions> = {}): SweepJobOptions {
  return { sweepFile: file, sweepText: text, spec: parseSweep(text, file), name: 'd11', namespace: 'sims', image: 'registry.example/tidal:0.1.0', shards: 4, workers: 2, memory: '4Gi', resultsClaim: 'sweep-results', backoffLimitPerIndex: 2, ...over };
}

type Obj = { kind: string; metadata: { name: string; namespace: string }; data?: Record<string, string>; spec: any };

describe('sweep Indexed Job', () => {
  it('runs shard $(JOB_COMPLETION_INDEX) of N per completion index, the sweep file from a ConfigMap, runs to the results claim', () => {
    const [cm, job] = sweepJobManifests(options(SYNTHETIC, '/work/sweeps/week.yaml')) as Obj[];
    expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'd11-sweep', namespace: 'sims' }, data: { 'week.yaml': SYNTHETIC } });
    expect(job).toMatchObject({ kind: 'Job', metadata: { name: 'd11', namespace: 'sims' }, spec: { completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 2 } });
    const pod = job!.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532 });
    const c = pod.containers[0];
    expect(c.args).toEqual(['sweep', 'run', '/sweep/week.yaml', '--out', '/results/d11', '--shard', '$(JOB_COMPLETION_INDEX)', '--shards', '4', '--workers', '2']);
    expect(c.resources).toEqual({ requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.volumeMounts).toEqual([
      { name: 'results', mountPath: '/results' },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'sweep', mountPath: '/sweep', readOnly: true },
    ]);
    expect(pod.volumes).toContainEqual({ name: 'results', persistentVolumeClaim: { claimName: 'sweep-results' } });
    expect(pod.volumes).toContainEqual({ name: 'sweep', configMap: { name: 'd11-sweep' } });
  });

  it('the merge Job analyses the same results folder and reads no sweep file', () => {
    const merge = sweepMergeJobManifest(options(SYNTHETIC, '/work/sweeps/week.yaml')) as Obj;
    expect(merge.metadata.name).toBe('d11-merge');
    const c = merge.spec.template.spec.containers[0];
    expect(c.args).toEqual(['sweep', 'merge', '/results/d11']);
    expect(c.volumeMounts.map((m: { name: string }) => m.name)).toEqual(['results', 'tmp']);
  });

  it('a trace scenario needs a data claim holding the folder of the sweep file, its traces and profiles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidal-sweep-job-'));
    const text = 'scenarios:\n  - name: mine\n    trace: traces/week.jsonl.gz\n    profile: profiles/p.yaml\nseeds:\n  training: [1]\n  heldOut: [2, 3, 4]\npolicies:\n  time-sharing: {}\n';
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, text);
    expect(sweepJobIssues(options(text, file))).toEqual([`scenario mine replays ${join(dir, 'traces/week.jsonl.gz')}: a trace file needs --data-claim (a volume holding the sweep file's folder)`]);
    const [job] = sweepJobManifests(options(text, file, { dataClaim: 'sweep-data' })) as Obj[];
    expect(job!.kind).toBe('Job');
    const c = job!.spec.template.spec.containers[0];
    expect(c.args.slice(0, 3)).toEqual(['sweep', 'run', '/data/sweep.yaml']);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data', readOnly: true });
    // Held by a claim that mirrors only a subfolder, the trace is out of reach: named.
    expect(sweepJobIssues(options(text, file, { dataClaim: 'sweep-data', dataDir: join(dir, 'profiles') }))).toEqual([
      `the sweep file ${file} is not inside --data-dir ${join(dir, 'profiles')}`,
      `scenario mine: ${join(dir, 'traces/week.jsonl.gz')} is not inside --data-dir ${join(dir, 'profiles')}, which the data claim holds`,
    ]);
  });

  it('refuses names Kubernetes would refuse, naming the flag', () => {
    const issues = sweepJobIssues(options(SYNTHETIC, '/w/s.yaml', { name: 'Big_Name', namespace: 'x y', resultsClaim: '', image: ' ', parallelism: 9 }));
    expect(issues).toEqual([
      '--name must be a DNS label of at most 57 characters (got "Big_Name")',
      '--namespace must be a DNS label (got "x y")',
      '--image must be an image reference (got " ")',
      '--results-claim must name a PersistentVolumeClaim (got "")',
      '--parallelism must be at most --shards (9 > 4)',
    ]);
    expect(() => sweepJobManifests(options(SYNTHETIC, '/w/s.yaml', { name: 'a'.repeat(58) }))).toThrow(/--name must be a DNS label of at most 57/);
  });
});

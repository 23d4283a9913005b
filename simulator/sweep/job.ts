// A sweep fanned out on Kubernetes: an Indexed Job whose completion index is the shard, each pod
// running `tidal sweep run FILE --shard $(JOB_COMPLETION_INDEX) --shards N` into one results volume,
// then a second Job that runs `tidal sweep merge` over that volume. Kubernetes is the work queue: a
// failed shard is retried on its own (backoffLimitPerIndex) and a finished run is never recomputed,
// because each run is cached by key in the shared folder (runner.ts).
//
// Where the sweep file comes from:
// - a ConfigMap holding it (the default): enough for synthetic scenarios, which the image generates
//   from its own recipes (make.ts);
// - a data volume (--data-claim) holding the sweep file's folder as it is on disk here: needed when
//   a scenario replays a trace file; every trace and profile the file names must lie inside that folder.
// The merge must run the same image as the shards: the cache key digests the code (code-digest.ts).
// Pure: builds the objects, writes nothing.

import { basename, dirname, relative, resolve, sep } from 'node:path';
import type { SweepSpec } from './file.ts';

export interface SweepJobOptions {
  /** The sweep file as given on the command line, and its content. */
  sweepFile: string;
  sweepText: string;
  spec: SweepSpec;
  /** Job name: the shard Job is NAME, the merge Job NAME-merge, the ConfigMap NAME-sweep. */
  name: string;
  namespace: string;
  image: string;
  shards: number;
  /** Shard pods running at once (default: every shard). */
  parallelism?: number;
  /** Worker threads per shard pod; its CPU request. */
  workers: number;
  /** Memory request and limit per shard pod (a Kubernetes quantity). */
  memory: string;
  /** A ReadWriteMany PersistentVolumeClaim the shards write their runs to (mounted at /results). */
  resultsClaim: string;
  /** A PersistentVolumeClaim holding the sweep file's folder (mounted read-only at /data). */
  dataClaim?: string;
  /** The local folder the data claim holds (default: the sweep file's folder). */
  dataDir?: string;
  /** Retries of one failed shard before the Job gives that index up. */
  backoffLimitPerIndex: number;
}

export const RESULTS_MOUNT = '/results';
export const DATA_MOUNT = '/data';
const CONFIG_MOUNT = '/sweep';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Job names are labels on their pods (batch.kubernetes.io/job-name): 63 characters, less the "-merge" suffix. */
const MAX_NAME = 63 - '-merge'.length;

/** Every problem with the options, each naming the flag or the sweep file's scenario. */
export function sweepJobIssues(o: SweepJobOptions): string[] {
  const issues: string[] = [];
  if (!DNS_LABEL.test(o.name) || o.name.length > MAX_NAME) issues.push(`--name must be a DNS label of at most ${MAX_NAME} characters (got ${JSON.stringify(o.name)})`);
  if (!DNS_LABEL.test(o.namespace)) issues.push(`--namespace must be a DNS label (got ${JSON.stringify(o.namespace)})`);
  if (o.image.trim() === '' || /\s/.test(o.image)) issues.push(`--image must be an image reference (got ${JSON.stringify(o.image)})`);
  if (!DNS_LABEL.test(o.resultsClaim)) issues.push(`--results-claim must name a PersistentVolumeClaim (got ${JSON.stringify(o.resultsClaim)})`);
  if (o.dataClaim !== undefined && !DNS_LABEL.test(o.dataClaim)) issues.push(`--data-claim must name a PersistentVolumeClaim (got ${JSON.stringify(o.dataClaim)})`);
  if (o.parallelism !== undefined && o.parallelism > o.shards) issues.push(`--parallelism must be at most --shards (${o.parallelism} > ${o.shards})`);
  const traces = o.spec.scenarios.filter((s) => s.kind === 'trace');
  if (o.dataClaim === undefined) {
    for (const s of traces) issues.push(`scenario ${s.name} replays ${s.trace}: a trace file needs --data-claim (a volume holding the sweep file's folder)`);
  } else {
    const root = resolve(o.dataDir ?? dirname(o.sweepFile));
    const inside = (p: string) => p === root || p.startsWith(root + sep);
    if (!inside(resolve(o.sweepFile))) issues.push(`the sweep file ${o.sweepFile} is not inside --data-dir ${root}`);
    for (const s of traces) {
      for (const p of [s.trace, s.profile]) if (!inside(p)) issues.push(`scenario ${s.name}: ${p} is not inside --data-dir ${root}, which the data claim holds`);
    }
  }
  return issues;
}

/** Where a shard pod reads the sweep file. */
function sweepPathInPod(o: SweepJobOptions): string {
  if (o.dataClaim === undefined) return `${CONFIG_MOUNT}/${basename(o.sweepFile)}`;
  const rel = relative(resolve(o.dataDir ?? dirname(o.sweepFile)), resolve(o.sweepFile));
  return `${DATA_MOUNT}/${rel.split(sep).join('/')}`;
}

const labels = (o: SweepJobOptions, component: string) => ({
  'app.kubernetes.io/name': 'tidal',
  'app.kubernetes.io/component': component,
  'tidal.io/sweep': o.name,
});

/** The pod template both Jobs share: non-root, read-only root filesystem, the volumes mounted. */
function podSpec(o: SweepJobOptions, component: string, args: string[], resources: object, readsSweepFile: boolean): object {
  const volumes: object[] = [
    { name: 'results', persistentVolumeClaim: { claimName: o.resultsClaim } },
    { name: 'tmp', emptyDir: {} },
  ];
  const mounts: object[] = [
    { name: 'results', mountPath: RESULTS_MOUNT },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  // The merge reads only the results folder (its plan.json and runs/); the shards read the sweep file.
  if (readsSweepFile && o.dataClaim === undefined) {
    volumes.push({ name: 'sweep', configMap: { name: `${o.name}-sweep` } });
    mounts.push({ name: 'sweep', mountPath: CONFIG_MOUNT, readOnly: true });
  } else if (readsSweepFile) {
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: o.dataClaim, readOnly: true } });
    mounts.push({ name: 'data', mountPath: DATA_MOUNT, readOnly: true });
  }
  return {
    metadata: { labels: labels(o, component) },
    spec: {
      restartPolicy: 'Never',
      // 65532 is the image's user (Containerfile); fsGroup lets it write the results volume.
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: component,
          image: o.image,
          args,
          resources,
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}

/** The shard Job and, in ConfigMap mode, the ConfigMap holding the sweep file. */
export function sweepJobManifests(o: SweepJobOptions): object[] {
  const issues = sweepJobIssues(o);
  if (issues.length > 0) throw new Error(issues.join('\n'));
  const out: object[] = [];
  if (o.dataClaim === undefined) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${o.name}-sweep`, namespace: o.namespace, labels: labels(o, 'sweep') },
      data: { [basename(o.sweepFile)]: o.sweepText },
    });
  }
  // $(JOB_COMPLETION_INDEX): the Job controller sets this variable in every pod of an Indexed Job,
  // and the kubelet expands $(VAR) in args from the container's environment.
  const args = ['sweep', 'run', sweepPathInPod(o), '--out', `${RESULTS_MOUNT}/${o.name}`, '--shard', '$(JOB_COMPLETION_INDEX)', '--shards', String(o.shards), '--workers', String(o.workers)];
  const resources = { requests: { cpu: String(o.workers), memory: o.memory }, limits: { memory: o.memory } };
  out.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, namespace: o.namespace, labels: labels(o, 'sweep') },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.parallelism ?? o.shards,
      backoffLimitPerIndex: o.backoffLimitPerIndex,
      template: podSpec(o, 'sweep', args, resources, true),
    },
  });
  return out;
}

/** The Job that analyses the shards' runs once they are all in (apply it after the shard Job completes). */
export function sweepMergeJobManifest(o: SweepJobOptions): object {
  const issues = sweepJobIssues(o);
  if (issues.length > 0) throw new Error(issues.join('\n'));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${o.name}-merge`, namespace: o.namespace, labels: labels(o, 'sweep-merge') },
    spec: {
      completions: 1,
      backoffLimit: o.backoffLimitPerIndex,
      template: podSpec(o, 'sweep-merge', ['sweep', 'merge', `${RESULTS_MOUNT}/${o.name}`], { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } }, false),
    },
  };
}

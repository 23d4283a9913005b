// Loads DemandScenario YAML, checking every field. Like profiles, errors name the file, line, column
// and field path, and all of them are reported at once (YamlCheckError).

import { DateTime, IANAZone } from 'luxon';
import { isSeq } from 'yaml';
import { Checker, parseChecked, YamlCheckError, type Path, readYamlFile } from '../../scheduler/config/yaml-checker.ts';
import { parseDuration } from '../../scheduler/core/duration.ts';
import type { LabelSelector } from '../../scheduler/core/model.ts';
import { parseCpuMilli, parseMemoryBytes } from '../../scheduler/core/quantity.ts';
import type { AppSelector, DemandWindow, ExtraBatch, NodeTemplate, Scenario, ScaleOut } from './model.ts';

export const API_VERSION = 'tidal.io/v1alpha1';
export const KIND = 'DemandScenario';

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SPEC_FIELDS = ['timeZone', 'shiftTo', 'step', 'demand', 'scaleOut', 'batch', 'nodes'];
const SELECT_FIELDS = ['all', 'apps', 'namespaces', 'labels'];
const DEMAND_FIELDS = ['name', 'select', 'start', 'end', 'rampUp', 'rampDown', 'cpu', 'memory'];
const SCALE_FIELDS = ['select', 'lag', 'maxFactor'];
const BATCH_FIELDS = ['name', 'namespace', 'from', 'to', 'jobs', 'podsPerJob', 'cpu', 'memory', 'runtime', 'deadline', 'checkpointable', 'priority'];
const NODE_FIELDS = ['name', 'cpu', 'memory', 'maxPods', 'zone', 'labels', 'count', 'max', 'readyBy'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export const ScenarioError = YamlCheckError;
export type ScenarioError = YamlCheckError;

export function loadScenarioFile(file: string): Scenario {
  return parseScenario(readYamlFile(file), file);
}

export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const c = parseChecked(text, file);
  const s = check(c);
  if (c.issues.length > 0 || s === null) throw new ScenarioError(c.issues);
  s.source = file;
  return s;
}

function check(c: Checker): Scenario | null {
  if (!c.isMapping([])) {
    c.fail([], 'a scenario must be a YAML mapping with apiVersion, kind, metadata and spec');
    return null;
  }
  c.onlyKeys([], ['apiVersion', 'kind', 'metadata', 'spec']);
  if (c.value(['apiVersion']) !== API_VERSION) c.fail(['apiVersion'], `must be ${API_VERSION}`);
  if (c.value(['kind']) !== KIND) c.fail(['kind'], `must be ${KIND}`);
  c.onlyKeys(['metadata'], ['name', 'labels', 'annotations']);
  const name = c.value(['metadata', 'name']);
  if (typeof name !== 'string' || !DNS1123.test(name)) c.fail(['metadata', 'name'], 'required: a lowercase DNS-1123 name such as double11');
  if (!c.isMapping(['spec'])) {
    c.fail(['spec'], 'required: a mapping with demand, scaleOut, batch and/or nodes');
    return null;
  }
  c.onlyKeys(['spec'], SPEC_FIELDS);
  let timeZone = 'UTC';
  const tz = c.value(['spec', 'timeZone']);
  if (tz !== undefined) {
    if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) c.fail(['spec', 'timeZone'], `must be an IANA time zone such as Asia/Shanghai (got ${JSON.stringify(tz)})`);
    else timeZone = tz;
  }
  const t = (path: Path, required: boolean) => instant(c, path, timeZone, required);
  const shiftTo = c.value(['spec', 'shiftTo']) === undefined ? null : t(['spec', 'shiftTo'], true);
  const stepMs = c.value(['spec', 'step']) === undefined ? 5 * 60_000 : (duration(c, ['spec', 'step'], 60_000) ?? 5 * 60_000);
  const demand = list(c, ['spec', 'demand'], (p) => demandWindow(c, p, t));
  const scaleOut = list(c, ['spec', 'scaleOut'], (p) => scaleOutEntry(c, p));
  const batch = list(c, ['spec', 'batch'], (p) => extraBatch(c, p, t));
  const nodes = list(c, ['spec', 'nodes'], (p) => nodeTemplate(c, p, t));
  unique(c, ['spec', 'demand'], demand.map((d) => d?.name));
  unique(c, ['spec', 'batch'], batch.map((b) => b?.name));
  unique(c, ['spec', 'nodes'], nodes.map((n) => n?.name));
  if (typeof name !== 'string') return null;
  const ok = <T>(xs: (T | null)[]): T[] => xs.filter((x): x is T => x !== null);
  return { name, source: '', timeZone, shiftTo, stepMs, demand: ok(demand), scaleOut: ok(scaleOut), batch: ok(batch), nodes: ok(nodes) };
}

function list<T>(c: Checker, path: Path, item: (p: Path) => T | null): (T | null)[] {
  const n = c.node(path);
  if (n === undefined) return [];
  if (!isSeq(n)) {
    c.fail(path, 'must be a list');
    return [];
  }
  return n.items.map((_, i) => {
    const p = [...path, i];
    if (!c.isMapping(p)) {
      c.fail(p, 'each entry must be a mapping');
      return null;
    }
    return item(p);
  });
}

function unique(c: Checker, path: Path, names: (string | undefined)[]): void {
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (n === undefined) return;
    const prev = seen.get(n);
    if (prev !== undefined) c.fail([...path, i, 'name'], `duplicate name "${n}" (also ${path.join('.')}[${prev}])`);
    seen.set(n, i);
  });
}

function demandWindow(c: Checker, p: Path, t: (p: Path, required: boolean) => number | null): DemandWindow | null {
  c.onlyKeys(p, DEMAND_FIELDS);
  const name = dnsName(c, [...p, 'name']);
  const select = selector(c, [...p, 'select']);
  const start = t([...p, 'start'], true);
  const end = t([...p, 'end'], true);
  const rampUpMs = c.value([...p, 'rampUp']) === undefined ? 0 : (duration(c, [...p, 'rampUp'], 0) ?? 0);
  const rampDownMs = c.value([...p, 'rampDown']) === undefined ? 0 : (duration(c, [...p, 'rampDown'], 0) ?? 0);
  const cpu = factor(c, [...p, 'cpu'], true);
  const memory = c.value([...p, 'memory']) === undefined ? 1 : factor(c, [...p, 'memory'], false);
  if (start !== null && end !== null) {
    if (end <= start) c.fail([...p, 'end'], 'must be after start');
    else if (rampUpMs + rampDownMs > end - start) c.fail([...p, 'rampUp'], 'rampUp + rampDown must fit between start and end');
  }
  if (name === null || select === null || start === null || end === null || cpu === null || memory === null) return null;
  return { name, select, start, end, rampUpMs, rampDownMs, cpu, memory };
}

function scaleOutEntry(c: Checker, p: Path): ScaleOut | null {
  c.onlyKeys(p, SCALE_FIELDS);
  const select = selector(c, [...p, 'select']);
  const lagMs = c.value([...p, 'lag']) === undefined ? 0 : (duration(c, [...p, 'lag'], 0) ?? 0);
  const maxFactor = c.value([...p, 'maxFactor']) === undefined ? Infinity : factor(c, [...p, 'maxFactor'], false);
  if (maxFactor !== null && maxFactor < 1) c.fail([...p, 'maxFactor'], 'must be at least 1');
  if (select === null || maxFactor === null) return null;
  return { select, lagMs, maxFactor };
}

function extraBatch(c: Checker, p: Path, t: (p: Path, required: boolean) => number | null): ExtraBatch | null {
  c.onlyKeys(p, BATCH_FIELDS);
  const name = dnsName(c, [...p, 'name']);
  const namespace = c.value([...p, 'namespace']) === undefined ? 'batch' : dnsName(c, [...p, 'namespace']);
  const from = t([...p, 'from'], true);
  const to = c.value([...p, 'to']) === undefined ? from : t([...p, 'to'], true);
  const jobs = whole(c, [...p, 'jobs'], 1, true);
  const podsPerJob = c.value([...p, 'podsPerJob']) === undefined ? 1 : whole(c, [...p, 'podsPerJob'], 1, true);
  const cpu = quantity(c, [...p, 'cpu'], parseCpuMilli, 'a CPU quantity such as 4 or 500m');
  const memory = quantity(c, [...p, 'memory'], parseMemoryBytes, 'a memory quantity such as 8Gi');
  const runtimeMs = c.value([...p, 'runtime']) === undefined ? (c.fail([...p, 'runtime'], 'required: each pod\'s running time, such as 2h'), null) : duration(c, [...p, 'runtime'], 60_000);
  const deadline = c.value([...p, 'deadline']) === undefined ? null : t([...p, 'deadline'], true);
  const checkpointable = c.value([...p, 'checkpointable']) ?? false;
  if (typeof checkpointable !== 'boolean') c.fail([...p, 'checkpointable'], 'must be true or false');
  const priority = c.value([...p, 'priority']) === undefined ? 5000 : whole(c, [...p, 'priority'], 0, true);
  if (from !== null && to !== null && to < from) c.fail([...p, 'to'], 'must not be before from');
  if (deadline !== null && to !== null && runtimeMs !== null && jobs !== null && from !== null) {
    const lastArrival = jobs > 1 ? from + Math.floor(((jobs - 1) * (to - from)) / jobs) : from;
    if (lastArrival + runtimeMs > deadline) c.fail([...p, 'deadline'], 'the last job arrives too late to finish by its deadline even if it started at once');
  }
  if ([name, namespace, from, to, jobs, podsPerJob, cpu, memory, runtimeMs, priority].some((x) => x === null) || typeof checkpointable !== 'boolean') return null;
  return { name: name!, namespace: namespace!, from: from!, to: to!, jobs: jobs!, podsPerJob: podsPerJob!, requests: { cpu: cpu!, memory: memory! }, runtimeMs: runtimeMs!, deadline, checkpointable, priority: priority! };
}

function nodeTemplate(c: Checker, p: Path, t: (p: Path, required: boolean) => number | null): NodeTemplate | null {
  c.onlyKeys(p, NODE_FIELDS);
  const name = dnsName(c, [...p, 'name']);
  const cpu = quantity(c, [...p, 'cpu'], parseCpuMilli, 'a CPU quantity such as 64');
  const memory = quantity(c, [...p, 'memory'], parseMemoryBytes, 'a memory quantity such as 256Gi');
  const maxPods = c.value([...p, 'maxPods']) === undefined ? 110 : whole(c, [...p, 'maxPods'], 1, true);
  const zone = c.value([...p, 'zone']) ?? '';
  if (typeof zone !== 'string') c.fail([...p, 'zone'], 'must be a zone name such as zone-a');
  const labels = stringMap(c, [...p, 'labels']);
  const count = c.value([...p, 'count']) === undefined ? 0 : whole(c, [...p, 'count'], 0, true);
  const max = c.value([...p, 'max']) === undefined ? count : whole(c, [...p, 'max'], 0, true);
  if (c.value([...p, 'count']) === undefined && c.value([...p, 'max']) === undefined) c.fail(p, 'a node template needs max (how many plan may add), count (how many to add) or both');
  if (count !== null && max !== null && count > max) c.fail([...p, 'count'], `must not exceed max (${max})`);
  const readyBy = c.value([...p, 'readyBy']) === undefined ? null : t([...p, 'readyBy'], true);
  if ([name, cpu, memory, maxPods, count, max, labels].some((x) => x === null) || typeof zone !== 'string') return null;
  const all: Record<string, string> = { ...labels! };
  if (zone) all['topology.kubernetes.io/zone'] = zone;
  return { name: name!, spec: { allocatable: { cpu: cpu!, memory: memory! }, maxPods: maxPods!, labels: all, zone, unschedulable: false }, count: count!, max: max!, readyBy };
}

function selector(c: Checker, p: Path): AppSelector | null {
  if (!c.isMapping(p)) {
    c.fail(p, 'required: a mapping with all: true, apps, namespaces and/or labels');
    return null;
  }
  c.onlyKeys(p, SELECT_FIELDS);
  const all = c.value([...p, 'all']) ?? false;
  if (typeof all !== 'boolean') c.fail([...p, 'all'], 'must be true or false');
  const apps = strings(c, [...p, 'apps']);
  const namespaces = strings(c, [...p, 'namespaces']);
  const labels = c.value([...p, 'labels']) === undefined ? null : labelSelector(c, [...p, 'labels']);
  const narrowed = (apps?.length ?? 0) > 0 || (namespaces?.length ?? 0) > 0 || labels !== null;
  if (all === true && narrowed) c.fail([...p, 'all'], 'all: true selects every online app; drop it or drop apps/namespaces/labels');
  if (all !== true && !narrowed) c.fail(p, 'select nothing? give all: true, apps, namespaces or labels');
  if (apps === null || namespaces === null || typeof all !== 'boolean') return null;
  return { all, apps, namespaces, labels };
}

function labelSelector(c: Checker, p: Path): LabelSelector | null {
  if (!c.isMapping(p)) {
    c.fail(p, 'must be a label selector with matchLabels and/or matchExpressions');
    return null;
  }
  c.onlyKeys(p, ['matchLabels', 'matchExpressions']);
  const out: { matchLabels?: Record<string, string>; matchExpressions?: NonNullable<LabelSelector['matchExpressions']>[number][] } = {};
  if (c.value([...p, 'matchLabels']) !== undefined) {
    const m = stringMap(c, [...p, 'matchLabels']);
    if (m === null) return null;
    out.matchLabels = m;
  }
  const seq = c.node([...p, 'matchExpressions']);
  if (seq !== undefined) {
    if (!isSeq(seq)) {
      c.fail([...p, 'matchExpressions'], 'must be a list of {key, operator, values}');
      return null;
    }
    out.matchExpressions = [];
    for (let i = 0; i < seq.items.length; i++) {
      const e = [...p, 'matchExpressions', i];
      c.onlyKeys(e, ['key', 'operator', 'values']);
      const key = c.value([...e, 'key']);
      const operator = c.value([...e, 'operator']);
      const values = c.value([...e, 'values']);
      if (typeof key !== 'string' || key === '') c.fail([...e, 'key'], 'required: a label key');
      if (typeof operator !== 'string' || !OPERATORS.includes(operator)) c.fail([...e, 'operator'], `must be one of ${OPERATORS.join(', ')}`);
      const needsValues = operator === 'In' || operator === 'NotIn';
      if (needsValues && (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string'))) c.fail([...e, 'values'], `${operator} needs a non-empty list of strings`);
      if (!needsValues && values !== undefined) c.fail([...e, 'values'], `${String(operator)} takes no values`);
      if (typeof key === 'string' && typeof operator === 'string') out.matchExpressions.push({ key, operator: operator as 'In', values: Array.isArray(values) ? values.map(String) : undefined });
    }
  }
  return out;
}

function dnsName(c: Checker, p: Path): string | null {
  const v = c.value(p);
  if (typeof v !== 'string' || !DNS1123.test(v)) {
    c.fail(p, `required: a lowercase DNS-1123 name${v === undefined ? '' : ` (got ${JSON.stringify(v)})`}`);
    return null;
  }
  return v;
}

function strings(c: Checker, p: Path): string[] | null {
  const v = c.value(p);
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    c.fail(p, 'must be a list of strings');
    return null;
  }
  return v as string[];
}

function stringMap(c: Checker, p: Path): Record<string, string> | null {
  const v = c.value(p);
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    c.fail(p, 'must be a mapping of string to string (quote numbers)');
    return null;
  }
  return v as Record<string, string>;
}

function factor(c: Checker, p: Path, required: boolean): number | null {
  const v = c.value(p);
  if (v === undefined && required) {
    c.fail(p, 'required: a multiplier such as 3 or 1.5');
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    c.fail(p, `must be a positive number (got ${JSON.stringify(v)})`);
    return null;
  }
  return v;
}

function whole(c: Checker, p: Path, min: number, required: boolean): number | null {
  const v = c.value(p);
  if (v === undefined && required) {
    c.fail(p, `required: a whole number >= ${min}`);
    return null;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    c.fail(p, `must be a whole number >= ${min} (got ${JSON.stringify(v)})`);
    return null;
  }
  return v;
}

function quantity(c: Checker, p: Path, parse: (v: string | number) => number, what: string): number | null {
  const v = c.value(p);
  if (v === undefined) {
    c.fail(p, `required: ${what}`);
    return null;
  }
  if (typeof v !== 'string' && typeof v !== 'number') {
    c.fail(p, `must be ${what}`);
    return null;
  }
  try {
    const n = parse(v);
    if (!(n > 0)) throw new Error(`must be positive (got ${JSON.stringify(v)})`);
    return n;
  } catch (e) {
    c.fail(p, (e as Error).message);
    return null;
  }
}

function duration(c: Checker, p: Path, min: number): number | null {
  const v = c.value(p);
  if (typeof v !== 'string') {
    c.fail(p, `must be a duration string such as 30m or 1h30m (got ${JSON.stringify(v)})`);
    return null;
  }
  try {
    const ms = parseDuration(v);
    if (ms < min) throw new Error(`must be at least ${min / 1000}s (got ${v})`);
    return ms;
  } catch (e) {
    c.fail(p, (e as Error).message);
    return null;
  }
}

function instant(c: Checker, p: Path, timeZone: string, required: boolean): number | null {
  const v = c.value(p);
  if (v === undefined && !required) return null;
  if (typeof v !== 'string') {
    c.fail(p, `required: an ISO 8601 time such as 2026-11-10T22:00 (local to spec.timeZone unless it has an offset)${v === undefined ? '' : ` (got ${JSON.stringify(v)})`}`);
    return null;
  }
  const d = DateTime.fromISO(v, { zone: timeZone });
  if (!d.isValid) {
    c.fail(p, `not an ISO 8601 time: ${d.invalidExplanation ?? d.invalidReason}`);
    return null;
  }
  return d.toMillis();
}

// The sweep file: which scenarios, which seeds, which knob values per policy. Checked like the
// profile and TidalConfig loaders: every problem is reported with file:line:column and field.
//
//   riskBound: 0.001            # best setting = most batch with online risk <= this (default 0.001)
//   tidal: time-sharing         # the policy compared against the best peer (default time-sharing)
//   scenarios:
//     - synthetic: normal-week  # a scenario of simulator/scenarios/make.ts (file name without .jsonl.gz)
//       days: 2                 # optional: a shorter run of the same recipe
//       policies: [kube-default, koordinator]   # optional: only these of the policies below run here
//     - name: d11-sample        # or a shipped trace and profile, relative to this file
//       trace: ../samples/double11-small.jsonl
//       profile: ../../profiles/double11.yaml
//   seeds:
//     training: [1, 2]          # synthetic scenarios are regenerated with each seed
//     heldOut: [3, 4, 5]        # at least 3, none shared with training
//   policies:
//     koordinator:
//       reclaimCpuPercent: [40, 60, 80]   # every combination of the listed values is a setting
//     time-sharing: {}                    # the default setting only
//
// A trace scenario has one trace: it is run once per setting and that run serves as training and
// held-out alike (no spread); say so when reading its figures.

import { dirname, resolve } from 'node:path';
import { isMap, isSeq } from 'yaml';
import { parseChecked, YamlCheckError, type Checker, readYamlFile } from '../../scheduler/config/yaml-checker.ts';
import { PACKAGE_ROOT } from '../../scheduler/cli/package-root.ts';
import { SCENARIOS } from '../scenarios/make.ts';
import { settingLabel, tunable, TUNABLES, type Setting } from './knobs.ts';

export type ScenarioSpec = (
  | { name: string; kind: 'synthetic'; scenario: string; days?: number; profile: string }
  | { name: string; kind: 'trace'; trace: string; profile: string }
) & {
  /** Only these policies run on this scenario (e.g. the equal-information variants where the profile has a peak); all when absent. */
  policies?: string[];
};

/** Whether a policy of the sweep runs on a scenario. */
export const runsOn = (sc: ScenarioSpec, policy: string): boolean => sc.policies === undefined || sc.policies.includes(policy);

export interface PolicySweep {
  policy: string;
  settings: Setting[];
}

export interface SweepSpec {
  source: string;
  riskBound: number;
  tidal: string;
  scenarios: ScenarioSpec[];
  seeds: { training: number[]; heldOut: number[] };
  policies: PolicySweep[];
}

export const DEFAULT_RISK_BOUND = 0.001;
const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function synthesisedScenarioNames(): string[] {
  return SCENARIOS.map((s) => s.file.replace(/\.jsonl\.gz$/, ''));
}

export function loadSweepFile(file: string): SweepSpec {
  return parseSweep(readYamlFile(file), file);
}

export function parseSweep(text: string, file = '<sweep>'): SweepSpec {
  const c = parseChecked(text, file);
  const spec = check(c, dirname(resolve(file)));
  if (c.issues.length > 0 || spec === null) throw new YamlCheckError(c.issues);
  return spec;
}

function check(c: Checker, base: string): SweepSpec | null {
  if (!c.isMapping([])) {
    c.fail([], 'a sweep file must be a YAML mapping with scenarios, seeds and policies');
    return null;
  }
  c.onlyKeys([], ['riskBound', 'tidal', 'scenarios', 'seeds', 'policies']);
  const riskBound = c.value(['riskBound']) ?? DEFAULT_RISK_BOUND;
  if (typeof riskBound !== 'number' || !(riskBound >= 0 && riskBound <= 1)) c.fail(['riskBound'], `must be a fraction in [0, 1] such as 0.001 (got ${JSON.stringify(riskBound)})`);
  const scenarios = checkScenarios(c, base);
  const seeds = checkSeeds(c);
  const policies = checkPolicies(c);
  scenarios.forEach((sc, i) => {
    const unknown = (sc.policies ?? []).filter((n) => !policies.some((p) => p.policy === n));
    if (unknown.length > 0) c.fail(['scenarios', i, 'policies'], `must name policies listed under policies; not listed: ${unknown.join(', ')}`);
  });
  // Named explicitly, Tidal's policy must be in the sweep; by default a sweep without it compares nothing.
  const tidal = c.value(['tidal']) ?? 'time-sharing';
  if (c.value(['tidal']) !== undefined && (typeof tidal !== 'string' || !policies.some((p) => p.policy === tidal))) c.fail(['tidal'], `must name a policy listed under policies (got ${JSON.stringify(tidal)})`);
  return { source: c.file, riskBound: riskBound as number, tidal: tidal as string, scenarios, seeds, policies };
}

function checkScenarios(c: Checker, base: string): ScenarioSpec[] {
  const out: ScenarioSpec[] = [];
  const list = c.node(['scenarios']);
  if (!isSeq(list) || list.items.length === 0) {
    c.fail(['scenarios'], 'required: a list of scenarios (synthetic: NAME, or trace: and profile:)');
    return out;
  }
  const names = new Set<string>();
  list.items.forEach((_, i) => {
    const at = ['scenarios', i];
    if (!c.isMapping(at)) return c.fail(at, 'must be a mapping with synthetic: NAME, or trace: and profile:');
    c.onlyKeys(at, ['name', 'synthetic', 'days', 'trace', 'profile', 'policies']);
    const only = c.value([...at, 'policies']);
    if (only !== undefined && !(Array.isArray(only) && only.length > 0 && only.every((x) => typeof x === 'string'))) c.fail([...at, 'policies'], `must be a list of policy names (got ${JSON.stringify(only)})`);
    const restrict = Array.isArray(only) && only.every((x) => typeof x === 'string') && only.length > 0 ? { policies: only as string[] } : {};
    const synthetic = c.value([...at, 'synthetic']);
    const trace = c.value([...at, 'trace']);
    let name = c.value([...at, 'name']);
    if ((synthetic === undefined) === (trace === undefined)) return c.fail(at, 'needs exactly one of synthetic: (a make.ts scenario) or trace: (a trace file)');
    if (synthetic !== undefined) {
      const known = synthesisedScenarioNames();
      const k = known.indexOf(String(synthetic));
      if (k < 0) return c.fail([...at, 'synthetic'], `unknown scenario ${JSON.stringify(synthetic)}; known: ${known.join(', ')}`);
      const days = c.value([...at, 'days']);
      if (days !== undefined && !(typeof days === 'number' && days > 0 && days <= 366)) c.fail([...at, 'days'], `must be a number of days in (0, 366] (got ${JSON.stringify(days)})`);
      if (c.value([...at, 'profile']) !== undefined) c.fail([...at, 'profile'], 'a synthetic scenario uses its own profile (make.ts)');
      name ??= known[k];
      out.push({ name: String(name), kind: 'synthetic', scenario: known[k]!, ...(typeof days === 'number' ? { days } : {}), profile: resolve(PACKAGE_ROOT, SCENARIOS[k]!.profile), ...restrict });
    } else {
      const profile = c.value([...at, 'profile']);
      if (typeof trace !== 'string' || trace === '') return c.fail([...at, 'trace'], 'must be a path to a trace (relative to this file)');
      if (typeof profile !== 'string' || profile === '') return c.fail([...at, 'profile'], 'required with trace: the profile YAML (relative to this file)');
      if (c.value([...at, 'days']) !== undefined) c.fail([...at, 'days'], 'only a synthetic scenario can be shortened');
      if (name === undefined) return c.fail([...at, 'name'], 'required with trace: a short name for the tables');
      out.push({ name: String(name), kind: 'trace', trace: resolve(base, trace), profile: resolve(base, profile), ...restrict });
    }
    const n = out[out.length - 1]!.name;
    if (!NAME.test(n)) c.fail([...at, 'name'], `must be lowercase letters, digits and dashes (got ${JSON.stringify(n)})`);
    if (names.has(n)) c.fail([...at, 'name'], `scenario ${n} is listed twice`);
    names.add(n);
  });
  return out;
}

function seedList(c: Checker, key: 'training' | 'heldOut', min: number): number[] {
  const path = ['seeds', key];
  const v = c.value(path);
  if (!Array.isArray(v) || v.length < min || !v.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    c.fail(path, `required: a list of at least ${min} non-negative integer seeds (got ${JSON.stringify(v)})`);
    return [];
  }
  if (new Set(v).size !== v.length) c.fail(path, 'lists a seed twice');
  return v as number[];
}

function checkSeeds(c: Checker): { training: number[]; heldOut: number[] } {
  if (!c.isMapping(['seeds'])) {
    c.fail(['seeds'], 'required: a mapping with training: [...] and heldOut: [...]');
    return { training: [], heldOut: [] };
  }
  c.onlyKeys(['seeds'], ['training', 'heldOut']);
  const training = seedList(c, 'training', 1);
  const heldOut = seedList(c, 'heldOut', 3);
  const shared = heldOut.filter((s) => training.includes(s));
  if (shared.length > 0) c.fail(['seeds', 'heldOut'], `held-out seeds must be new traces; also in training: ${shared.join(', ')}`);
  return { training, heldOut };
}

function checkPolicies(c: Checker): PolicySweep[] {
  const out: PolicySweep[] = [];
  const map = c.node(['policies']);
  if (!isMap(map) || map.items.length === 0) {
    c.fail(['policies'], 'required: a mapping of policy name to its knobs (e.g. koordinator: {reclaimCpuPercent: [40, 60]})');
    return out;
  }
  for (const item of map.items) {
    const name = String((item.key as { value?: unknown })?.value ?? item.key);
    const t = tunable(name);
    if (!t) {
      c.fail(['policies', name], `unknown policy; known: ${Object.keys(TUNABLES).join(', ')}`, item.key as never);
      continue;
    }
    const at = ['policies', name];
    const knobs = c.value(at);
    if (knobs !== null && (typeof knobs !== 'object' || Array.isArray(knobs))) {
      c.fail(at, 'must be a mapping of knob name to a list of values ({} for the default only)');
      continue;
    }
    const axes: Array<[string, number[]]> = [];
    for (const [knob, values] of Object.entries((knobs ?? {}) as Record<string, unknown>)) {
      const spec = t.knobs[knob];
      if (!spec) {
        const known = Object.keys(t.knobs);
        c.fail([...at, knob], `not a knob of ${name}; ${known.length ? `its knobs: ${known.join(', ')}` : 'it has none'}`, (c.node(at) as { items?: Array<{ key: unknown }> })?.items?.find((i) => (i.key as { value?: unknown })?.value === knob)?.key as never);
        continue;
      }
      const list = Array.isArray(values) ? values : [values];
      const bad = list.findIndex((v) => typeof v !== 'number' || !(v >= spec.min && v <= spec.max));
      if (list.length === 0 || bad >= 0) {
        c.fail(bad >= 0 && Array.isArray(values) ? [...at, knob, bad] : [...at, knob], `values must be numbers in [${spec.min}, ${spec.max}] (${spec.about})${bad >= 0 ? `; got ${JSON.stringify(list[bad])}` : ''}`);
        continue;
      }
      if (new Set(list).size !== list.length) c.fail([...at, knob], 'lists a value twice');
      axes.push([knob, list as number[]]);
    }
    out.push({ policy: name, settings: product(axes) });
  }
  return out;
}

/** Every combination of the axes' values; a knob at its only value still appears in the label. */
function product(axes: Array<[string, number[]]>): Setting[] {
  let out: Record<string, number>[] = [{}];
  for (const [k, vs] of axes) out = out.flatMap((s) => vs.map((v) => ({ ...s, [k]: v })));
  const seen = new Set<string>();
  return out.filter((s) => !seen.has(settingLabel(s)) && seen.add(settingLabel(s)));
}

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadPolicyConfigFile, parsePolicyConfig, resolveModePolicy, resolvePolicyConfig } from '../../../scheduler/config/policy-loader.ts';
import { KUBE_DEFAULT, STATIC_COLOCATION, TIME_SHARING, TIME_SHARING_FORECAST } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';

const EXAMPLE = fileURLToPath(new URL('../../../scheduler/config/example-config.yaml', import.meta.url));
const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TidalConfig\n';

function errors(text: string): string[] {
  try {
    parsePolicyConfig(text, 'c.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected the config to be refused');
}

describe('TidalConfig loading', () => {
  it('ships an example that documents the time-sharing preset (the forecast) exactly (only the name differs)', () => {
    const c = loadPolicyConfigFile(EXAMPLE);
    expect(c.name).toBe('example');
    expect({ ...c, name: TIME_SHARING_FORECAST.name }).toEqual(TIME_SHARING_FORECAST);
    // The engine accepts it.
    expect(() => new PolicyEngine({ config: c, state: new ClusterState(c.usage), profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }) })).not.toThrow();
  });

  it('takes the preset when nothing is overridden', () => {
    // time-sharing is the forecast (as in the simulator), time-sharing-timetable the timetable;
    // time-sharing-forecast, the forecast's former name, is still accepted.
    expect(parsePolicyConfig(HEAD)).toEqual(TIME_SHARING_FORECAST);
    expect(TIME_SHARING_FORECAST).toMatchObject({ name: 'time-sharing', filters: expect.arrayContaining(['ForecastCapacity']) });
    expect(parsePolicyConfig(`${HEAD}base: time-sharing-timetable\n`)).toEqual(TIME_SHARING);
    expect(TIME_SHARING.name).toBe('time-sharing-timetable');
    expect(parsePolicyConfig(`${HEAD}base: time-sharing-forecast\n`)).toEqual(TIME_SHARING_FORECAST);
    expect(parsePolicyConfig(`${HEAD}base: kube-default\n`)).toEqual(KUBE_DEFAULT);
    expect(parsePolicyConfig(`${HEAD}base: static-colocation\n`)).toEqual(STATIC_COLOCATION);
    expect(resolvePolicyConfig(undefined)).toBe(TIME_SHARING_FORECAST);
    expect(resolvePolicyConfig(undefined, 'time-sharing-forecast')).toBe(TIME_SHARING_FORECAST);
    expect(() => resolvePolicyConfig(undefined, 'nope')).toThrow(/unknown policy preset/);
  });

  it("decides the extender's and the descheduler's mode: the forecast by default, --timetable, a config's base; --forecast a deprecated no-op", () => {
    const notes: string[] = [];
    const note = (m: string) => void notes.push(m);
    expect(resolveModePolicy({}, note)).toEqual({ policy: TIME_SHARING_FORECAST, forecast: true });
    expect(resolveModePolicy({ timetable: true }, note)).toEqual({ policy: TIME_SHARING, forecast: false });
    expect(notes).toEqual([]);
    expect(resolveModePolicy({ forecast: true }, note)).toEqual({ policy: TIME_SHARING_FORECAST, forecast: true });
    expect(notes).toEqual([expect.stringMatching(/--forecast is deprecated/)]);
    expect(() => resolveModePolicy({ forecast: true, timetable: true }, note)).toThrow(/contradict/);
    // With --config the file's base decides; the example's is time-sharing (the forecast).
    expect(resolveModePolicy({ config: EXAMPLE }, note)).toMatchObject({ policy: { name: 'example' }, forecast: true });
    expect(() => resolveModePolicy({ config: EXAMPLE, timetable: true }, note)).toThrow(/--timetable contradicts .*base: time-sharing-timetable/);
  });

  it('merges overrides field by field, replacing a class\'s score weights', () => {
    const c = parsePolicyConfig(`${HEAD}name: prod
classification:
  label: example.com/tier
  annotation: ""
  priorityClassNames:
    batch: [spot]
  priorityRanges:
    batch: [{min: 100, max: 199}, {min: 300, max: 300}]
  systemNamespaces: [kube-system, monitoring]
  defaultClass: batch
usage: {percentile: 0.9, window: 30m, staleAfter: 5m, maxSamples: 240}
online:
  maxPodsPerAppPerNode: 3
  loadThreshold: {cpu: 0.8}
batch: {durationAware: false}
emptyRequestEstimate: {cpu: 100m, memory: 64Mi}
resourceWeights: {memory: 2}
scoreWeights:
  online: {LoadAware: 1, LeastAllocated: 3}
`);
    expect(c.name).toBe('prod');
    expect(c.classification).toEqual({
      ...TIME_SHARING.classification,
      label: 'example.com/tier',
      annotation: '',
      priorityClassNames: { ...TIME_SHARING.classification.priorityClassNames, batch: ['spot'] },
      priorityRanges: { ...TIME_SHARING.classification.priorityRanges, batch: [{ min: 100, max: 199 }, { min: 300, max: 300 }] },
      systemNamespaces: ['kube-system', 'monitoring'],
      defaultClass: 'batch',
    });
    expect(c.usage).toEqual({ percentile: 0.9, windowMs: 30 * 60_000, staleAfterMs: 5 * 60_000, maxSamples: 240 });
    expect(c.pluginArgs).toEqual({ ...TIME_SHARING_FORECAST.pluginArgs, AppStackingLimit: { maxPodsPerAppPerNode: 3 }, OnlineLoadThreshold: { cpu: 0.8, memory: 0.95 } });
    expect(c.batch).toEqual({ durationAware: false });
    expect(c.emptyRequestEstimate).toEqual({ cpu: 100, memory: 64 * 2 ** 20 });
    expect(c.resourceWeights).toEqual({ cpu: 1, memory: 2 });
    expect(c.scoreWeights).toEqual({ online: { LoadAware: 1, LeastAllocated: 3 }, batch: TIME_SHARING.scoreWeights.batch });
    expect(c.colocation).toBe(true);
    // The presets themselves are untouched.
    expect(TIME_SHARING.classification.priorityClassNames.batch).toEqual(['tidal-batch', 'koord-batch', 'koord-free']);
    expect(parsePolicyConfig(`${HEAD}online: {loadThreshold: null}\n`).pluginArgs.OnlineLoadThreshold).toBeNull();
  });

  it('pluginConfig sets a plugin\'s args field by field over the preset, as the online section does', () => {
    const c = parsePolicyConfig(`${HEAD}pluginConfig:\n  OnlineLoadThreshold: {cpu: 0.8}\n  AppStackingLimit: {maxPodsPerAppPerNode: 2}\n`);
    expect(c.pluginArgs).toEqual({ ...TIME_SHARING_FORECAST.pluginArgs, OnlineLoadThreshold: { cpu: 0.8, memory: 0.95 }, AppStackingLimit: { maxPodsPerAppPerNode: 2 } });
    expect(parsePolicyConfig(`${HEAD}online: {loadThreshold: {cpu: 0.8}}\n`).pluginArgs).toEqual({ ...TIME_SHARING_FORECAST.pluginArgs, OnlineLoadThreshold: { cpu: 0.8, memory: 0.95 } });
  });

  // Every documented rule, each with the file:line:column and field it must name.
  const invalid: Array<[string, string, string[]]> = [
    ['not a mapping', '- a\n- b\n', ['c.yaml:1:1: a TidalConfig must be a YAML mapping with apiVersion: tidal.io/v1alpha1 and kind: TidalConfig']],
    ['YAML syntax', `${HEAD}usage: {percentile: 0.9\n`, [expect.stringMatching(/^c\.yaml:4:1: YAML: /) as unknown as string]],
    ['wrong apiVersion and kind', 'apiVersion: v1\nkind: Config\n', ['c.yaml:1:13: apiVersion: must be tidal.io/v1alpha1', 'c.yaml:2:7: kind: must be TidalConfig']],
    ['unknown top-level field', `${HEAD}scoreweights: {}\n`, ['c.yaml:3:1: scoreweights: unknown field (did you mean scoreWeights?)']],
    ['unknown base', `${HEAD}base: koordinator\n`, ['c.yaml:3:7: base: must be one of time-sharing, time-sharing-timetable, static-colocation, kube-default (got "koordinator")']],
    ['bad name', `${HEAD}name: Prod_1\n`, ['c.yaml:3:7: name: must be a lowercase name such as prod-colocation (got "Prod_1")']],
    ['section not a mapping', `${HEAD}usage: 5\n`, ['c.yaml:3:8: usage: must be a mapping with percentile, window, staleAfter, maxSamples']],
    ['percentile out of range', `${HEAD}usage:\n  percentile: 95\n`, ['c.yaml:4:15: usage.percentile: must be a number in (0, 1], e.g. 0.95 (got 95)']],
    ['window not a duration', `${HEAD}usage:\n  window: an hour\n`, ['c.yaml:4:11: usage.window: "an hour" is not a duration (examples: 90s, 30m, 1h30m, 2d)']],
    ['window a number', `${HEAD}usage:\n  window: 3600\n`, ['c.yaml:4:11: usage.window: must be a duration string such as 30m or 1h30m (got 3600)']],
    ['staleAfter zero', `${HEAD}usage:\n  staleAfter: "0"\n`, ['c.yaml:4:15: usage.staleAfter: must be longer than 0']],
    ['maxSamples not an integer', `${HEAD}usage:\n  maxSamples: 1.5\n`, ['c.yaml:4:15: usage.maxSamples: must be an integer between 1 and 100000 (got 1.5)']],
    ['negative maxPodsPerAppPerNode', `${HEAD}online:\n  maxPodsPerAppPerNode: -1\n`, ['c.yaml:4:25: online.maxPodsPerAppPerNode: must be a non-negative integer (0: no limit) (got -1)']],
    ['loadThreshold a number', `${HEAD}online:\n  loadThreshold: 0.9\n`, ['c.yaml:4:18: online.loadThreshold: must be {cpu, memory} fractions of allocatable, or null to disable']],
    ['loadThreshold in percent', `${HEAD}online:\n  loadThreshold: {cpu: 90}\n`, ['c.yaml:4:24: online.loadThreshold.cpu: must be a fraction of allocatable in (0, 1], e.g. 0.9 (got 90)']],
    ['loadThreshold unknown resource', `${HEAD}online:\n  loadThreshold: {gpu: 0.5}\n`, ['c.yaml:4:19: online.loadThreshold.gpu: unknown field; allowed: cpu, memory']],
    ['pluginConfig unknown plugin', `${HEAD}pluginConfig:\n  OnlineLoad: {cpu: 0.5}\n`, ['c.yaml:4:3: pluginConfig.OnlineLoad: unknown field; allowed: AppStackingLimit, OnlineLoadThreshold, OnlineShapeRoom']],
    ['pluginConfig bad args', `${HEAD}pluginConfig:\n  OnlineLoadThreshold: {cpu: 2, gpu: 1}\n`, ['c.yaml:4:33: pluginConfig.OnlineLoadThreshold.gpu: unknown field; allowed: cpu, memory', 'c.yaml:4:30: pluginConfig.OnlineLoadThreshold.cpu: must be a fraction of allocatable in (0, 1], e.g. 0.9 (got 2)']],
    ['pluginConfig not a mapping', `${HEAD}pluginConfig: [OnlineLoadThreshold]\n`, ['c.yaml:3:15: pluginConfig: must be a mapping of plugin name to its args; plugins with args: AppStackingLimit, OnlineLoadThreshold, OnlineShapeRoom']],
    ['durationAware not a boolean', `${HEAD}batch:\n  durationAware: "yes"\n`, ['c.yaml:4:18: batch.durationAware: must be true or false (got "yes")']],
    ['bad quantity', `${HEAD}emptyRequestEstimate:\n  cpu: a quarter\n  memory: [1]\n`, [
      'c.yaml:4:8: emptyRequestEstimate.cpu: must be a CPU quantity such as 250m: "a quarter" is not a Kubernetes quantity (examples: 500m, 2, 1.5Gi, 256Mi)',
      'c.yaml:5:11: emptyRequestEstimate.memory: must be a memory quantity such as 200Mi (got [1])',
    ]],
    ['resource weights both zero', `${HEAD}resourceWeights: {cpu: 0, memory: 0}\n`, ['c.yaml:3:18: resourceWeights: cpu and memory cannot both be 0']],
    ['negative resource weight', `${HEAD}resourceWeights: {cpu: -1}\n`, ['c.yaml:3:24: resourceWeights.cpu: must be a non-negative number (got -1)']],
    ['unknown score plugin for the class', `${HEAD}scoreWeights:\n  batch: {LoadAware: 1, BatchRoom: 1}\n`, ['c.yaml:4:11: scoreWeights.batch.LoadAware: unknown field; allowed: BatchRoom, WindowSurvival, LeastAllocated, ForecastSurvival']],
    ['score weights all zero', `${HEAD}scoreWeights:\n  online: {LoadAware: 0}\n`, ['c.yaml:4:11: scoreWeights.online: give at least one online score plugin a positive weight']],
    ['negative score weight', `${HEAD}scoreWeights:\n  online: {LoadAware: -2, ZoneSpread: 1}\n`, ['c.yaml:4:23: scoreWeights.online.LoadAware: must be a non-negative weight (got -2)']],
    ['score weights not a mapping', `${HEAD}scoreWeights:\n  online: [LoadAware]\n`, ['c.yaml:4:11: scoreWeights.online: must be a mapping of score plugin to weight; plugins for online pods: LoadAware, ZoneSpread, AvoidBatchEviction, LeastAllocated, ComplementaryPeak, OnlineShapeRoom']],
    ['bad label key', `${HEAD}classification:\n  label: "tidal class"\n`, ['c.yaml:4:10: classification.label: must be a Kubernetes label key such as tidal.io/class, or "" to disable (got "tidal class")']],
    ['unknown class in priorityClassNames', `${HEAD}classification:\n  priorityClassNames:\n    best-effort: [x]\n`, ['c.yaml:5:5: classification.priorityClassNames.best-effort: unknown field; allowed: online, batch, system']],
    ['priorityClassNames not a list', `${HEAD}classification:\n  priorityClassNames:\n    batch: spot\n`, ['c.yaml:5:12: classification.priorityClassNames.batch: must be a list of PriorityClass names']],
    ['a PriorityClass in two classes', `${HEAD}classification:\n  priorityClassNames:\n    online: [shared]\n    batch: [shared]\n`, ['c.yaml:6:13: classification.priorityClassNames.batch[0]: PriorityClass shared is also listed for online']],
    ['priority range upside down', `${HEAD}classification:\n  priorityRanges:\n    batch:\n      - {min: 10, max: 5}\n`, ['c.yaml:6:24: classification.priorityRanges.batch[0].max: must not be below min (10)']],
    ['priority range incomplete', `${HEAD}classification:\n  priorityRanges:\n    batch:\n      - {min: 10}\n`, ['c.yaml:6:9: classification.priorityRanges.batch[0].max: required: an integer priority']],
    ['priority range not integers', `${HEAD}classification:\n  priorityRanges:\n    online:\n      - {min: a, max: 1.5}\n`, [
      'c.yaml:6:15: classification.priorityRanges.online[0].min: must be an integer priority (got "a")',
      'c.yaml:6:23: classification.priorityRanges.online[0].max: must be an integer priority (got 1.5)',
    ]],
    ['bad namespace', `${HEAD}classification:\n  systemNamespaces: [kube-system, Monitoring]\n`, ['c.yaml:4:35: classification.systemNamespaces[1]: "Monitoring" is not a namespace name']],
    ['unknown default class', `${HEAD}classification:\n  defaultClass: besteffort\n`, ['c.yaml:4:17: classification.defaultClass: must be online, batch or system (got "besteffort")']],
    ['duplicate keys', `${HEAD}base: time-sharing\nbase: kube-default\n`, [expect.stringMatching(/^c\.yaml:4:1: YAML: Map keys must be unique/) as unknown as string]],
  ];
  for (const [what, text, expected] of invalid) {
    it(`refuses ${what}, naming file, line, column and field`, () => {
      expect(errors(text)).toEqual(expected);
    });
  }

  it('reports every problem at once', () => {
    const e = errors(`${HEAD}base: nope\nusage: {percentile: 2}\nonline: {maxPodsPerAppPerNode: x}\n`);
    expect(e).toHaveLength(3);
  });

  it('names an unreadable file', () => {
    expect(() => loadPolicyConfigFile('/nonexistent/tidal.yaml')).toThrow(/^\/nonexistent\/tidal\.yaml: cannot read: /);
  });
});

// Loads a TidalConfig YAML file: a base PolicyConfig preset with parts of it overridden. Every problem
// is reported at once with file, line, column and field (the shared Checker), so one run fixes a file.
// scheduler/config/example-config.yaml documents each field.
//
// Merge rules: a field that is absent keeps the preset's value; a mapping merges field by field
// (classification, usage, online, batch, complementaryPeak, emptyRequestEstimate, resourceWeights, each class of
// classification.priorityClassNames / priorityRanges); the score weights of a class REPLACE the
// preset's weights for that class (list every plugin the class should use).

import { isSeq } from 'yaml';
import { isWorkloadClass, type ClassificationConfig, type PriorityRange } from '../core/classify.ts';
import { isForecastPolicy, PRESETS, presetByName, type PolicyConfig } from '../core/config.ts';
import { pluginDefinition, scoreNamesFor, TIDAL_FILTERS, TIDAL_SCORES } from '../core/registry.ts';
import { parseDuration } from '../core/duration.ts';
import type { Resources, WorkloadClass } from '../core/model.ts';
import { parseCpuMilli, parseMemoryBytes } from '../core/quantity.ts';
import { Checker, parseChecked, YamlCheckError, type Path, readYamlFile } from './yaml-checker.ts';

export const CONFIG_API_VERSION = 'tidal.io/v1alpha1';
export const CONFIG_KIND = 'TidalConfig';

/** Every problem found in a config file, each with file, line, column and field. */
export const ConfigError = YamlCheckError;
export type ConfigError = YamlCheckError;

const TOP = ['apiVersion', 'kind', 'name', 'base', 'classification', 'usage', 'online', 'batch', 'complementaryPeak', 'emptyRequestEstimate', 'resourceWeights', 'scoreWeights', 'pluginConfig'];
/** Tidal's plugins that take args (pluginConfig may name these). */
const WITH_ARGS = [...TIDAL_FILTERS, ...TIDAL_SCORES].filter((d) => d.validate !== undefined || d.fields !== undefined).map((d) => d.name);
const CLASSES: readonly WorkloadClass[] = ['online', 'batch', 'system'];
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
// A Kubernetes label/annotation key: optional DNS prefix and "/", then a name.
const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function loadPolicyConfigFile(file: string): PolicyConfig {
  return parsePolicyConfig(readYamlFile(file), file);
}

export function parsePolicyConfig(text: string, file = '<config>'): PolicyConfig {
  const c = parseChecked(text, file);
  const config = check(c);
  if (c.issues.length > 0 || config === null) throw new ConfigError(c.issues);
  return config;
}

/** The preset itself when no file is given, else the file's configuration. */
export function resolvePolicyConfig(file: string | undefined, preset = 'time-sharing'): PolicyConfig {
  if (file) return loadPolicyConfigFile(file);
  const p = presetByName(preset);
  if (!p) throw new Error(`unknown policy preset ${JSON.stringify(preset)}; known: ${Object.keys(PRESETS).join(', ')}`);
  return p;
}

/** The mode flags of `tidal extender` and `tidal deschedule`. */
export interface ModeFlags {
  config?: string;
  /** Deprecated: the forecast mode is the default. */
  forecast?: boolean;
  timetable?: boolean;
}

/**
 * The policy `tidal extender` and `tidal deschedule` run, and whether in forecast mode (the profile read
 * by forecastModeProfile, the forecast drain): without --config the `time-sharing` preset (the
 * forecast, as the simulator's `time-sharing`), or `time-sharing-timetable` with --timetable; with
 * --config, the file's (its base decides the mode: isForecastPolicy), and a flag that contradicts it is
 * refused. --forecast is accepted as a deprecated no-op.
 */
export function resolveModePolicy(f: ModeFlags, note: (message: string) => void = (m) => console.error(m)): { policy: PolicyConfig; forecast: boolean } {
  if (f.forecast && f.timetable) throw new Error('--forecast and --timetable contradict each other: choose one (the forecast is the default)');
  if (f.forecast) note('note: --forecast is deprecated and does nothing: the forecast mode (time-sharing) is the default; --timetable selects the timetable');
  if (!f.config) {
    const policy = resolvePolicyConfig(undefined, f.timetable ? 'time-sharing-timetable' : 'time-sharing');
    return { policy, forecast: isForecastPolicy(policy) };
  }
  const policy = loadPolicyConfigFile(f.config);
  const forecast = isForecastPolicy(policy);
  if (f.timetable && forecast) throw new Error(`--timetable contradicts ${f.config}, whose base is the forecast mode (time-sharing): set base: time-sharing-timetable there, or drop --timetable`);
  if (f.forecast && !forecast) throw new Error(`--forecast contradicts ${f.config}, whose policy has no forecast (base ${policy.name}): set base: time-sharing there, or drop --forecast`);
  return { policy, forecast };
}

const show = (v: unknown): string => JSON.stringify(v);

function check(c: Checker): PolicyConfig | null {
  if (!c.isMapping([])) {
    c.fail([], `a TidalConfig must be a YAML mapping with apiVersion: ${CONFIG_API_VERSION} and kind: ${CONFIG_KIND}`);
    return null;
  }
  c.onlyKeys([], TOP);
  if (c.value(['apiVersion']) !== CONFIG_API_VERSION) c.fail(['apiVersion'], `must be ${CONFIG_API_VERSION}`);
  if (c.value(['kind']) !== CONFIG_KIND) c.fail(['kind'], `must be ${CONFIG_KIND}`);
  // time-sharing is the forecast mode; time-sharing-timetable the timetable; time-sharing-forecast, the
  // forecast's former name, is still accepted (PRESET_ALIASES).
  const baseName = c.value(['base']) ?? 'time-sharing';
  let base = PRESETS['time-sharing']!;
  const preset = typeof baseName === 'string' ? presetByName(baseName) : undefined;
  if (!preset) {
    c.fail(['base'], `must be one of ${Object.keys(PRESETS).join(', ')} (got ${show(baseName)})`);
  } else {
    base = preset;
  }
  const name = c.value(['name']);
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) c.fail(['name'], `must be a lowercase name such as prod-colocation (got ${show(name)})`);

  const out: PolicyConfig = {
    ...base,
    name: typeof name === 'string' ? name : base.name,
    classification: checkClassification(c, base.classification),
    usage: { ...base.usage },
    pluginArgs: { ...base.pluginArgs },
    batch: { ...base.batch },
    complementaryPeak: { ...base.complementaryPeak },
    emptyRequestEstimate: { ...base.emptyRequestEstimate },
    resourceWeights: { ...base.resourceWeights },
    scoreWeights: { online: { ...base.scoreWeights.online }, batch: { ...base.scoreWeights.batch } },
  };

  if (section(c, ['usage'], ['percentile', 'window', 'staleAfter', 'maxSamples'])) {
    const p = num(c, ['usage', 'percentile'], (v) => v > 0 && v <= 1, 'a number in (0, 1], e.g. 0.95');
    if (p !== undefined) out.usage.percentile = p;
    const w = duration(c, ['usage', 'window']);
    if (w !== undefined) out.usage.windowMs = w;
    const s = duration(c, ['usage', 'staleAfter']);
    if (s !== undefined) out.usage.staleAfterMs = s;
    const m = num(c, ['usage', 'maxSamples'], (v) => Number.isInteger(v) && v >= 1 && v <= 100_000, 'an integer between 1 and 100000');
    if (m !== undefined) out.usage.maxSamples = m;
  }

  // online.maxPodsPerAppPerNode and online.loadThreshold are the args of AppStackingLimit and
  // OnlineLoadThreshold under their long-standing names; pluginConfig gives any plugin's args.
  if (section(c, ['online'], ['maxPodsPerAppPerNode', 'loadThreshold'])) {
    const m = c.value(['online', 'maxPodsPerAppPerNode']);
    if (m !== undefined) setArgs(c, out, ['online'], 'AppStackingLimit', { maxPodsPerAppPerNode: m }, false);
    if (c.node(['online', 'loadThreshold']) !== undefined) setArgs(c, out, ['online', 'loadThreshold'], 'OnlineLoadThreshold', c.value(['online', 'loadThreshold']));
  }

  if (c.node(['pluginConfig']) !== undefined) {
    if (!c.isMapping(['pluginConfig'])) c.fail(['pluginConfig'], `must be a mapping of plugin name to its args; plugins with args: ${WITH_ARGS.join(', ')}`);
    else {
      c.onlyKeys(['pluginConfig'], WITH_ARGS);
      for (const name of WITH_ARGS) if (c.node(['pluginConfig', name]) !== undefined) setArgs(c, out, ['pluginConfig', name], name, c.value(['pluginConfig', name]));
    }
  }

  if (section(c, ['batch'], ['durationAware'])) {
    const d = c.value(['batch', 'durationAware']);
    if (d !== undefined) {
      if (typeof d !== 'boolean') c.fail(['batch', 'durationAware'], `must be true or false (got ${show(d)})`);
      else out.batch.durationAware = d;
    }
  }

  if (section(c, ['complementaryPeak'], ['enabled', 'filter', 'batchCapacity'])) {
    for (const k of ['enabled', 'filter', 'batchCapacity'] as const) {
      const v = c.value(['complementaryPeak', k]);
      if (v === undefined) continue;
      if (typeof v !== 'boolean') c.fail(['complementaryPeak', k], `must be true or false (got ${show(v)})`);
      else out.complementaryPeak[k] = v;
    }
  }

  if (section(c, ['emptyRequestEstimate'], ['cpu', 'memory'])) {
    const cpu = qty(c, ['emptyRequestEstimate', 'cpu'], parseCpuMilli, 'a CPU quantity such as 250m');
    if (cpu !== undefined) out.emptyRequestEstimate.cpu = cpu;
    const mem = qty(c, ['emptyRequestEstimate', 'memory'], parseMemoryBytes, 'a memory quantity such as 200Mi');
    if (mem !== undefined) out.emptyRequestEstimate.memory = mem;
  }

  if (section(c, ['resourceWeights'], ['cpu', 'memory'])) {
    const w: Resources = { ...out.resourceWeights };
    for (const r of ['cpu', 'memory'] as const) {
      const v = num(c, ['resourceWeights', r], (x) => x >= 0, 'a non-negative number');
      if (v !== undefined) w[r] = v;
    }
    if (w.cpu + w.memory <= 0) c.fail(['resourceWeights'], 'cpu and memory cannot both be 0');
    out.resourceWeights = w;
  }

  if (section(c, ['scoreWeights'], ['online', 'batch'])) {
    for (const [cls, allowed] of [['online', scoreNamesFor('online')], ['batch', scoreNamesFor('batch')]] as const) {
      const path = ['scoreWeights', cls];
      if (c.node(path) === undefined) continue;
      if (!c.isMapping(path)) {
        c.fail(path, `must be a mapping of score plugin to weight; plugins for ${cls} pods: ${allowed.join(', ')}`);
        continue;
      }
      c.onlyKeys(path, allowed);
      const weights: Record<string, number> = {};
      for (const plugin of allowed) {
        const v = num(c, [...path, plugin], (x) => x >= 0, 'a non-negative weight');
        if (v !== undefined) weights[plugin] = v;
      }
      if (Object.values(weights).every((w) => w === 0)) c.fail(path, `give at least one ${cls} score plugin a positive weight`);
      out.scoreWeights[cls] = weights;
    }
  }
  return out;
}

/**
 * Checks a plugin's args with its definition's validator (issues reported under `path`, where the
 * file has them) and merges them field by field onto the base policy's args for that plugin.
 */
function setArgs(c: Checker, out: PolicyConfig, path: Path, plugin: string, given: unknown, checkKeys = true): void {
  const d = pluginDefinition(plugin)!;
  const before = c.issues.length;
  if (checkKeys && d.fields && c.isMapping(path)) c.onlyKeys(path, d.fields);
  for (const i of d.validate?.(given) ?? []) c.fail([...path, ...i.path], i.message);
  if (c.issues.length > before) return;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  // Fields left out keep the base policy's value, or the plugin's default where the base has none.
  let base = Object.hasOwn(out.pluginArgs, plugin) ? out.pluginArgs[plugin] : d.defaults;
  if (!isObject(base)) base = d.defaults;
  out.pluginArgs = { ...out.pluginArgs, [plugin]: isObject(given) && isObject(base) ? { ...base, ...given } : given };
}

/** True when the section is present and a mapping (checking its keys); reports it otherwise. */
function section(c: Checker, path: Path, keys: string[]): boolean {
  if (c.node(path) === undefined) return false;
  if (!c.isMapping(path)) {
    c.fail(path, `must be a mapping with ${keys.join(', ')}`);
    return false;
  }
  c.onlyKeys(path, keys);
  return true;
}

function num(c: Checker, path: Path, ok: (v: number) => boolean, what: string): number | undefined {
  const v = c.value(path);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    c.fail(path, `must be ${what} (got ${show(v)})`);
    return undefined;
  }
  return v;
}

function duration(c: Checker, path: Path): number | undefined {
  const v = c.value(path);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    c.fail(path, `must be a duration string such as 30m or 1h30m (got ${show(v)})`);
    return undefined;
  }
  try {
    const ms = parseDuration(v);
    if (ms <= 0) {
      c.fail(path, 'must be longer than 0');
      return undefined;
    }
    return ms;
  } catch (e) {
    c.fail(path, (e as Error).message);
    return undefined;
  }
}

function qty(c: Checker, path: Path, parse: (t: string | number) => number, what: string): number | undefined {
  const v = c.value(path);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    c.fail(path, `must be ${what} (got ${show(v)})`);
    return undefined;
  }
  try {
    const q = parse(v);
    if (q < 0) throw new Error('must not be negative');
    return q;
  } catch (e) {
    c.fail(path, `must be ${what}: ${(e as Error).message}`);
    return undefined;
  }
}

function stringList(c: Checker, path: Path, what: string, item: (s: string) => string | null = () => null): string[] | undefined {
  const n = c.node(path);
  if (n === undefined) return undefined;
  if (!isSeq(n)) {
    c.fail(path, `must be a list of ${what}`);
    return undefined;
  }
  const out: string[] = [];
  n.items.forEach((_, i) => {
    const v = c.value([...path, i]);
    if (typeof v !== 'string' || v === '') {
      c.fail([...path, i], `must be ${what.replace(/s$/, '')} (got ${show(v)})`);
      return;
    }
    const problem = item(v);
    if (problem) c.fail([...path, i], problem);
    else out.push(v);
  });
  return out;
}

function checkClassification(c: Checker, base: ClassificationConfig): ClassificationConfig {
  const path = ['classification'];
  const out: ClassificationConfig = {
    ...base,
    priorityClassNames: { online: [...base.priorityClassNames.online], batch: [...base.priorityClassNames.batch], system: [...base.priorityClassNames.system] },
    priorityRanges: { online: [...base.priorityRanges.online], batch: [...base.priorityRanges.batch], system: [...base.priorityRanges.system] },
    systemNamespaces: [...base.systemNamespaces],
  };
  if (!section(c, path, ['label', 'annotation', 'priorityClassNames', 'priorityRanges', 'systemNamespaces', 'defaultClass'])) return out;
  for (const k of ['label', 'annotation'] as const) {
    const v = c.value([...path, k]);
    if (v === undefined) continue;
    if (typeof v !== 'string' || (v !== '' && !KEY.test(v))) {
      c.fail([...path, k], `must be a Kubernetes ${k} key such as tidal.io/class, or "" to disable (got ${show(v)})`);
    } else {
      out[k] = v;
    }
  }
  if (section(c, [...path, 'priorityClassNames'], [...CLASSES])) {
    const seen = new Map<string, WorkloadClass>();
    for (const cls of CLASSES) {
      const names = stringList(c, [...path, 'priorityClassNames', cls], 'PriorityClass names');
      if (names === undefined) continue;
      out.priorityClassNames[cls] = names;
    }
    for (const cls of CLASSES) {
      out.priorityClassNames[cls].forEach((n, i) => {
        const other = seen.get(n);
        if (other && other !== cls) c.fail([...path, 'priorityClassNames', cls, i], `PriorityClass ${n} is also listed for ${other}`);
        seen.set(n, cls);
      });
    }
  }
  if (section(c, [...path, 'priorityRanges'], [...CLASSES])) {
    for (const cls of CLASSES) {
      const rp = [...path, 'priorityRanges', cls];
      const n = c.node(rp);
      if (n === undefined) continue;
      if (!isSeq(n)) {
        c.fail(rp, 'must be a list of {min, max} priority ranges (inclusive)');
        continue;
      }
      const ranges: PriorityRange[] = [];
      n.items.forEach((_, i) => {
        const ip = [...rp, i];
        if (!c.isMapping(ip)) {
          c.fail(ip, 'must be {min, max} (inclusive integers)');
          return;
        }
        c.onlyKeys(ip, ['min', 'max']);
        const isInt = (v: number): boolean => Number.isInteger(v) && Math.abs(v) <= 2 ** 31;
        const min = num(c, [...ip, 'min'], isInt, 'an integer priority');
        const max = num(c, [...ip, 'max'], isInt, 'an integer priority');
        if (c.value([...ip, 'min']) === undefined) c.fail([...ip, 'min'], 'required: an integer priority');
        if (c.value([...ip, 'max']) === undefined) c.fail([...ip, 'max'], 'required: an integer priority');
        if (min === undefined || max === undefined) return;
        if (min > max) {
          c.fail([...ip, 'max'], `must not be below min (${min})`);
          return;
        }
        ranges.push({ min, max });
      });
      out.priorityRanges[cls] = ranges;
    }
  }
  const ns = stringList(c, [...path, 'systemNamespaces'], 'namespace names', (s) => (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) ? null : `${show(s)} is not a namespace name`));
  if (ns !== undefined) out.systemNamespaces = ns;
  const def = c.value([...path, 'defaultClass']);
  if (def !== undefined) {
    if (!isWorkloadClass(def)) c.fail([...path, 'defaultClass'], `must be online, batch or system (got ${show(def)})`);
    else out.defaultClass = def;
  }
  return out;
}

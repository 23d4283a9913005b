// Demand scenarios: load a DemandScenario YAML and apply it to a base trace.
export * from './model.ts';
export { loadScenarioFile, parseScenario, ScenarioError, API_VERSION as SCENARIO_API_VERSION, KIND as SCENARIO_KIND } from './load.ts';
export { transformTrace, windowLevel, selects, stepTimes, type TransformOptions } from './transform.ts';

import { openTrace, type OpenOptions, type Trace } from '../traces/index.ts';
import { loadScenarioFile } from './load.ts';
import { transformTrace, type TransformOptions } from './transform.ts';

/** A trace by path, transformed by a scenario file when one is given. */
export async function openScenarioTrace(path: string, scenarioFile: string | undefined, options: OpenOptions & TransformOptions = {}): Promise<Trace> {
  const base = await openTrace(path, options);
  return scenarioFile ? transformTrace(base, loadScenarioFile(scenarioFile), options) : base;
}

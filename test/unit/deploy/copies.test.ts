// The deploy recipes carry copies (profiles, TidalConfig) and version numbers; they must not drift
// from their sources. (The e2e tier renders the chart and the kustomize base and compares the objects.)

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;

describe('deploy recipes', () => {
  it('the chart and the kustomize base ship the profiles and TidalConfig unchanged', () => {
    for (const f of readdirSync(join(ROOT, 'profiles')).filter((f) => f.endsWith('.yaml'))) {
      expect(read(`charts/tidal/files/profiles/${f}`), `charts/tidal/files/profiles/${f}: copy profiles/${f} again`).toBe(read(`profiles/${f}`));
      expect(read(`deploy/base/profiles/${f}`), `deploy/base/profiles/${f}: copy profiles/${f} again`).toBe(read(`profiles/${f}`));
    }
    expect(read('charts/tidal/files/tidal-config.yaml')).toBe(read('deploy/base/config/tidal-config.yaml'));
  });

  it('name the package version: the chart appVersion, the kustomize image tag, the Containerfile default', () => {
    expect(parse(read('charts/tidal/Chart.yaml')).appVersion).toBe(version);
    expect(parse(read('deploy/base/kustomization.yaml')).images[0].newTag).toBe(version);
    expect(read('Containerfile')).toContain(`ARG VERSION=${version}\n`);
  });

  it('the chart\'s default profile exists among the shipped ones', () => {
    const profile = parse(read('charts/tidal/values.yaml')).profile as string;
    expect(readdirSync(join(ROOT, 'charts/tidal/files/profiles'))).toContain(profile);
  });
});

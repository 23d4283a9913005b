// Where the tidal package lives on disk, found by walking up from this module to the package.json
// named "tidal". The same code runs from the source tree (scheduler/cli/*.ts, through Node's type
// stripping) and from the built package (dist/scheduler/cli/*.js), so assets are addressed from the
// package root, never relative to this file.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: string;
  version?: string;
}

function findRoot(from: string): { root: string; pkg: PackageJson } {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (pkg.name === 'tidal') return { root: dir, pkg };
    }
    if (dirname(dir) === dir) throw new Error(`no package.json named "tidal" above ${from}: the package is incomplete`);
  }
}

const found = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The package's root folder (holds package.json, profiles/, dist/ when installed). */
export const PACKAGE_ROOT = found.root;

/** The package's version, from its package.json. */
export const PACKAGE_VERSION = found.pkg.version ?? '0.0.0';

/** A file shipped with the package, by its path from the package root (e.g. profiles/double11.yaml). */
export const packageFile = (path: string): string => join(PACKAGE_ROOT, path);

// vitest globalSetup of the e2e project: decides whether the tier can run here and makes sure
// the control-plane binaries exist (building them from Go modules on first use).
//
//   TIDAL_E2E=0           explicit opt-out: the tier is skipped, also in CI
//   TIDAL_E2E_BIN_DIR     pre-built binaries to use (must hold all of BINARIES, kubectl included)
//   CI=true               a missing prerequisite (Go toolchain, openssl) fails the run
//                         instead of skipping the tier
import type { TestProject } from 'vitest/node';
import { binDir, cacheBinDir, ensureBinaries, findGo, findOnPath, missingBinaries } from './binaries.ts';
import { type E2eTierVerdict, SKIP_ENV } from './tier.ts';

function prerequisiteProblem(): string | undefined {
  if (!findOnPath('openssl')) return 'openssl not found in PATH (needed to make the control plane certificates)';
  if (process.env.TIDAL_E2E_BIN_DIR) return undefined; // checked (and failed loudly) in setup
  if (missingBinaries(cacheBinDir()).length === 0) return undefined;
  if (!findGo()) {
    return 'no Go toolchain (go in PATH or /usr/local/go/bin/go) to build the control-plane binaries, and none cached';
  }
  return undefined;
}

export default async function setup(project: TestProject): Promise<void> {
  const decide = (verdict: E2eTierVerdict): void => {
    project.provide('tidalE2e', verdict);
    if (verdict.run) {
      process.env.TIDAL_E2E_BIN_DIR = verdict.binDir;
      delete process.env[SKIP_ENV];
    } else {
      process.env[SKIP_ENV] = verdict.reason;
    }
  };

  if (process.env.TIDAL_E2E === '0') {
    const reason = 'TIDAL_E2E=0 (explicit opt-out)';
    process.stdout.write(`e2e tier skipped: ${reason}\n`);
    decide({ run: false, reason });
    return;
  }

  const problem = prerequisiteProblem();
  if (problem) {
    if (process.env.CI === 'true') {
      throw new Error(`e2e tier cannot run in CI: ${problem}. Install it, or set TIDAL_E2E=0 to opt out explicitly.`);
    }
    process.stdout.write(`e2e tier skipped: ${problem}\n`);
    decide({ run: false, reason: problem });
    return;
  }

  if (process.env.TIDAL_E2E_BIN_DIR) {
    const missing = missingBinaries(binDir());
    if (missing.length > 0) {
      throw new Error(`TIDAL_E2E_BIN_DIR=${process.env.TIDAL_E2E_BIN_DIR} lacks: ${missing.join(', ')}`);
    }
  } else if (missingBinaries(cacheBinDir()).length > 0) {
    process.stderr.write(
      `[tidal-e2e] building the control-plane binaries into ${cacheBinDir()} (the first build takes many minutes)\n`,
    );
  }
  decide({ run: true, binDir: await ensureBinaries() });
}

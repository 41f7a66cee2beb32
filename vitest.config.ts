import { defineConfig } from 'vitest/config';
import { readFileSync } from 'node:fs';
import { TierSequencer } from './test/helpers/sequencer.js';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // the version the build writes into dist/, so code run from source (in-process commands,
  // test/helpers/gate-in.ts) names the same cache files and prints the same version as the binary
  define: { __GATE_VERSION__: JSON.stringify(version) },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 3, // on 2 cores: the tests mostly wait on git and node children, so a third worker fills the gaps
    sequence: { sequencer: TierSequencer }, // heavy tiers first on a clean clone (test/helpers/sequencer.ts)
    // file-end: the helpers' end-of-file clean-ups; cpu-profile: the per-file CPU log (GATE_TEST_CPU)
    setupFiles: ['test/helpers/file-end.ts', ...(process.env.GATE_TEST_CPU ? ['test/helpers/cpu-profile.ts'] : [])],
    projects: [
      // (no root `include`: `extends: true` would add it to each project's own)
      // Both tiers' files share worker processes instead of starting one each (test/unit: about 11 s of
      // CPU less on 2 cores; the repo tier: about 0.3 CPU-s of start-up and imports per file). So a test
      // file restores any process state it changes (env, cwd, exitCode), and test/unit changes none.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'repo', include: ['test/**/*.test.ts'], exclude: ['test/unit/**'], isolate: false } },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
});

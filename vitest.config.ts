import { defineConfig } from 'vitest/config';
import { TierSequencer } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 3, // on 2 cores: the tests mostly wait on git and node children, so a third worker fills the gaps
    sequence: { sequencer: TierSequencer }, // heavy tiers first on a clean clone (test/helpers/sequencer.ts)
    setupFiles: process.env.GATE_TEST_CPU ? ['test/helpers/cpu-profile.ts'] : [], // per-file CPU log (test/helpers/cpu-profile.ts)
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
});

/**
 * The order test files start in (vitest.config.ts `sequence.sequencer`). With timings from an
 * earlier run (vitest's results cache), vitest's own order: failed first, then longest first.
 * Without them (a clean clone, as in CI), vitest would start the largest files first; the heavy
 * files are those that spawn git, node and npm, not the long ones, so start by tier instead:
 * e2e (packed tarball, consumer repos), adversarial, integration, model, then unit and the rest
 * (pure, short: they fill the last seconds on every worker instead of one heavy file running
 * alone at the end), and by size within a tier.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const TIERS = ['test/e2e/', 'test/adversarial/', 'test/integration/', 'test/model/'];

export class TierSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const key = (f: TestSpecification) => `${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`;
    if (files.every((f) => cache.getFileTestResults(key(f)))) return super.sort(files);
    const tier = (f: TestSpecification) => {
      const rel = relative(this.ctx.config.root, f.moduleId).replaceAll('\\', '/');
      const i = TIERS.findIndex((t) => rel.startsWith(t));
      return i === -1 ? TIERS.length : i;
    };
    const size = (f: TestSpecification) => cache.getFileStats(key(f))?.size ?? 0;
    return [...files].sort((a, b) => tier(a) - tier(b) || size(b) - size(a));
  }
}

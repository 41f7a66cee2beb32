/**
 * Import an ES module by URL (or a specifier relative to dist/). In the ESM bundle this is plain
 * `import()`. The hook bundle (dist/hook.cjs) is compiled by bin/gate.js with V8's code cache,
 * and code compiled that way cannot run `import()` itself on node 20, so in that bundle the build
 * swaps this module for one that asks dist/esm-import.cjs (a one-line CommonJS file, loaded with
 * `require` on first use) to do the import (scripts/build.mjs; ADR 0010).
 */
export function importModule(url: string): Promise<unknown> {
  return import(url);
}

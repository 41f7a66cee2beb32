/**
 * Import an ES module by absolute URL (lint-staged's configuration, say).
 *
 * bin/gate.js compiles dist/hook.cjs with node:vm to use V8's code cache, and on node 20 code
 * compiled that way cannot run `import()` (node asks for --experimental-vm-modules). So the launcher,
 * an ordinary CommonJS file that can, registers its own `(url) => import(url)` under
 * `Symbol.for('agent-gates.import')` before it loads the hot file; everywhere else (the ESM program,
 * tests, a hot file loaded with plain `require`) there is none and this is a plain `import()`.
 * No build step edits this file (ADR 0016).
 */
export const IMPORT_HOOK: unique symbol = Symbol.for('agent-gates.import');

type Importer = (url: string) => Promise<unknown>;

export function importModule(url: string): Promise<unknown> {
  const host = (globalThis as { [IMPORT_HOOK]?: Importer })[IMPORT_HOOK];
  return host ? host(url) : import(url);
}

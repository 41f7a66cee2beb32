// ESLint 9 flat config (`npm run lint`, run by `npm test` before vitest, so CI runs it).
// A lean rule set: what catches real mistakes here (unused code, value imports of types, promises
// nobody awaits), plus the layer rule of ADR 0014 as no-restricted-imports per folder;
// test/unit/layers.test.ts checks the same rule from the import graph (cycles, getBuiltinModule).
import tseslint from 'typescript-eslint';

/** Top to bottom: a file may import its own layer or any layer below it (CONTRIBUTING.md's map). */
const LAYERS = ['cli', 'app', 'adapters', 'review', 'gates', 'signing', 'ledger', 'schema', 'kernel'];
const PURE = ['review', 'gates', 'signing', 'ledger', 'schema', 'kernel'];
const WORLD = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process'];

/** `../`s then one of `names`: a relative import of another src/ folder (folder names are unique). */
const folders = (names) => ({ regex: `^(\\.\\./)+(${names.join('|')})(/|$)` });
const upward = (layer) => LAYERS.slice(0, LAYERS.indexOf(layer));
const world = { paths: WORLD.map((name) => ({ name, message: 'only src/adapters/ touches the world (ADR 0002): use or add an adapter' })) };

const layerRule = (layer, { fs }) => {
  const above = upward(layer);
  const patterns = [];
  if (above.length) patterns.push({ ...folders(above), message: `${layer}/ may not import a layer above it (${above.join(', ')}): dependencies point down (ADR 0014)` });
  if (PURE.includes(layer) && !above.includes('adapters')) patterns.push({ ...folders(['adapters']), message: 'a pure folder does not import adapters/ (ADR 0014)' });
  return ['error', { ...(fs ? world : {}), patterns }];
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist.*/**', 'coverage/**', 'node_modules/**', 'bench-results/**', '**/*.d.ts'] },
  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // the repository's existing disable comments name rules this lean set does not run
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // `import('node:fs')` type annotations stay allowed: kernel/builtins.ts types built-ins it loads on first use
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports', disallowTypeAnnotations: false }],
    },
  },
  // type-aware, src/ only (about 12 s of CPU for the whole lint on this 2-core machine)
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // the layer rule, one block per folder
  ...LAYERS.map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': layerRule(layer, { fs: PURE.includes(layer) || layer === 'app' }) },
  })),
  { files: ['src/kernel/builtins.ts'], rules: { 'no-restricted-imports': layerRule('kernel', { fs: false }) } }, // built-ins on first use (layers.test.ts)
);

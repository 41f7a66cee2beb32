import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * eslint.config.js carries the layer rule (ADR 0014) as no-restricted-imports per folder, so an
 * editor shows it as it is typed and `npm run lint` (in `npm test`, so in CI) fails on it. These
 * lint a few lines as if they were in a given file (existing files, so the type-aware block applies).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: ROOT });
const problems = async (filePath: string, code: string) =>
  (await eslint.lintText(code, { filePath: join(ROOT, filePath) }))[0]!.messages.map((m) => `${m.ruleId}: ${m.message}`);

describe('eslint.config.js: the layer rule', () => {
  it('a pure folder may not import node:fs, node:child_process or adapters/', async () => {
    expect(await problems('src/kernel/ids.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n")).toEqual([
      "no-restricted-imports: 'node:fs' import is restricted from being used. only src/adapters/ touches the world (ADR 0002): use or add an adapter",
    ]);
    expect(await problems('src/gates/adr.ts', "import { spawnSync } from 'node:child_process';\nexport const s = spawnSync;\n")).toHaveLength(1);
    expect(await problems('src/ledger/chain.ts', "import { Git } from '../adapters/git.js';\nexport const g = Git;\n")).toHaveLength(1);
  });

  it('nothing imports upward: app may not import cli, kernel may not import schema', async () => {
    expect(await problems('src/app/context.ts', "import { stdout } from '../cli/fast/stdout.js';\nexport const s = stdout;\n")).toHaveLength(1);
    expect(await problems('src/kernel/ids.ts', "import { configSchema } from '../schema/config/schema.js';\nexport const c = configSchema;\n")).toHaveLength(1);
    // downward is fine
    expect(await problems('src/app/context.ts', "import { GateError } from '../kernel/errors.js';\nexport const e = GateError;\n")).toEqual([]);
  });

  it('the lean rules: unused variables, value imports used only as types, floating promises', async () => {
    const found = await problems(
      'src/adapters/pager.ts',
      "import { GateError } from '../kernel/errors.js';\nconst unused = 1;\nasync function f(): Promise<void> {}\nf();\nexport type E = GateError;\n",
    );
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['@typescript-eslint/consistent-type-imports', '@typescript-eslint/no-floating-promises', '@typescript-eslint/no-unused-vars']);
  });
});

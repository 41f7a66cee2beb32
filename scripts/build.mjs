// Bundle the CLI with esbuild: one ESM entry plus lazily loaded chunks per use-case,
// so a hook pays only for what it runs. Also regenerates the committed JSON Schema.
//
// Two bundles of the same sources (bin/gate.js picks one per process, they never mix):
//  - dist/cli.js (+ dist/chunks/): every command, each lazily loaded, commander for argv.
//  - dist/hook.js (+ dist/hook-chunks/): what `gate check --hook <name>` and `--version` run on
//    every commit. Same code, chunked differently: the lazy imports the hooks ALWAYS take
//    (context, check, the registered hook gates, Gate B's glue) are bundled statically into one
//    chunk, because each separate ESM chunk costs ~0.6 ms of CPU to load and the hook path used
//    to load ~30 of them. Heavy, conditional imports (yaml, zod, signing, approval flows) stay
//    lazy. Anything else that bundle is asked to run goes to dist/program.js (commander).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync, mkdirSync, renameSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Build into a private directory and swap it in, so a concurrent test run never sees a half-built dist/.
const out = `dist.tmp-${process.pid}`;
rmSync(join(root, out), { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  define: { __GATE_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __gateCreateRequire } from 'node:module'; const require = __gateCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', program: 'src/cli/program.ts' },
  chunkNames: 'chunks/[name]-[hash]',
});

/** Modules every hook run loads: in the hook bundle their dynamic imports become static. */
const HOOK_ALWAYS = [/^src\/app\/(context|check|mutation)\.ts$/, /^src\/app\/hooks\/[^/]+\.ts$/];
const hookStaticImports = {
  name: 'hook-static-imports',
  setup(b) {
    // main.ts keeps its lazy imports (--version must not load the hook code); program.ts is the
    // commander bundle's entry, loaded from dist/program.js.
    b.onResolve({ filter: /^\.\/program\.js$/ }, (args) =>
      relative(root, args.importer) === join('src', 'cli', 'main.ts') ? { path: './program.js', external: true } : undefined);
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      if (relative(root, args.path) === join('src', 'cli', 'main.ts')) return undefined;
      const src = await readFile(args.path, 'utf8');
      const adds = [];
      // `import('./x.js')` used as a value (not a type: `import('./x.js').T`)
      const rewritten = src.replace(/\bimport\((['"])(\.{1,2}\/[^'"]+)\1\)(?!\.(?!then\b))/g, (m, q, spec) => {
        const target = relative(root, resolve(dirname(args.path), spec.replace(/\.js$/, '.ts'))).split('\\').join('/');
        if (!HOOK_ALWAYS.some((re) => re.test(target))) return m;
        const id = `__hookStatic${adds.length}`;
        adds.push(`import * as ${id} from ${q}${spec}${q};`);
        return `Promise.resolve(${id})`;
      });
      return adds.length ? { contents: `${adds.join('\n')}\n${rewritten}`, loader: 'ts', resolveDir: dirname(args.path) } : undefined;
    });
  },
};

await build({
  ...common,
  entryPoints: { hook: 'src/cli/main.ts' },
  chunkNames: 'hook-chunks/[name]-[hash]',
  plugins: [hookStaticImports],
});

// `gate --help` as commander prints it into a pipe (80 columns, no colour), rendered from the
// command table just built; src/cli/main.ts serves it without loading commander when stdout is
// not a terminal. test/integration/cli-fast-path.test.ts compares it with commander's live output.
{
  const { spawnSync } = await import('node:child_process');
  const env = { ...process.env };
  for (const k of ['FORCE_COLOR', 'CLICOLOR_FORCE', 'NO_COLOR', 'COLUMNS']) delete env[k];
  const hookUrl = new URL(`file://${join(root, out, 'hook.js')}`).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { run } = await import(${JSON.stringify(hookUrl)}); await run(['--help']);`], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !r.stdout.includes('Usage: gate')) throw new Error(`could not render gate --help for dist/help.txt:\n${r.stdout}\n${r.stderr}`);
  writeFileSync(join(root, out, 'help.txt'), r.stdout);
}

// JSON Schema for editors, generated from the zod schema (the single source of truth).
const schemaBundle = join(root, out, '.schema-gen.mjs');
await build({
  absWorkingDir: root,
  entryPoints: ['src/schema/config.ts'],
  outfile: schemaBundle,
  bundle: true,
  format: 'esm',
  platform: 'node',
  logLevel: 'warning',
});
const { configJsonSchema } = await import(schemaBundle);
const schema = { $id: 'https://agent-gates.dev/schema/gates.schema.json', title: 'agent-gates configuration (.agents/gates.yaml)', ...configJsonSchema() };
mkdirSync(join(root, 'schema'), { recursive: true });
writeFileSync(join(root, 'schema', 'gates.schema.json'), `${JSON.stringify(schema, null, 2)}\n`);
rmSync(schemaBundle);

const old = `dist.old-${process.pid}`;
if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), join(root, old));
renameSync(join(root, out), join(root, 'dist'));
rmSync(join(root, old), { recursive: true, force: true });

// Bundle the CLI with esbuild: one ESM entry plus lazily loaded chunks per use-case,
// so a hook pays only for what it runs. Also regenerates the committed JSON Schema.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync, mkdirSync, renameSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Build into a private directory and swap it in, so a concurrent test run never sees a half-built dist/.
const out = `dist.tmp-${process.pid}`;
rmSync(join(root, out), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts' },
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
  chunkNames: 'chunks/[name]-[hash]',
  define: { __GATE_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __gateCreateRequire } from 'node:module'; const require = __gateCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

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

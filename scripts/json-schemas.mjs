#!/usr/bin/env node
// Generate schema/json/<command>.schema.json (JSON Schema 2020-12) from the zod definitions of each
// command's --json output in src/cli/views/json-output.ts. `node scripts/json-schemas.mjs` writes
// them; `--check` exits 1 when a committed file is stale or missing, or one is left over.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'schema', 'json');
const check = process.argv.includes('--check');

const bundled = await build({ entryPoints: [join(root, 'src', 'cli', 'views', 'json-output.ts')], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'silent' });
const mod = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
const { z } = await import('zod');

/** `lock acquire` → lock-acquire.schema.json */
export const fileFor = (cmd) => `${cmd.replace(/ /g, '-')}.schema.json`;

const want = new Map();
for (const [cmd, schema] of Object.entries(mod.JSON_OUTPUTS)) {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' });
  const doc = { $schema: json.$schema, $id: `urn:agent-gates:json:${cmd.replace(/ /g, "-")}`, title: `gate ${cmd} --json`, ...json };
  want.set(fileFor(cmd), `${JSON.stringify(doc, null, 2)}\n`);
}

let have = [];
try {
  have = readdirSync(outDir).filter((f) => f.endsWith('.schema.json'));
} catch {}
if (check) {
  const problems = [];
  for (const [f, text] of want) {
    let cur;
    try {
      cur = readFileSync(join(outDir, f), 'utf8');
    } catch {
      problems.push(`${f} is missing`);
      continue;
    }
    if (cur !== text) problems.push(`${f} is stale`);
  }
  for (const f of have) if (!want.has(f)) problems.push(`${f} has no definition in src/cli/views/json-output.ts`);
  if (problems.length) {
    console.error(`schema/json is out of date (fix: npm run schemas):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
} else {
  mkdirSync(outDir, { recursive: true });
  for (const f of have) if (!want.has(f)) rmSync(join(outDir, f));
  for (const [f, text] of want) writeFileSync(join(outDir, f), text);
  console.log(`wrote ${want.size} schemas to schema/json/`);
}

// Bundle the CLI with esbuild. Also regenerates the committed JSON Schema (only when it changed).
//
// Two entry files of the same sources, each third-party library shipped once, and no build step
// that edits source text (ADR 0016):
//  - dist/hook.cjs: one CommonJS file for the hot path (hooks, leases, --version, --help into a
//    pipe); see below and ADR 0010. bin/gate.js loads it for every command;
//  - dist/program.js (+ its lazily loaded chunks, next to it in dist/): ESM, every command,
//    commander for argv; bin/gate.js imports it when the hot file's `run` does not take the command;
//  - dist/vendor/{zod,yaml,diff}.cjs: the libraries, required by the hot file and imported by the
//    ESM program (named exports listed explicitly, so node's CommonJS interop finds them);
//  - dist/vendor/mcp-sdk.js: the MCP SDK (and ajv) for `gate mcp`, on the same zod (ADR 0025).
// Third-party code ships without source maps; ours keeps them (ADR 0002).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync, mkdirSync, renameSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Where the entry points live (plain repository paths: scripts/refolder.mjs rewrites them when files move).
const HOT_ENTRY = 'src/cli/fast/main.ts';
const PROGRAM_ENTRY = 'src/cli/program.ts';
const CONFIG_SCHEMA = 'src/schema/config/schema.ts';
const pathRe = (p) => new RegExp(`[\\\\/]${p.split('/').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\\\/]')}$`);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Build into a private directory and swap it in, so a concurrent test run never sees a half-built dist/.
const out = `dist.tmp-${process.pid}`;
rmSync(join(root, out), { recursive: true, force: true });

/** What both bundles share. */
const shared = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Maps name src/ files and lines (stack traces under --enable-source-maps); the sources
  // themselves are not copied into the package a second time.
  sourcesContent: false,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

const common = {
  ...shared,
  outdir: out,
  splitting: true,
  format: 'esm',
  define: { __GATE_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __gateCreateRequire } from 'node:module'; const require = __gateCreateRequire(import.meta.url);",
  },
};

const VENDOR = { zod: './vendor/zod.cjs', yaml: './vendor/yaml.cjs', diff: './vendor/diff.cjs' };
// Each library's named exports (what dist/vendor/<name>.cjs exports and the program imports by name).
const VENDOR_NAMES = Object.fromEntries(
  await Promise.all(Object.keys(VENDOR).map(async (name) => [name, Object.keys(await import(name)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n))])),
);
// zod's root export IS its v4 API (the same names, checked below): the MCP SDK's `zod/v4` and
// `zod/v4-mini` imports (it uses object, safeParse, safeParseAsync and toJSONSchema from the
// latter, which the root has too) take the one zod we ship instead of bundling a second copy.
const ZOD_ALIASES = /^zod(?:\/v4|\/v4-mini)?$/;
// The MCP SDK (and ajv, which it brings) is a vendored ESM file like the other libraries: no
// source map (a map of a library's minified code names node_modules files nobody has), imported
// lazily by `gate mcp`'s chunk only.
const MCP_SDK = /^@modelcontextprotocol\/sdk\//;
const MCP_VENDOR = './vendor/mcp-sdk.js';
const MCP_MODULES = ['server/index.js', 'server/stdio.js', 'types.js'];
// Chunks sit next to program.js so that './vendor/x.cjs' names the same file from every output.
await build({
  ...common,
  entryPoints: { program: PROGRAM_ENTRY },
  chunkNames: '[name]-[hash]',
  plugins: [{
    name: 'vendor-externals',
    setup(b) {
      // The libraries are CommonJS files, and the program takes them with `require` (the banner's
      // createRequire), not `import`: importing a CommonJS file from ESM makes node scan its whole
      // source for export names first (cjs-module-lexer), which cost about 0.15 s of CPU per command
      // for zod and yaml, more than all our code. Each library becomes a small ES module here that
      // requires the file and exports its names (static and dynamic `import()` alike).
      b.onResolve({ filter: /^(zod|yaml|diff)$/ }, (args) => ({ path: args.path, namespace: 'vendor-require' }));
      b.onLoad({ filter: /.*/, namespace: 'vendor-require' }, (args) => ({
        contents: `const m = require(${JSON.stringify(VENDOR[args.path])});\nexport const { ${VENDOR_NAMES[args.path].join(', ')} } = m;\nexport default m;\n`,
        loader: 'js',
      }));
      b.onResolve({ filter: /^\.\/vendor\/(zod|yaml|diff)\.cjs$/ }, (args) => ({ path: args.path, external: true }));
      b.onResolve({ filter: MCP_SDK }, (args) => {
        if (!MCP_MODULES.includes(args.path.slice('@modelcontextprotocol/sdk/'.length))) throw new Error(`build: add ${args.path} to MCP_MODULES in scripts/build.mjs`);
        return { path: MCP_VENDOR, external: true };
      });
    },
  }],
});
{
  const [root, v4, mini] = await Promise.all(['zod', 'zod/v4', 'zod/v4-mini'].map((m) => import(m)));
  const missing = [...Object.keys(v4).filter((n) => !(n in root)), ...['object', 'safeParse', 'safeParseAsync', 'toJSONSchema'].filter((n) => typeof mini[n] !== 'function' || typeof root[n] !== 'function')];
  if (missing.length) throw new Error(`build: zod's root export lacks ${missing.join(', ')}: the MCP SDK's zod/v4 imports cannot share dist/vendor/zod.cjs`);
}
await build({
  ...shared,
  sourcemap: false,
  legalComments: 'eof',
  format: 'esm',
  banner: common.banner,
  stdin: { contents: MCP_MODULES.map((m) => `export * from '@modelcontextprotocol/sdk/${m}';`).join('\n'), resolveDir: root, loader: 'js', sourcefile: 'vendor-mcp-sdk.js' },
  outfile: join(out, MCP_VENDOR),
  plugins: [{
    name: 'zod-once',
    setup(b) {
      b.onResolve({ filter: ZOD_ALIASES }, () => ({ path: './zod.cjs', external: true }));
    },
  }],
});

// The hot path: ONE CommonJS file, dist/hook.cjs, for what every commit and every lease call
// runs (`gate check --hook …`, `gate lock acquire|release|renew|status`, `--version`, `--help`
// into a pipe). Why CommonJS and one file (ADR 0010): node's ESM loader costs a fixed ~4 ms plus
// ~0.6 ms of resolution and linking per module, and the ESM hook bundle loaded 14 of them on
// every commit; a CommonJS entry is compiled once and its lazily imported modules become
// esbuild's lazy initialisers inside the same file (parsed, evaluated only when called). The
// third-party libraries (zod ~590 KB, yaml ~160 KB, diff ~30 KB) are NOT inlined: parsing them on
// every commit cost more than all our code; each is its own CommonJS file in dist/vendor/,
// required only by the module that uses it, when that module is first initialised.
// Anything this file does not run itself its `run` hands back (false), and bin/gate.js imports
// dist/program.js (the ESM bundle above); the hot file never imports the program.
const hookResult = await build({
  ...shared,
  entryPoints: [HOT_ENTRY],
  outfile: join(out, 'hook.cjs'),
  format: 'cjs',
  define: { __GATE_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__gateMetaUrl' },
  banner: { js: "const __gateMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
  plugins: [{
    name: 'vendor-externals',
    setup(b) {
      b.onResolve({ filter: /^(zod|yaml|diff)$/ }, (args) => ({ path: VENDOR[args.path], external: true }));
    },
  }],
});
// zod's `locales` (every language's error messages: ~300 KB of its ~590 KB) reduced to the one it
// uses by default, English: nothing here calls z.config(z.locales.xx()), so z.locales is { en }.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /[\\/]locales[\\/]index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: join(args.resolveDir, dirname(args.path), 'en.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, loader: 'js', resolveDir: dirname(args.path) }));
  },
};
for (const name of Object.keys(VENDOR)) {
  // Named exports spelled out: `export *` of a CommonJS package (yaml) becomes a runtime re-export
  // that node's ESM interop cannot see, and dist/vendor/mcp-sdk.js imports zod.cjs by name.
  const names = VENDOR_NAMES[name];
  await build({
    ...shared,
    sourcemap: false,
    stdin: { contents: `export { ${names.join(', ')} } from '${name}';`, resolveDir: root, loader: 'js', sourcefile: `vendor-${name}.js` },
    outfile: join(out, 'vendor', `${name}.cjs`),
    format: 'cjs',
    plugins: [zodEnglishOnly],
  });
}
// The hot file must stay free of the libraries and of commander (they are what it avoids).
{
  const inputs = Object.keys(hookResult.metafile.outputs[join(out, 'hook.cjs')]?.inputs ?? {});
  const leaked = inputs.filter((i) => /node_modules[\\/](zod|yaml|diff|commander)[\\/]/.test(i) || pathRe(PROGRAM_ENTRY).test(`/${i}`) || i.split(/[\\/]/).join('/').startsWith(`${dirname(PROGRAM_ENTRY)}/commands/`));
  if (inputs.length === 0 || leaked.length) throw new Error(`dist/hook.cjs must not bundle ${leaked.join(', ') || '(no metafile)'}`);
}

// `gate --help` as commander prints it into a pipe (80 columns, no colour), rendered from the
// command table just built; src/cli/fast/main.ts serves it without loading commander when stdout is
// not a terminal. test/integration/cli-fast-path.test.ts compares it with commander's live output.
{
  const { spawnSync } = await import('node:child_process');
  const env = { ...process.env };
  for (const k of ['FORCE_COLOR', 'CLICOLOR_FORCE', 'NO_COLOR', 'COLUMNS']) delete env[k];
  const program = pathToFileURL(join(root, out, 'program.js')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `(await import(${JSON.stringify(program)})).runProgram(['--help'])`], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !r.stdout.includes('Usage: gate')) throw new Error(`could not render gate --help for dist/help.txt:\n${r.stdout}\n${r.stderr}`);
  writeFileSync(join(root, out, 'help.txt'), r.stdout);
}

// V8's code cache for dist/hook.cjs (bin/gate.js, ADR 0010): run the hot commands once in a
// scratch repository and save what V8 compiled. Only a speed-up: without it (say git is missing
// here) everything works, each command just compiles the file again, so the build says so and goes on.
{
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const scratch = mkdtempSync(join(tmpdir(), 'gate-warm-'));
  try {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'warm-code-cache.cjs'), join(root, out), scratch], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0 || !existsSync(join(root, out, 'hook.cjs.v8cache'))) {
      console.warn(`build: no code cache for dist/hook.cjs (every hook run compiles it again, ~5 ms): ${r.stderr?.trim() || r.error?.message || `exit ${r.status}`}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Our source maps, made line-grained (issue 15: the package's size). esbuild maps nearly every token
// of the minified output, which made the maps a quarter of the tarball; a stack trace needs the file
// and the line. Within each generated line, a segment that names the same source file and line as the
// segment kept before it is dropped (its column is the only thing lost), and a segment that carries a
// name is always kept. So every position still maps to the src/ file and line it came from (the
// column is that of the first mapped token of the line's run); test/integration/source-maps.test.ts
// checks that against the functions of dist/hook.cjs. docs/performance.md says what this costs.
{
  const { readdirSync } = await import('node:fs');
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const DIGIT = new Map([...B64].map((c, i) => [c, i]));
  const decode = (seg) => {
    const out = [];
    let v = 0;
    let shift = 0;
    for (const c of seg) {
      const d = DIGIT.get(c);
      if (d === undefined) throw new Error(`build: a source map segment has ${JSON.stringify(c)}`);
      v += (d & 31) * 2 ** shift;
      if (d & 32) shift += 5;
      else {
        out.push(v % 2 ? -Math.floor(v / 2) : Math.floor(v / 2));
        v = 0;
        shift = 0;
      }
    }
    return out;
  };
  const encode = (n) => {
    let v = n < 0 ? -n * 2 + 1 : n * 2;
    let s = '';
    do {
      let d = v & 31;
      v = Math.floor(v / 32);
      if (v) d |= 32;
      s += B64[d];
    } while (v);
    return s;
  };
  const coarsen = (mappings) => {
    // absolute values as decoded (source, original line, original column, name carry across lines)
    let src = 0, line = 0, col = 0, name = 0;
    // what the kept segments last encoded (the deltas are against those)
    let kSrc = 0, kLine = 0, kCol = 0, kName = 0;
    return mappings.split(';').map((gen) => {
      let gcol = 0;
      let kGcol = 0;
      let last;
      const kept = [];
      for (const seg of gen ? gen.split(',') : []) {
        const f = decode(seg);
        gcol += f[0];
        if (f.length < 4) {
          // an unmapped stretch stays unmapped, and the run after it starts afresh
          kept.push(encode(gcol - kGcol));
          kGcol = gcol;
          last = undefined;
          continue;
        }
        src += f[1];
        line += f[2];
        col += f[3];
        if (f.length > 4) name += f[4];
        const key = `${src}:${line}`;
        if (key === last && f.length < 5) continue;
        last = key;
        let out = encode(gcol - kGcol) + encode(src - kSrc) + encode(line - kLine) + encode(col - kCol);
        if (f.length > 4) {
          out += encode(name - kName);
          kName = name;
        }
        kGcol = gcol;
        kSrc = src;
        kLine = line;
        kCol = col;
        kept.push(out);
      }
      return kept.join(',');
    }).join(';');
  };
  for (const f of readdirSync(join(root, out)).filter((n) => n.endsWith('.map'))) {
    const file = join(root, out, f);
    const map = JSON.parse(readFileSync(file, 'utf8'));
    if (map.sourcesContent) throw new Error(`build: ${f} carries sourcesContent`);
    writeFileSync(file, JSON.stringify({ ...map, mappings: coarsen(map.mappings) }));
  }
}

// JSON Schema for editors, generated from the zod schema (the single source of truth).
const schemaBundle = join(root, out, '.schema-gen.mjs');
await build({
  absWorkingDir: root,
  entryPoints: [CONFIG_SCHEMA],
  outfile: schemaBundle,
  bundle: true,
  format: 'esm',
  platform: 'node',
  logLevel: 'warning',
});
const { configJsonSchemaText } = await import(schemaBundle);
mkdirSync(join(root, 'schema'), { recursive: true });
// Written only when it changed: a build leaves the tree as it was (test/unit/schema/json-schema.test.ts
// fails when the committed file is not what the zod schema gives).
{
  const file = join(root, 'schema', 'gates.schema.json');
  const text = configJsonSchemaText();
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
}
rmSync(schemaBundle);

const old = `dist.old-${process.pid}`;
if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), join(root, old));
renameSync(join(root, out), join(root, 'dist'));
rmSync(join(root, old), { recursive: true, force: true });

'use strict';
// Writes dist/hook.cjs.v8cache (see bin/gate.js): loads the hook bundle the way bin/gate.js does,
// runs the hot commands once in a throw-away repository (so V8 compiles the functions they use),
// then saves V8's code cache for the file. Run by scripts/build.mjs in a temporary directory:
//   node scripts/warm-code-cache.cjs <dist dir> <scratch dir>
const { spawnSync } = require('node:child_process');
const { copyFileSync, mkdirSync, writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const [dist, scratch] = process.argv.slice(2);
const file = join(dist, 'hook.cjs');
const repo = join(scratch, 'repo');
mkdirSync(repo, { recursive: true });
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: scratch, GATE_SESSION: 'build-warm-up' };
for (const k of Object.keys(env)) if (k.startsWith('GIT_') && k !== 'GIT_CONFIG_NOSYSTEM') delete env[k];
const git = (...args) => {
  const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};
git('init', '-q', '-b', 'main');
git('config', 'user.name', 'warm-up');
git('config', 'user.email', 'warm-up@example.invalid');
writeFileSync(join(repo, 'a.txt'), 'a\n');
// the default configuration, as `gate init` writes it, so the warm-up takes the config cache's path
mkdirSync(join(repo, '.agents'), { recursive: true });
copyFileSync(join(__dirname, '..', 'templates', 'gates.yaml'), join(repo, '.agents', 'gates.yaml'));
mkdirSync(join(repo, 'rules'), { recursive: true });
writeFileSync(join(repo, 'rules', 'style.md'), '# style\n');
git('add', '-A');
git('commit', '-q', '--no-verify', '-m', 'first');
writeFileSync(join(repo, 'a.txt'), 'b\n');
writeFileSync(join(repo, 'progress.md'), '# progress\n');
git('add', 'a.txt');
Object.assign(process.env, env);
for (const k of Object.keys(process.env)) if (k.startsWith('GIT_') && !(k in env)) delete process.env[k];
process.chdir(repo);

const { load } = require(join(__dirname, '..', 'bin', 'gate.js'));
const { exports: hook, script } = load({ file, keep: true });
(async () => {
  const step = async (argv, expected = 0) => {
    await hook.run(argv);
    if ((process.exitCode ?? 0) !== expected) throw new Error(`warm-up: gate ${argv.join(' ')} exited ${process.exitCode}, expected ${expected}`);
    process.exitCode = 0;
  };
  await step(['--version']);
  await step(['--help']);
  await step(['check', '--hook', 'pre-commit']); // config cache miss: parsed and cached
  await step(['check', '--hook', 'pre-commit']); // the usual commit: config from the cache
  await step(['lock', 'acquire', 'progress.md']);
  await step(['lock', 'status']);
  await step(['lock', 'release', 'progress.md']);
  // a gated change without an explanation: Gate B classifies it and blocks (exit 1)
  writeFileSync(join(repo, 'rules', 'policy.txt'), 'not prose: no doc-only carve-out\n');
  git('add', 'rules/policy.txt');
  await step(['check', '--hook', 'pre-commit'], 1);
  const tmp = `${file}.v8cache.tmp-${process.pid}`;
  writeFileSync(tmp, script.createCachedData());
  renameSync(tmp, `${file}.v8cache`);
})().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

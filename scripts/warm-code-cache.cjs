'use strict';
// Writes dist/hook.cjs.v8cache (see bin/gate.js): loads the hook bundle the way bin/gate.js does,
// runs the hot commands once in a throw-away repository (so V8 compiles the functions they use),
// then saves V8's code cache for the file. Run by scripts/build.mjs in a temporary directory:
//   node scripts/warm-code-cache.cjs <dist dir> <scratch dir>
const { spawnSync } = require('node:child_process');
const { mkdirSync, writeFileSync, renameSync } = require('node:fs');
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
  for (const argv of [
    ['--version'],
    ['--help'],
    ['check', '--hook', 'pre-commit'],
    ['lock', 'acquire', 'progress.md'],
    ['lock', 'status'],
    ['lock', 'release', 'progress.md'],
  ]) {
    await hook.run(argv);
    if (process.exitCode) throw new Error(`warm-up: gate ${argv.join(' ')} exited ${process.exitCode}`);
  }
  const tmp = `${file}.v8cache.tmp-${process.pid}`;
  writeFileSync(tmp, script.createCachedData());
  renameSync(tmp, `${file}.v8cache`);
})().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

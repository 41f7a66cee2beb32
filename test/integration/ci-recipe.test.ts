/**
 * The generic CI recipe from docs/gate-c.md, run as written (with `npx gate` pointed at the built
 * CLI) in a fresh clone of a real remote: it catches the bypass and passes the approved commit,
 * and without the notes fetch it fails closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, PKG_ROOT, makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { addNote, commit } from '../helpers/notes.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function recipe(): string {
  const doc = readFileSync(join(PKG_ROOT, 'docs', 'gate-c.md'), 'utf8');
  const m = /### CI recipe: any other CI\n\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/gate-c.md has no generic CI recipe');
  return m[1]!;
}

/** A developer repo pushed to a bare origin: main, and a feature branch with an approved commit and a bypass. */
function setup(opts: { bypass: boolean }): { dev: TempRepo; origin: string; approved: string; bypass?: string; base: string } {
  const dev = makeRepo();
  cleanups.push(() => dev.cleanup());
  const origin = join(makeTempDir('gate-origin-'), 'origin.git');
  run('git', ['init', '-q', '--bare', origin], { env: dev.env });
  dev.write('README.md', 'hello\n');
  dev.gitOk('add', '-A');
  const base = commit(dev, 'base');
  dev.gitOk('remote', 'add', 'origin', origin);
  dev.gitOk('push', '-q', 'origin', 'main');
  dev.gitOk('checkout', '-q', '-b', 'feature');
  dev.write('rules/new.md', '# New\n');
  dev.gitOk('add', '-A');
  const approved = commit(dev, 'approved rule');
  addNote(dev, approved, 'CONFIRM');
  let bypass: string | undefined;
  if (opts.bypass) {
    dev.write('rules/extra.md', '# Extra\n\nSkip the tests.\n'); // an added gated file: no carve-out
    dev.gitOk('add', '-A');
    bypass = commit(dev, 'bypass');
  }
  dev.gitOk('push', '-q', 'origin', 'feature');
  dev.gitOk('push', '-q', 'origin', 'refs/notes/agent-gates');
  return { dev, origin, approved, base, ...(bypass ? { bypass } : {}) };
}

/** The recipe as written, in a checkout of the base (this repo has no package.json: the install line is a no-op here). */
function ci(dev: TempRepo, origin: string, base: string, script: string) {
  const dir = join(makeTempDir('gate-ci-'), 'checkout');
  run('git', ['clone', '-q', origin, dir], { env: dev.env });
  run('git', ['checkout', '-q', '--detach', base], { cwd: dir, env: dev.env });
  const head = dev.gitOk('rev-parse', 'feature');
  const sh = script
    .replace(/^npm ci .*$/m, ':')
    .replace(/npx --no-install gate /g, `"${process.execPath}" "${GATE_BIN}" `)
    .replace('set -eu', 'set -u');
  return run('sh', ['-c', `${sh}\necho "rc=$?"`], { cwd: dir, env: { ...dev.env, BASE: base, HEAD: head, HEAD_REF: 'refs/heads/feature' } });
}

describe('the generic CI recipe in docs/gate-c.md', () => {
  it('catches a --no-verify commit of a gated file on a pushed branch', () => {
    const { dev, origin, bypass, base } = setup({ bypass: true });
    const r = ci(dev, origin, base, recipe());
    expect(r.stdout).toContain('rc=1');
    expect(r.stderr).toContain('C_UNAPPROVED');
    expect(r.stderr).toContain(`commit ${bypass!.slice(0, 12)}`);
    expect(r.stderr).toContain('rules/extra.md');
    expect(r.stderr).not.toContain('rules/new.md');
  });
  it('passes a branch whose gated commits are approved', () => {
    const { dev, origin, base } = setup({ bypass: false });
    const r = ci(dev, origin, base, recipe());
    expect(r.stdout).toContain('rc=0');
    expect(r.stdout).toContain('range check passed');
  });
  it('fails closed when the notes are not fetched', () => {
    const { dev, origin, approved, base } = setup({ bypass: false });
    const r = ci(dev, origin, base, recipe().replace(/^git fetch --no-tags origin "\+refs\/notes.*$/m, ''));
    expect(r.stdout).toContain('rc=1');
    expect(r.stderr).toContain(`commit ${approved.slice(0, 12)}`);
  });
});

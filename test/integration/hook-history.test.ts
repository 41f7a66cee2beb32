/**
 * Upgrading consumers' hooks: a hook script that is exactly one an earlier agent-gates version
 * wrote is replaced by `gate init` (and reported by `gate doctor`); a changed one is left alone.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { runDoctor } from '../../src/app/setup/doctor.js';
import { EARLIER_HOOK_VERSIONS } from '../../src/adapters/hook-history.js';
import { runInit } from '../../src/app/setup/init.js';
import { makeRepo, PKG_ROOT, run, type TempRepo } from '../helpers/repo.js';

const sha = (t: string | Buffer) => createHash('sha256').update(t).digest('hex');
const HOOKS = ['pre-commit', 'post-commit'] as const;
const EARLIER_POST_COMMIT = readFileSync(join(PKG_ROOT, 'test', 'fixtures', 'hooks', 'post-commit.f728add'), 'utf8');

describe('earlier hook versions', () => {
  const repos: TempRepo[] = [];
  afterEach(() => {
    for (const r of repos.splice(0)) r.cleanup();
  });

  it('the list holds every earlier version of the templates in this checkout\'s history, and not the current one', () => {
    for (const hook of HOOKS) {
      const current = sha(readFileSync(join(PKG_ROOT, 'templates', 'hooks', hook)));
      expect(EARLIER_HOOK_VERSIONS[hook]).not.toContain(current);
      const log = run('git', ['log', '--format=%H', '--', `templates/hooks/${hook}`], { cwd: PKG_ROOT });
      expect(log.code).toBe(0);
      for (const c of log.stdout.trim().split('\n').filter(Boolean)) {
        const text = run('git', ['show', `${c}:templates/hooks/${hook}`], { cwd: PKG_ROOT });
        if (text.code !== 0) continue; // the commit deleted or renamed it
        const h = sha(text.stdout);
        if (h !== current) expect(EARLIER_HOOK_VERSIONS[hook], `templates/hooks/${hook} at ${c.slice(0, 7)}`).toContain(h);
      }
    }
    expect(EARLIER_HOOK_VERSIONS['post-commit']).toContain(sha(EARLIER_POST_COMMIT));
  });

  it('gate init replaces an unchanged earlier hook and doctor stops warning; a changed one is kept', async () => {
    const r = makeRepo();
    repos.push(r);
    await runInit(openContext(r.dir));
    const current = r.read('.husky/post-commit');
    r.write('.husky/post-commit', EARLIER_POST_COMMIT);
    const before = (await runDoctor(openContext(r.dir), {})).checks.filter((c) => c.id === 'hooks-version');
    expect(before).toHaveLength(1);
    expect(before[0]!.status).toBe('warn');
    expect(before[0]!.message).toContain('post-commit');
    expect(before[0]!.fix).toContain('gate init --hooks-only');

    const rep = (await runInit(openContext(r.dir), { hooksOnly: true })) as { hooks: { files: { path: string; status: string }[] } };
    expect(rep.hooks.files.find((f) => f.path === '.husky/post-commit')?.status).toBe('updated');
    expect(r.read('.husky/post-commit')).toBe(current);
    expect((await runDoctor(openContext(r.dir), {})).checks.filter((c) => c.id === 'hooks-version')).toEqual([]);

    // someone's own lines added to the earlier version: theirs now, never replaced without --force
    const changed = `${EARLIER_POST_COMMIT}echo "my own step"\n`;
    r.write('.husky/post-commit', changed);
    const again = (await runInit(openContext(r.dir), { hooksOnly: true })) as { hooks: { files: { path: string; status: string }[] } };
    expect(again.hooks.files.find((f) => f.path === '.husky/post-commit')?.status).toBe('already present');
    expect(r.read('.husky/post-commit')).toBe(changed);
    expect((await runDoctor(openContext(r.dir), {})).checks.filter((c) => c.id === 'hooks-version')).toEqual([]);
  });
});

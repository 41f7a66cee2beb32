import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TempRepo } from '../helpers/repo.js';
import { openContext } from '../../src/app/context.js';
import { configAt, parseSidecarCached } from '../../src/app/approvals/facts.js';
import { parseSidecarText } from '../../src/schema/sidecar/fast.js';
import { renderSidecar } from '../../src/schema/sidecar/render.js';
import { defaultConfig } from '../../src/schema/config/defaults.js';

/**
 * The hot path's parse caches (config committed at a revision, explain sidecars): a hit gives
 * exactly what a full parse gives, invalid documents are never cached, and a cache entry that was
 * tampered with can only make the check run in full or fail, never pass something a full parse
 * would refuse.
 */
describe('parse caches on the commit path', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());
  const cacheDir = (r: TempRepo) => join(r.commonDir(), 'agent-gates', 'cache');
  const entries = (r: TempRepo, prefix: string) => {
    try {
      return readdirSync(cacheDir(r)).filter((n) => n.startsWith(prefix));
    } catch {
      return [];
    }
  };

  it('configAt: cached like the working-tree config; an invalid committed config is never cached and falls back to the defaults', async () => {
    repo = makeRepo();
    repo.write('.agents/gates.yaml', 'version: 1\nsurfaces:\n  - name: x\n    paths: [x/**]\n    tier: DOUBLE_CONFIRM\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'config');
    const head = repo.gitOk('rev-parse', 'HEAD');
    const ctx = openContext(repo.dir);
    const full = await configAt(ctx, head, { cache: false });
    expect(entries(repo, 'config-')).toEqual([]);
    const first = await configAt(ctx, head);
    expect(entries(repo, 'config-')).toHaveLength(1);
    const hit = await configAt(ctx, head);
    expect(first).toEqual(full);
    expect(hit).toEqual(full);
    expect(full!.surfaces.map((s) => s.name)).toEqual(['x']);
    // a cache entry whose recorded digest does not match is ignored (full parse)
    const p = join(cacheDir(repo), entries(repo, 'config-')[0]!);
    writeFileSync(p, JSON.stringify({ digest: '0'.repeat(64), config: defaultConfig() }));
    expect(await configAt(ctx, head)).toEqual(full);

    repo.write('.agents/gates.yaml', 'version: 1\nsurfaces: nope\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'broken config');
    const before = entries(repo, 'config-').length;
    expect(await configAt(ctx, repo.gitOk('rev-parse', 'HEAD'))).toEqual(defaultConfig());
    expect(entries(repo, 'config-')).toHaveLength(before);
  });

  it('sidecars: a hit re-validates the cached document and recomputes its digest; invalid text is never cached', async () => {
    repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'one');
    const ctx = openContext(repo.dir);
    const tree = repo.gitOk('write-tree');
    const doc = {
      version: 1,
      tree,
      tier: 'CONFIRM',
      files: [{ path: 'rules/a.md', status: 'M', blob: 'a'.repeat(40), old_blob: 'b'.repeat(40), tier: 'CONFIRM', surfaces: ['agent-rules'] }],
      intent: 'why',
      alternatives: ['none'],
      risk: { blast_radius: 'small', reversibility: 'easy', rollback: 'revert' },
      created_at: '2026-01-01T00:00:00.000Z',
      created_by: { kind: 'agent', id: 'agent:x' },
      approvals: [],
      rejections: [],
    };
    const fresh = await parseSidecarText(renderSidecar(doc as never));
    expect(fresh.ok).toBe(true);
    const text = renderSidecar(doc as never);
    expect(await parseSidecarCached(ctx, text)).toEqual(fresh);
    const [name] = entries(repo, 'sidecar-');
    expect(name).toBeDefined();
    expect(await parseSidecarCached(ctx, text)).toEqual(fresh);

    // a tampered entry: the cached document is checked again (here: it is invalid → refused)
    const p = join(cacheDir(repo), name!);
    const cached = JSON.parse(readFileSync(p, 'utf8')) as { key: string; value: Record<string, unknown> };
    writeFileSync(p, JSON.stringify({ key: cached.key, value: { ...cached.value, tier: 'NONE' } }));
    const tampered = await parseSidecarCached(ctx, text);
    expect(tampered.ok).toBe(false);
    // … and its digest is recomputed from the cached document (the cache holds no digest)
    writeFileSync(p, JSON.stringify({ key: cached.key, value: { ...cached.value, intent: 'other' } }));
    const other = await parseSidecarCached(ctx, text);
    expect(other.ok && fresh.ok && other.digest !== fresh.digest).toBe(true);
    // a wrong key or unreadable JSON: full parse
    writeFileSync(p, JSON.stringify({ key: '0'.repeat(64), value: {} }));
    expect(await parseSidecarCached(ctx, text)).toEqual(fresh);
    writeFileSync(p, '{');
    expect(await parseSidecarCached(ctx, text)).toEqual(fresh);

    // invalid sidecars are not cached
    const n = entries(repo, 'sidecar-').length;
    expect((await parseSidecarCached(ctx, 'tier: [\n')).ok).toBe(false);
    expect((await parseSidecarCached(ctx, 'version: 1\n')).ok).toBe(false);
    expect(entries(repo, 'sidecar-')).toHaveLength(n);
  });
});

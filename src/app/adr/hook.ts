import type { HookGate } from '../hooks/types.js';
import { GateError } from '../../kernel/errors.js';
import type { Finding } from '../../kernel/findings.js';
import { isAdrPath, isFinal, normaliseDir, touchesAdrs } from '../../gates/adr.js';

/**
 * ADRs are immutable once accepted. Costs nothing unless the commit touches the ADR directory;
 * only then are the YAML parser, zod and the history loaded.
 */
export const adrGate: HookGate = {
  name: 'adr',
  async preCommit(ctx, staged): Promise<Finding[]> {
    const dir = normaliseDir(staged.config.adr.dir);
    if (!touchesAdrs(staged.changes, dir)) return [];
    const [{ preCommitFindings, numberClashes }, app] = await Promise.all([import('../../gates/adr.js'), import('./records.js')]);
    const { git } = ctx;

    // status of the HEAD version of every ADR the commit changes, deletes or renames away
    const headBlobs = new Map<string, string>();
    for (const c of staged.changes) {
      if (c.status === 'A' || c.status === 'C') continue;
      const old = c.oldPath ?? c.path;
      if (isAdrPath(old, dir)) headBlobs.set(old, c.oldBlob);
    }
    const headContent = git.readBlobs([...headBlobs.values()]);
    const headStatus = new Map<string, string | undefined>();
    for (const [path, blob] of headBlobs) {
      const bytes = headContent.get(blob);
      if (!bytes) {
        // fail closed: without the HEAD version we cannot tell whether the record is accepted
        throw new GateError('GIT_FAILED', `cannot read the HEAD version of ${path} (blob ${blob}), so the ADR gate cannot tell whether it is accepted.`, {
          fix: 'run `git fsck` to check the repository, then retry the commit',
        });
      }
      headStatus.set(path, app.statusOf(bytes));
    }

    // every record in the index (the tree being committed)
    const entries = git.indexEntries(dir).filter((e) => e.stage === 0 && isAdrPath(e.path, dir));
    const content = git.readBlobs(entries.map((e) => e.blob));
    const { parseAdr } = await import('../../schema/adr/schema.js');
    const stagedDocs = entries.map((e) => {
      const bytes = content.get(e.blob);
      return {
        path: e.path,
        parse: bytes
          ? parseAdr(bytes.toString('utf8'))
          : { ok: false as const, problems: [{ field: '(file)', message: `the staged blob ${e.blob} cannot be read` }] },
      };
    });

    // a change that puts an accepted record back exactly as first accepted is a restoration, not an edit
    const finalPaths = [...headStatus].filter(([, s]) => isFinal(s)).map(([p]) => p);
    const firstAccepted = new Map<string, { blob: string; mode: string; commit: string }>();
    if (finalPaths.length) {
      for (const [path, versions] of app.adrHistory(ctx, dir, finalPaths)) {
        const v = app.firstFinalVersion(versions);
        if (v?.blob) firstAccepted.set(path, { blob: v.blob, mode: v.mode, commit: v.commit });
      }
    }

    // numbers another branch or worktree already uses for a different record (warn: they collide on merge)
    const added = staged.changes.filter((c) => (c.status === 'A' || c.status === 'R' || c.status === 'C') && isAdrPath(c.path, dir));
    const clashes = added.length
      ? numberClashes([...app.numberSources(ctx, dir, { clash: true }), { where: 'this commit', paths: entries.map((e) => e.path) }], dir)
      : [];

    return preCommitFindings({ dir, changes: staged.changes, headStatus, staged: stagedDocs, firstAccepted, clashes });
  },
  // no post-commit work: ADR immutability is decided before the commit
  deferPostCommit: () => ({ deferrable: true }),
};

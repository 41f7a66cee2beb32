/**
 * Test helpers for `gate check --range`: build histories with plumbing (a temporary index,
 * commit-tree: any parents, any tree, root commits, octopus merges, chosen dates) and write
 * approval notes exactly as Gate B's post-commit writes them (note v2: sidecar, transitions, and,
 * when a signer is given, one SSHSIG per approval step over a canonical payload v2).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { run, type TempRepo } from './repo.js';
import { explanationDigest } from '../../src/schema/sidecar/schema.js';
import { serializePayload, type ApprovalPayload } from '../../src/signing/payload.js';
import { APPROVAL_NAMESPACE } from '../../src/signing/sshsig.js';

export const ZERO = '0000000000000000000000000000000000000000';

/** A file's content, or content with a mode ('100755', '120000' symlink target, '160000' gitlink commit id). */
export type FileSpec = string | { content: string; mode: string } | null;

export interface Change {
  path: string;
  status: string;
  oldMode: string;
  newMode: string;
  oldBlob: string;
  newBlob: string;
}

export class History {
  private n = 0;
  constructor(readonly repo: TempRepo) {}

  private git(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = run('git', args, { cwd: this.repo.dir, env: { ...this.repo.env, ...(opts.env ?? {}) }, input: opts.input ?? '' });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout.trim();
  }

  blob(content: string): string {
    return this.git(['hash-object', '-w', '--stdin'], { input: content });
  }

  /**
   * A commit with `parents`, whose tree is `from`'s tree (default: the first parent's; none: empty)
   * with `files` applied (null deletes). Returns the commit id.
   */
  commit(parents: readonly string[], files: Record<string, FileSpec>, opts: { from?: string | null; message?: string; date?: string } = {}): string {
    const index = join(this.repo.dir, '..', `history-index-${process.pid}-${this.n++}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      const from = opts.from === undefined ? parents[0] : opts.from;
      if (from) this.git(['read-tree', `${from}^{tree}`], { env });
      else this.git(['read-tree', '--empty'], { env });
      const lines: string[] = [];
      for (const [path, spec] of Object.entries(files)) {
        if (spec === null) lines.push(`0 ${ZERO}\t${path}`);
        else if (typeof spec === 'string') lines.push(`100644 ${this.blob(spec)}\t${path}`);
        else if (spec.mode === '160000') lines.push(`160000 ${spec.content}\t${path}`);
        else lines.push(`${spec.mode} ${this.blob(spec.content)}\t${path}`);
      }
      if (lines.length) this.git(['update-index', '--index-info'], { env, input: `${lines.join('\n')}\n` });
      const tree = this.git(['write-tree'], { env });
      const date = opts.date ?? '2026-12-01T12:00:00Z';
      return this.git(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', opts.message ?? `commit ${this.n}`], {
        env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      });
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** A commit with exactly `tree` (e.g. another commit's tree) and `parents`. */
  commitWithTree(parents: readonly string[], treeOf: string, message = 'replay'): string {
    return this.git(['commit-tree', `${treeOf}^{tree}`, ...parents.flatMap((p) => ['-p', p]), '-m', message]);
  }

  /** The commit's changes against `parent` (default: its first parent; a root against the empty tree). */
  changes(commit: string, parent?: string): Change[] {
    const args = parent ? ['diff-tree', '-r', '--no-renames', '--raw', '--full-index', '--abbrev=40', '-z', parent, commit] : ['diff-tree', '-r', '--root', '--no-renames', '--raw', '--full-index', '--abbrev=40', '-z', '--no-commit-id', commit];
    const out = run('git', args, { cwd: this.repo.dir, env: this.repo.env }).stdout.split('\0');
    const res: Change[] = [];
    for (let i = 0; i < out.length; i++) {
      const t = out[i]!.replace(/^\n/, '');
      if (!t.startsWith(':')) continue;
      const [oldMode, newMode, oldBlob, newBlob, status] = t.slice(1).split(' ') as [string, string, string, string, string];
      res.push({ path: out[i + 1]!, status: status[0]!, oldMode, newMode, oldBlob, newBlob });
      i += 1;
    }
    return res;
  }

  tree(commit: string): string {
    return this.git(['rev-parse', `${commit}^{tree}`]);
  }

  setRef(ref: string, commit: string): void {
    this.git(['update-ref', ref, commit]);
  }

  addNote(commit: string, body: string, ref = 'refs/notes/agent-gates'): void {
    this.git(['notes', '--ref', ref, 'add', '-f', '-F', '-', commit], { input: body });
  }

  readNote(commit: string): string {
    return this.git(['notes', '--ref', 'refs/notes/agent-gates', 'show', commit]);
  }

  root(commit: string): string {
    return this.git(['rev-list', '--first-parent', '--max-parents=0', commit]);
  }
}

export interface NoteSpec {
  tier: 'CONFIRM' | 'DOUBLE_CONFIRM';
  /** The commit's changes to approve (usually History.changes(commit)). */
  changes: readonly Change[];
  /** The tree the approval was made for. */
  tree: string;
  /** The repository root the signed payload names. */
  root: string | null;
  /** Signs the payload bytes (returns an armored SSHSIG); absent: a terminal approval. */
  sign?: (payload: string) => string;
  principal?: string;
  /** Signed approval time (ISO). */
  at?: string;
  payloadVersion?: 1 | 2;
  steps?: Array<'confirm' | 'intent' | 'diff'>;
  /** Tier each sidecar file records (default: the note tier). */
}

/** The body of an approval note as Gate B's post-commit writes it. */
export function noteV2(spec: NoteSpec): string {
  const tier = spec.tier;
  const files = spec.changes.map((c) => ({ path: c.path, status: c.status, blob: c.newBlob, old_blob: c.oldBlob, tier, surfaces: [] as string[] }));
  const sidecar: Record<string, unknown> = {
    version: 1,
    tree: spec.tree,
    tier,
    files,
    intent: 'change the governed files as reviewed',
    alternatives: ['leave them alone'],
    risk: { blast_radius: 'agents in this repo', reversibility: 'git revert', rollback: 'revert the commit' },
    created_at: '2026-12-01T00:00:00.000Z',
    created_by: { kind: 'agent', id: 'agent-1' },
  };
  const digest = explanationDigest(sidecar as never);
  const steps = spec.steps ?? (tier === 'DOUBLE_CONFIRM' ? ['intent', 'diff'] : ['confirm']);
  const at = spec.at ?? new Date().toISOString();
  const person = { name: 'Approver', email: spec.principal ?? 'approver@example.com', os_user: 'approver', host: 'desk' };
  sidecar.approvals = steps.map((step, i) => {
    const base = { step, tier, tree: spec.tree, digest, approver: person, at, ledger: { seq: i + 1, offset: i * 100, hash: 'a'.repeat(64) } };
    if (!spec.sign) return { ...base, method: 'terminal' };
    const v2 = (spec.payloadVersion ?? 2) === 2;
    const payload: ApprovalPayload = {
      v: v2 ? 2 : 1,
      type: 'agent-gates/approval',
      repo: { id: 'clone-id', root: spec.root },
      parent: null,
      tree: spec.tree,
      tier,
      step,
      files: spec.changes.map((c) => ({ path: c.path, status: c.status, blob: c.newBlob, old_blob: c.oldBlob, ...(v2 ? { mode: c.newMode, old_mode: c.oldMode } : {}) })),
      digest,
      ledger: { size: i, head: 'b'.repeat(64) },
      principal: spec.principal ?? 'approver@example.com',
      nonce: createHash('sha256').update(`${at}${step}${Math.random()}`).digest('hex').slice(0, 32),
      at,
    };
    const bytes = serializePayload(payload);
    return {
      ...base,
      method: 'ssh-signature',
      signature: { format: 'sshsig', namespace: APPROVAL_NAMESPACE, payload: bytes, signature: spec.sign(bytes), principal: payload.principal, key: 'SHA256:test' },
    };
  });
  sidecar.rejections = [];
  return `${JSON.stringify(
    {
      agent_gates: 2,
      commit_tree: spec.tree,
      tier,
      files: files.map((f) => ({ path: f.path, blob: f.blob, tier })),
      transitions: spec.changes.map((c) => ({ path: c.path, old_mode: c.oldMode, old_blob: c.oldBlob, new_mode: c.newMode, new_blob: c.newBlob })),
      sidecar,
      sidecar_digest: digest,
    },
    null,
    2,
  )}\n`;
}

/** Terminal rendering of `gate inbox` (the listing; --watch redraws the same lines). */
import type { InboxCard, InboxListing } from '../../app/inbox/list.js';
import type { Style } from '../fast/style.js';
import { visible } from '../../app/approvals/approve.js';

export function age(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/** Agent-written text on one line, with terminal controls shown, not acted on. */
function line(t: string, max = 160): string {
  const one = visible(t.replace(/\s*\n\s*/g, ' ')).text;
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function cardLines(c: InboxCard, s: Style, cwd?: string): string[] {
  const out: string[] = [];
  const tier = c.tier === 'DOUBLE_CONFIRM' ? s.red(c.tier) : s.yellow(c.tier);
  const state = c.state !== 'pending' ? `  ${s.dim(c.state)}` : '';
  const cur = c.current ? s.green('current') : s.red('STALE');
  const where = c.worktree === cwd ? `${c.worktree} (here)` : c.worktree;
  out.push(`${s.bold(c.id)}  ${tier}  ${cur}${state}  ${age(c.age_s)} ago  ${line(c.asker.id, 60)}${c.asker.session ? ` [${line(c.asker.session, 40)}]` : ''}`);
  out.push(`  worktree ${line(where, 200)}${c.branch ? `  branch ${line(c.branch, 80)}` : ''}  tree ${c.tree.slice(0, 12)}`);
  out.push(`  intent: ${line(c.intent)}`);
  const added = c.files.reduce((n, f) => n + f.added, 0);
  const removed = c.files.reduce((n, f) => n + f.removed, 0);
  out.push(`  ${c.files.length} file${c.files.length === 1 ? '' : 's'}, ${s.green(`+${added}`)} ${s.red(`-${removed}`)}`);
  for (const f of c.files) out.push(`    ${f.status} ${f.old_path ? `${line(f.old_path, 100)} → ` : ''}${line(f.path, 120)}  ${f.binary ? 'binary' : `+${f.added} -${f.removed}`}`);
  if (c.steps_done.length) out.push(`  approved so far: ${c.steps_done.join(', ')} of ${c.steps_needed.join(', ')}`);
  for (const r of c.rejections) out.push(s.yellow(`  earlier rejection of ${line(r.path, 100)} (#${r.seq} ${r.at} by ${line(r.by, 60)}): ${line(r.reason)}`));
  if (!c.current) out.push(s.red(`  stale: ${line(c.stale_reason ?? 'the staged tree changed')}; the agent explains again before anyone can approve`));
  else if (c.state === 'pending') out.push(`  ${s.dim('approve:')} gate inbox approve ${c.id}   ${s.dim('reject:')} gate inbox reject ${c.id} --reason "<why>"`);
  return out;
}

export function inboxLines(r: InboxListing, s: Style, cwd?: string): string[] {
  const out: string[] = [];
  const waiting = r.cards.filter((c) => c.state === 'pending' && c.current).length;
  if (r.cards.length === 0) out.push(`nothing waits for a person in ${r.worktrees} worktree${r.worktrees === 1 ? '' : 's'}`);
  else out.push(s.bold(`${r.cards.length} explanation${r.cards.length === 1 ? '' : 's'} in the inbox (${waiting} ready to decide), ${r.worktrees} worktree${r.worktrees === 1 ? '' : 's'}, newest first`));
  for (const c of r.cards) {
    out.push('');
    out.push(...cardLines(c, s, cwd));
  }
  for (const p of r.problems) {
    out.push('');
    out.push(s.red(`unreadable explanation ${line(p.sidecar, 200)} in ${line(p.worktree, 200)}:`));
    for (const x of p.problems) out.push(`  - ${line(x)}`);
  }
  return out;
}

/** `gate inbox --remote`: what agents on other clones wait for, and whether a decision on it waits there (ADR 0027). */
export function remoteCardLines(
  r: { remote: string; cards: ReadonlyArray<{ repoId: string; id: string; worktree: string; branch?: string; tier: string; intent: string; asker: { id: string; session?: string }; files: ReadonlyArray<{ path: string; status: string }>; age_s: number; decision?: string }>; problems: ReadonlyArray<{ ref: string; problem: string }> },
  s: Style,
): string[] {
  const out: string[] = [];
  out.push(r.cards.length === 0 ? `nothing waits on other clones (published on ${r.remote})` : s.bold(`${r.cards.length} explanation${r.cards.length === 1 ? '' : 's'} waiting on other clones (published on ${r.remote}; decide with gate inbox approve <id> --remote, or reject)`));
  for (const c of r.cards) {
    out.push('');
    out.push(`${s.bold(c.id)}  ${c.tier === 'DOUBLE_CONFIRM' ? s.red(c.tier) : s.yellow(c.tier)}  ${age(c.age_s)} ago  ${line(c.asker.id, 60)}${c.asker.session ? ` [${line(c.asker.session, 40)}]` : ''}`);
    out.push(`  clone ${c.repoId}  worktree ${line(c.worktree, 160)}${c.branch ? `  branch ${line(c.branch, 80)}` : ''}`);
    out.push(`  intent: ${line(c.intent)}`);
    if (c.decision) out.push(`  ${c.decision === 'approve' ? s.green('approved') : c.decision === 'reject' ? s.red('rejected') : s.red('unreadable decision')} here; waits for \`gate approve --fetch\` on that clone`);
    for (const f of c.files) out.push(`    ${f.status} ${line(f.path, 120)}`);
  }
  for (const p of r.problems) out.push(s.red(`unreadable published card ${line(p.ref, 120)}: ${line(p.problem)}`));
  return out;
}

/**
 * `gate approve` and `gate reject` (the human's commands).
 *
 * Approve needs an interactive terminal (stdin and stdout TTYs) and a fresh random challenge
 * typed back, so a piped "y", a script without a terminal, or an agent writing the sidecar does
 * not approve. CONFIRM is one approval; DOUBLE_CONFIRM is the intent, then a diff preview of the
 * gated files (with every weakening of .agents/gates.yaml in plain words), then the diff: two
 * records. Each approval goes to the ledger first and then into the sidecar with the ledger
 * entry's {seq, offset, hash}, which the pre-commit check reads back.
 */
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { writeFileAtomic } from '../../adapters/files.js';
import { CONFIG_PATH } from '../../adapters/config-file.js';
import { sessionId, safeUser } from '../../adapters/identity.js';
import { configAt, expiryOf, gatherLedgerFacts, ledgerRejections, loadSidecar, refuseLinkEscapes, stagedFacts, verdictFor, type LoadedSidecar } from './facts.js';
import { approvalProblem, EXPLAIN_FIX } from '../../gates/approval.js';
import { fileListChanges, requiredSteps, tierAtLeast, type MutationVerdict } from '../../gates/classify.js';
import { ZERO_BLOB } from '../../kernel/ids.js';
import type { Approval, Person, Sidecar, Step } from '../../schema/sidecar/schema.js';
import type { Weakening } from '../../gates/config-diff.js';
import type { SigningOptions } from './signed.js';
import type { StoredSignature } from '../../signing/payload.js';
import { paint } from '../../kernel/ansi.js';
import { humanId } from '../../kernel/actor.js';

/** The terminal the CLI hands in; tests drive the real one through a pseudo-terminal. */
export interface Terminal {
  /** stdin and stdout are both TTYs. */
  interactive: boolean;
  color: boolean;
  write(text: string): void;
  /**
   * Show a long text (the diff preview) through a pager the person scrolls and quits; returns false
   * when no pager was used (the caller then writes the text as usual).
   */
  page?(text: string): boolean;
  /** One line typed by the person; undefined at end of input. */
  ask(prompt: string): Promise<string | undefined>;
}

/** Unambiguous characters only (no 0/O, 1/I/L, 2/Z, 5/S, 8/B). */
export const CHALLENGE_ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';

export function newChallenge(length = 6): string {
  let s = '';
  for (let i = 0; i < length; i++) s += CHALLENGE_ALPHABET[randomInt(CHALLENGE_ALPHABET.length)];
  return s;
}

export interface ApproveResult {
  tree: string;
  tier: string;
  path?: string;
  /** Steps recorded by this run. */
  recorded: Array<{ step: Step; seq: number }>;
  /** Steps that were already approved before this run. */
  already: Step[];
  complete: boolean;
  aborted?: string;
  next: string;
}

export function approverNow(ctx: Ctx): Person {
  const name = ctx.git.userName();
  const email = ctx.git.userEmail();
  return { ...(name ? { name } : {}), ...(email ? { email } : {}), os_user: safeUser(), host: hostname() };
}

function humanActor(p: Person) {
  return { kind: 'human' as const, id: humanId(p.email, p.os_user) };
}

/**
 * What every approval path checks before it records anything (the terminal's `gate approve` and the
 * browser's approveWithAssertion): no symbolic link escapes its surface, the sidecar describes
 * exactly the staged tree, the tree was never rejected, and the ledger verifies.
 */
export async function approvalPreconditions(ctx: Ctx, tree: string, verdict: MutationVerdict) {
  refuseLinkEscapes(verdict);
  const loaded = await loadSidecar(ctx, tree);
  const { sidecar, digest } = requireCurrent(loaded, tree, verdict);
  const rejected = [...sidecar.rejections.map((r) => r.reason), ...(await ledgerRejections(ctx, { tree })).map((r) => r.reason)];
  if (rejected.length) {
    throw new GateError('DENIED', `the staged tree ${tree.slice(0, 12)} was rejected, and a rejected tree can never be approved.`, {
      details: [...new Set(rejected)],
      fix: 'the agent changes the staged files to address the rejection and explains again',
    });
  }
  const ledger = await gatherLedgerFacts(ctx, tree, { state: 'ok', sidecar, digest });
  if (!ledger.ok) {
    throw new GateError('LEDGER_CORRUPT', `the ledger does not verify (${ledger.problem}), so an approval cannot be recorded in it.`, { fix: 'gate audit verify' });
  }
  return { loaded, sidecar, digest, ledger };
}

/** Refuse unless the sidecar describes exactly the staged gated files; say what changed. */
export function requireCurrent(loaded: LoadedSidecar, tree: string, verdict: MutationVerdict): { sidecar: Sidecar; digest: string } {
  const st = loaded.state;
  if (st.state === 'missing') {
    const gated = new Set(verdict.files.map((x) => x.path));
    const stale = st.others.find((o) => !o.files || o.files.some((x) => gated.has(x.path)));
    if (stale) {
      const changes = stale.files ? fileListChanges(stale.files, verdict.files) : [];
      throw new GateError('DENIED', `the staged tree changed since \`gate explain\`: the explanation ${stale.path} is for tree ${stale.tree.slice(0, 12)}, the staged tree is now ${tree.slice(0, 12)}.`, {
        details: changes.length ? changes : ['the gated files are the same, but other staged content changed (approvals bind the whole tree)'],
        fix: `the agent explains the current staged tree again (${EXPLAIN_FIX}), then run gate approve`,
      });
    }
    throw new GateError('DENIED', `there is no explanation for the staged tree ${tree.slice(0, 12)}, so there is nothing to approve.`, {
      fix: `the agent runs ${EXPLAIN_FIX}, then run gate approve`,
    });
  }
  if (st.state === 'invalid') {
    throw new GateError('SIDECAR_INVALID', `${loaded.path} is invalid, so it cannot be approved.`, {
      details: st.problems,
      fix: `the agent writes it again with ${EXPLAIN_FIX}`,
    });
  }
  const diffs = fileListChanges(st.sidecar.files, verdict.files);
  if (st.sidecar.tree !== tree) diffs.unshift(`the sidecar says tree ${st.sidecar.tree.slice(0, 12)}`);
  if (!tierAtLeast(st.sidecar.tier, verdict.tier)) diffs.push(`the sidecar claims tier ${st.sidecar.tier}; the staged changes require ${verdict.tier}`);
  if (diffs.length) {
    throw new GateError('DENIED', `${loaded.path} does not describe the staged changes, so it cannot be approved.`, {
      details: diffs,
      fix: `the agent explains the current staged tree again (${EXPLAIN_FIX})`,
    });
  }
  return { sidecar: st.sidecar, digest: st.digest };
}

/** The tree a caller (the inbox) means to approve or reject, and what to say when it moved on. */
export interface ExpectedTree {
  tree: string;
  /** The error when the staged tree is another one (it names the card, what changed, the fix). */
  stale: (staged: string) => GateError;
}

function requireExpected(expect: ExpectedTree, staged: string): void {
  if (staged !== expect.tree) throw expect.stale(staged);
}

function showExplanation(term: Terminal, s: Sidecar, tree: string, tier: string, path: string): void {
  const p = paint(term.color);
  const out: string[] = [];
  let escaped = false;
  const v = (t: string): string => {
    const r = visible(t);
    escaped ||= r.escaped;
    return r.text;
  };
  s = {
    ...s,
    intent: v(s.intent),
    alternatives: s.alternatives.map(v),
    risk: { ...s.risk, blast_radius: v(s.risk.blast_radius), reversibility: v(s.risk.reversibility), rollback: v(s.risk.rollback) },
    created_by: { ...s.created_by, id: v(s.created_by.id) },
    created_at: v(s.created_at),
    files: s.files.map((f) => ({ ...f, path: v(f.path), ...(f.old_path !== undefined ? { old_path: v(f.old_path) } : {}), surfaces: f.surfaces.map(v) })),
  };
  out.push(`${p.bold('agent-gates: approval requested')}  tier ${p.bold(tier === 'DOUBLE_CONFIRM' ? p.red(tier) : p.yellow(tier))}  tree ${tree.slice(0, 12)}`);
  out.push(`explained by ${s.created_by.id} at ${s.created_at}  (${path})`);
  out.push('');
  out.push(p.bold('Intent'));
  for (const l of s.intent.split('\n')) out.push(`  ${l}`);
  out.push(p.bold('Alternatives considered'));
  for (const a of s.alternatives) out.push(`  - ${a.replace(/\n/g, '\n    ')}`);
  out.push(p.bold('Risk'));
  out.push(`  blast radius:  ${s.risk.blast_radius}`);
  out.push(`  reversibility: ${s.risk.reversibility}`);
  out.push(`  rollback:      ${s.risk.rollback}`);
  out.push(p.bold(`Gated files (${s.files.length})`));
  for (const f of s.files) {
    out.push(`  ${f.status} ${f.old_path ? `${f.old_path} → ` : ''}${f.path}  ${p.dim(`[${f.surfaces.join(', ')}] ${f.tier}`)}`);
  }
  if (tier !== 'DOUBLE_CONFIRM') out.push(p.dim(`  the diff follows (also: git diff --cached -- ${s.files.map((f) => shellArg(f.path)).join(' ')})`));
  if (escaped) out.push(p.red(`WARNING: the explanation in ${visible(path).text} contains terminal control characters (shown as \\xNN / \\u{...}): read it with care`));
  out.push('');
  term.write(`${out.join('\n')}\n`);
}

function shellArg(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Every weakening of .agents/gates.yaml in this change, or a note when the new file is unusable. */
export async function configWeakenings(ctx: Ctx, head: string | undefined, newBlob: string | undefined): Promise<{ weakenings: Weakening[]; note?: string }> {
  const { defaultConfig } = await import('../../schema/config/defaults.js');
  const { parseConfigText } = await import('../../adapters/config-file.js');
  const { weakenings } = await import('../../gates/config-diff.js');
  const before = (await configAt(ctx, head)) ?? defaultConfig();
  if (!newBlob || newBlob === ZERO_BLOB) {
    return { weakenings: weakenings(before, defaultConfig()), note: `${CONFIG_PATH} is deleted: the built-in defaults would apply (and an initialised repository fails closed without it)` };
  }
  const bytes = ctx.git.readBlob(newBlob);
  if (!bytes) return { weakenings: [], note: `the staged ${CONFIG_PATH} cannot be read` };
  try {
    const after = await parseConfigText(bytes.toString('utf8'), `staged ${CONFIG_PATH}`);
    return { weakenings: weakenings(before, after) };
  } catch (e) {
    const details = e instanceof GateError ? e.details.join('; ') : (e as Error).message;
    return { weakenings: [], note: `the staged ${CONFIG_PATH} is invalid (${details}): every gate will fail closed until it is fixed` };
  }
}

/** Control characters a terminal acts on (C0 but tab and newline, DEL, C1) and bidi overrides/isolates. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the agent (file content, intent, paths) made safe to print to the approver's terminal:
 * every control character shows as `\xNN` (bidi controls as `\u{NNNN}`), so nothing the agent wrote
 * can move the cursor, erase a line or reorder what the person reads. A carriage return at the very
 * end of a line (CRLF files) is harmless and kept.
 */
export function visible(text: string): { text: string; escaped: boolean } {
  let escaped = false;
  const out = text.replace(CONTROL, (ch, at: number) => {
    if (ch === '\r' && (at === text.length - 1 || text[at + 1] === '\n')) return ch;
    escaped = true;
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16).toUpperCase()}}`;
  });
  return { text: out, escaped };
}

const LINK_MODE = '120000';

function modeNote(mode: string): string {
  return mode === '100755' ? ' (executable)' : mode === LINK_MODE ? ' (symbolic link)' : mode === '160000' ? ' (submodule)' : '';
}

/**
 * What a change does to a file's mode, in words (with terminal controls made visible): a mode line
 * (`mode 100644 → 100755 (executable)`) and, for a symbolic link on either side, `was:` / `now:`
 * lines naming its target. The sidecar carries no modes: `m` comes from the tree objects. Shared by
 * the terminal preview and the inbox card (the web page).
 */
export function modeChange(
  f: { path: string; status: string },
  m: { oldMode: string; newMode: string } | undefined,
  oldB: Buffer,
  newB: Buffer,
): { lines: Array<{ kind: 'mode' | 'link' | 'was' | 'now'; text: string }>; oldLink: boolean; newLink: boolean } {
  const lines: Array<{ kind: 'mode' | 'link' | 'was' | 'now'; text: string }> = [];
  const oldLink = m?.oldMode === LINK_MODE && f.status !== 'A';
  const newLink = m?.newMode === LINK_MODE && f.status !== 'D';
  const path = visible(f.path).text;
  if (m && m.oldMode !== m.newMode) {
    if (f.status === 'A') {
      if (m.newMode !== '100644') lines.push({ kind: 'mode', text: `${path}: new file mode ${m.newMode}${modeNote(m.newMode)}` });
    } else if (f.status !== 'D') lines.push({ kind: 'mode', text: `${path}: mode ${m.oldMode} → ${m.newMode}${modeNote(m.newMode)}` });
  }
  if (oldLink || newLink) {
    lines.push({ kind: 'link', text: `${path}:` });
    if (f.status !== 'A') lines.push({ kind: 'was', text: `  was: ${oldLink ? `symbolic link → ${visible(oldB.toString('utf8')).text}` : `a regular file (${oldB.length} bytes)`}` });
    if (f.status !== 'D') lines.push({ kind: 'now', text: `  now: ${newLink ? `symbolic link → ${visible(newB.toString('utf8')).text}` : `a regular file (${newB.length} bytes)`}` });
  }
  return { lines, oldLink, newLink };
}

function isBinary(b: Buffer): boolean {
  return b.subarray(0, 8000).includes(0);
}

/** A readable old-vs-staged diff of the gated files, coloured when the terminal allows. */
export async function diffPreview(ctx: Ctx, s: Sidecar, head: string | undefined, color: boolean, tree: string = s.tree): Promise<string> {
  const { createTwoFilesPatch } = await import('diff');
  const p = paint(color);
  const out: string[] = [];
  const ids = s.files.flatMap((f) => [f.old_blob, f.blob]).filter((b) => b !== ZERO_BLOB);
  const blobs = ctx.git.readBlobs(ids);
  // the modes come from the objects (HEAD → the tree approved): a chmod +x or a file turned into a
  // symbolic link is part of what the person signs, so it is shown (the sidecar carries no modes)
  let modes: Map<string, { oldMode: string; newMode: string }> | undefined;
  try {
    modes = new Map(ctx.git.diffTrees(head ?? ctx.git.emptyTree(), tree).map((c) => [c.path, { oldMode: c.oldMode, newMode: c.newMode }]));
  } catch {
    out.push(p.red('the file modes of this change cannot be read: do not approve what you cannot see'));
  }
  for (const f of s.files) {
    if (f.path === CONFIG_PATH || f.old_path === CONFIG_PATH) {
      const w = await configWeakenings(ctx, head, f.path === CONFIG_PATH ? f.blob : undefined);
      out.push(p.bold(`${CONFIG_PATH}: what this change weakens`));
      if (w.note) out.push(`  ${p.red('!')} ${w.note}`);
      if (w.weakenings.length === 0 && !w.note) out.push(`  ${p.green('nothing')}: no surface, tier, glob, carve-out or approval rule is weakened`);
      for (const x of w.weakenings) out.push(`  ${p.red('WEAKENS:')} ${x.message}`);
      out.push('');
    }
  }
  for (const f of s.files) {
    const oldB = f.old_blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.old_blob);
    const newB = f.blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.blob);
    const oldName = f.status === 'A' ? '/dev/null' : `a/${f.old_path ?? f.path}`;
    const newName = f.status === 'D' ? '/dev/null' : `b/${f.path}`;
    if (oldB === undefined || newB === undefined) {
      out.push(p.red(`${visible(f.path).text}: content cannot be read (blob missing); do not approve what you cannot see`));
      continue;
    }
    const mc = modeChange(f, modes?.get(f.path), oldB, newB);
    const { oldLink, newLink } = mc;
    for (const l of mc.lines) out.push(l.kind === 'mode' || l.kind === 'link' ? p.bold(l.text) : l.kind === 'was' ? p.red(l.text) : p.green(l.text));
    if (oldLink && newLink) continue;
    const oldText = oldLink ? Buffer.alloc(0) : oldB;
    const newText = newLink ? Buffer.alloc(0) : newB;
    if (isBinary(oldText) || isBinary(newText)) {
      out.push(p.bold(`${visible(oldName).text} → ${visible(newName).text}: binary, ${oldText.length} → ${newText.length} bytes`));
      continue;
    }
    const patch = createTwoFilesPatch(oldName, newName, oldText.toString('utf8'), newText.toString('utf8'), undefined, undefined, { context: 3 });
    const shown = visible(patch);
    if (shown.escaped) out.push(p.red(`WARNING: ${visible(f.path).text} contains terminal control characters (shown below as \\xNN / \\u{...}): read those lines with care`));
    const lines = shown.text.split('\n');
    if (lines[0]?.startsWith('=====')) lines.shift();
    for (const l of lines) {
      if (l.startsWith('+++') || l.startsWith('---')) out.push(p.bold(l));
      else if (l.startsWith('+')) out.push(p.green(l));
      else if (l.startsWith('-')) out.push(p.red(l));
      else if (l.startsWith('@@')) out.push(p.cyan(l));
      else out.push(l);
    }
    if (oldB.equals(newB) && f.old_path) out.push(p.dim(`(renamed without content changes)`));
  }
  return `${out.join('\n')}\n`;
}

async function challenge(term: Terminal, what: string, gen: () => string): Promise<{ ok: true } | { ok: false; why: string }> {
  const p = paint(term.color);
  const code = gen();
  const answer = await term.ask(`To ${what}, type ${p.bold(code)} and press Enter (anything else aborts): `);
  if (answer === undefined) return { ok: false, why: 'input ended before the challenge was answered' };
  if (answer.trim().toUpperCase() !== code) return { ok: false, why: 'the challenge was not typed back correctly' };
  return { ok: true };
}

/** How a browser approval was given (app/approvals/webauthn.ts), recorded in the ledger entry. */
export interface WebApproval {
  /** The signature made from the WebAuthn assertion, already verified against the committed signers. */
  signature: StoredSignature;
  authenticator: 'passkey' | 'security-key';
  userVerified: boolean;
}

/**
 * An approval given on another clone and delivered through the shared remote (ADR 0027): its
 * signature was verified against this clone's committed allowed_signers before this call.
 */
export interface RemoteApproval {
  remote: string;
  signature: StoredSignature;
  /** The approver as the decision names them (positive evidence; the signature decides). */
  approver: Person;
  /** The decision's commit on the remote. */
  commit: string;
}

/**
 * Append the approval to the ledger, then write it into the sidecar with the ledger reference.
 * `web`: a browser assertion that was verified before this call; otherwise the terminal's key signs
 * here when the policy requires it.
 */
export async function recordApproval(ctx: Ctx, loaded: LoadedSidecar, digest: string, step: Step, tier: Sidecar['tier'], tree: string, approver: Person, signing: SigningOptions = {}, web?: WebApproval | RemoteApproval): Promise<Approval> {
  const [{ parseSidecarText }, { renderSidecar }] = await Promise.all([import('../../schema/sidecar/fast.js'), import('../../schema/sidecar/render.js')]);
  const { readText } = await import('../../adapters/files.js');
  const fresh = await parseSidecarText(readText(loaded.abs));
  if (!fresh.ok || fresh.digest !== digest) {
    throw new GateError('DENIED', `${loaded.path} changed while you were reviewing it; nothing was approved.`, { fix: 'run gate approve again to review the current explanation' });
  }
  // signed approvals (issue 7): sign this step before the ledger append when the policy requires it
  const { signApprovalIfRequired } = await import('./signed.js');
  const signature = web ? web.signature : await signApprovalIfRequired(ctx, { tree, tier, step, digest, files: fresh.sidecar.files }, signing);
  const method = signature ? ('ssh-signature' as const) : ('terminal' as const);
  const via = !web
    ? { via: 'terminal' }
    : 'remote' in web
      ? { via: 'remote', remote: web.remote, decision: web.commit, key: web.signature.key }
      : { via: 'web', authenticator: web.authenticator, user_verified: web.userVerified };
  const [rec] = await ctx.record({
    event: 'approve',
    actor: humanActor(approver),
    subject: { tree, paths: fresh.sidecar.files.map((f) => f.path) },
    data: { step, tier, digest, method, ...via, approver, sidecar: loaded.path, ...(signature ? { signature } : {}) },
  });
  const approval: Approval = {
    step,
    tier,
    tree,
    digest,
    approver,
    method,
    at: rec!.entry.ts,
    ledger: { seq: rec!.entry.seq, offset: rec!.offset, hash: rec!.hash },
    ...(signature ? { signature: { ...signature } } : {}),
  };
  const next: Sidecar = { ...fresh.sidecar, approvals: [...fresh.sidecar.approvals, approval] };
  writeFileAtomic(loaded.abs, renderSidecar(next));
  return approval;
}

/**
 * The person's part of every terminal approval (`gate approve`, `gate inbox approve`, and
 * `gate inbox approve --remote` for a card of another clone): the explanation, then per step the
 * diff (before CONFIRM's only step and DOUBLE_CONFIRM's second) and a fresh typed challenge, and
 * `record` only after the challenge was typed back. `record` returns the ledger seq it wrote, or
 * undefined when it published elsewhere (the remote decision).
 */
export async function personApproves(
  ctx: Ctx,
  term: Terminal,
  o: { sidecar: Sidecar; tree: string; tier: Sidecar['tier']; path: string; head: string | undefined; steps: readonly Step[]; gen: () => string; record: (step: Step) => Promise<number | undefined> },
): Promise<{ recorded: Array<{ step: Step; seq: number }>; aborted?: string }> {
  showExplanation(term, o.sidecar, o.tree, o.tier, o.path);
  const recorded: Array<{ step: Step; seq: number }> = [];
  for (const step of o.steps) {
    // the person sees what they approve: the diff before DOUBLE_CONFIRM's second step and before
    // CONFIRM's only one (issue 14), paged the same way
    if (step === 'diff' || step === 'confirm') {
      const p = paint(term.color);
      const header = `${p.bold('Diff of the gated files (HEAD → staged)')}\n`;
      const preview = await diffPreview(ctx, o.sidecar, o.head, term.color, o.tree);
      if (!term.page?.(`${header}${preview}\n`)) {
        term.write(header);
        term.write(preview);
        term.write('\n');
      } else {
        term.write(`${p.dim('(diff shown in the pager)')}\n`);
      }
    }
    const what = step === 'confirm' ? 'approve this change' : step === 'intent' ? 'approve the intent (step 1 of 2; the diff follows)' : 'approve this diff (step 2 of 2)';
    const c = await challenge(term, what, o.gen);
    if (!c.ok) return { recorded, aborted: `${c.why}; nothing was approved for the ${step} step` };
    const seq = await o.record(step);
    if (seq !== undefined) recorded.push({ step, seq });
    term.write(`${paint(term.color).green('approved')}: ${step}${seq !== undefined ? ` (ledger #${seq})` : ''}\n`);
  }
  return { recorded };
}

/**
 * `expect`: approve only if the staged tree is this one (the inbox names a card by its tree; a
 * staged tree that moved on since the card was listed is refused before anything is shown).
 */
export async function approve(ctx: Ctx, term: Terminal, opts: { challenge?: () => string; signing?: SigningOptions; expect?: ExpectedTree } = {}): Promise<ApproveResult> {
  if (!term.interactive) {
    throw new GateError('NOT_INTERACTIVE', 'gate approve needs a person at an interactive terminal (stdin and stdout must both be a TTY); piped or scripted input cannot approve.', {
      fix: 'run `gate approve` yourself in a terminal (not through an agent, a pipe or a script)',
    });
  }
  if (sessionId()) {
    throw new GateError('NOT_INTERACTIVE', 'GATE_SESSION is set: this shell belongs to an agent session, and agents do not approve their own changes.', {
      fix: 'run `gate approve` in your own terminal, where GATE_SESSION is not set',
    });
  }
  const gen = opts.challenge ?? (() => newChallenge());
  const facts = await stagedFacts(ctx);
  if (opts.expect) requireExpected(opts.expect, facts.tree);
  const verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
  if (verdict.tier === 'AUTO') {
    return {
      tree: facts.tree,
      tier: 'AUTO',
      recorded: [],
      already: [],
      complete: true,
      next: verdict.carve_out.applied ? `git commit  (${verdict.carve_out.reason})` : 'git commit  (no gated files are staged; nothing to approve)',
    };
  }
  const { loaded, sidecar, digest, ledger } = await approvalPreconditions(ctx, facts.tree, verdict);
  const tier = verdict.tier;
  const already = new Set<Step>();
  for (const a of sidecar.approvals) {
    if (!approvalProblem(a, facts.tree, digest, ledger.lines.get(a.ledger.offset), expiryOf(ctx, facts.config).expiry) && tierAtLeast(a.tier, tier)) already.add(a.step);
  }
  const steps = requiredSteps(tier).filter((s) => !already.has(s));
  const base = { tree: facts.tree, tier, path: loaded.path, already: [...already] };
  if (steps.length === 0) {
    return { ...base, recorded: [], complete: true, next: 'git commit  (already approved)' };
  }
  // signed approvals (issue 7): refuse an unusable key before anyone types a challenge or touches a key
  await (await import('./signed.js')).preflightSigning(ctx, opts.signing ?? {});
  const approver = approverNow(ctx);
  const run = await personApproves(ctx, term, {
    sidecar,
    tree: facts.tree,
    tier,
    path: loaded.path,
    head: facts.head,
    steps,
    gen,
    record: async (step) => (await recordApproval(ctx, loaded, digest, step, tier, facts.tree, approver, { notice: (t) => term.write(t), interactive: term.interactive, ...opts.signing })).ledger.seq,
  });
  if (run.aborted) {
    return { ...base, recorded: run.recorded, complete: false, aborted: run.aborted, next: 'run gate approve again to approve, or gate reject --reason "<why>" to reject' };
  }
  return { ...base, recorded: run.recorded, complete: true, next: 'git commit' };
}

export interface RejectResult {
  tree: string;
  tier: string;
  seq: number;
  sidecar_updated: boolean;
  path?: string;
  next: string;
}

/** Record a rejection of the staged tree (ledger and, when there is one, the sidecar). */
export async function reject(ctx: Ctx, reason: string, opts: { expect?: ExpectedTree; rejecter?: Person; via?: Record<string, unknown> } = {}): Promise<RejectResult> {
  if (!reason.trim()) throw new GateError('USAGE', 'a rejection needs a reason the agent can act on.', { fix: 'gate reject --reason "<what must change>"' });
  const facts = await stagedFacts(ctx);
  if (opts.expect) requireExpected(opts.expect, facts.tree);
  const verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
  const loaded = await loadSidecar(ctx, facts.tree);
  const rejecter = opts.rejecter ?? approverNow(ctx);
  const st = loaded.state;
  const digest = st.state === 'ok' ? st.digest : undefined;
  const paths = verdict.files.length ? verdict.files.map((f) => f.path) : facts.changes.map((c) => c.path);
  const [rec] = await ctx.record({
    event: 'reject',
    actor: humanActor(rejecter),
    subject: { tree: facts.tree, paths },
    data: { reason, tier: verdict.tier, ...(digest ? { digest } : {}), rejecter, ...(st.state !== 'missing' ? { sidecar: loaded.path } : {}), ...(opts.via ?? {}) },
  });
  let updated = false;
  if (st.state === 'ok') {
    const { renderSidecar } = await import('../../schema/sidecar/render.js');
    const next: Sidecar = {
      ...st.sidecar,
      rejections: [
        ...st.sidecar.rejections,
        { tier: verdict.tier, tree: facts.tree, digest: st.digest, reason, rejecter, at: rec!.entry.ts, ledger: { seq: rec!.entry.seq, offset: rec!.offset, hash: rec!.hash } },
      ],
    };
    writeFileAtomic(loaded.abs, renderSidecar(next));
    updated = true;
  }
  return {
    tree: facts.tree,
    tier: verdict.tier,
    seq: rec!.entry.seq,
    sidecar_updated: updated,
    ...(st.state !== 'missing' ? { path: loaded.path } : {}),
    next: 'the agent changes the staged files to address the rejection, then runs gate explain again (it will see this reason)',
  };
}

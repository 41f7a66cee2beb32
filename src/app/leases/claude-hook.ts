/**
 * Claude Code integration (Gate A's pre-edit hook).
 *
 * `gate hook claude` implements Claude Code's hook contract: a JSON object on stdin
 * ({session_id, cwd, hook_event_name, tool_name, tool_input: {file_path | notebook_path}}).
 *  - PreToolUse, Edit/Write/MultiEdit/NotebookEdit of a handoff document not leased (live) by this
 *    session → blocked: exit 2 with the reason on stderr (Claude Code shows it to the model), and
 *    the same decision as `hookSpecificOutput.permissionDecision: "deny"` JSON on stdout.
 *  - an edit of a control-plane surface → not blocked; a reminder that `gate explain` will be
 *    needed is added as `hookSpecificOutput.additionalContext` (we never answer "allow": that
 *    would skip the user's own permission prompt for exactly the files that matter most).
 *  - anything that cannot be evaluated (bad JSON, missing fields, not a repository, invalid config,
 *    corrupt lease) → blocked (exit 2). Claude Code treats every other exit code as "go ahead".
 *  - SessionStart → appends `export GATE_SESSION=<session_id>` to $CLAUDE_ENV_FILE so the agent's
 *    shell commands (`gate lock …`, `git commit`) carry the same identity as its edits.
 *
 * `installClaudeHook(root)` writes the matching `.claude/settings.json` entries (for
 * `gate init --agent claude`).
 */
import { appendFileSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { GateError, isGateError } from '../../kernel/errors.js';
import { openGit } from '../../adapters/git.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import { writeFileAtomic } from '../../adapters/files.js';
import { compileGlobs } from '../../kernel/glob.js';
import { acquireCommand, describeHolder, leaseState, shellQuote } from '../../gates/leases.js';
import { openContext } from '../context.js';
import { realTargetOf } from './lease.js';

export const EDIT_TOOLS = ['Edit', 'Write', 'MultiEdit', 'NotebookEdit'] as const;

export interface HookOutcome {
  /** 0: go ahead (maybe with context); 2: blocked. */
  exitCode: 0 | 2;
  decision: 'deny' | 'block' | 'allow' | 'none';
  stdout?: string;
  stderr?: string;
}

function deny(reason: string, decision: 'deny' | 'block' = 'deny'): HookOutcome {
  const text = `agent-gates: ${reason}`;
  return {
    exitCode: 2,
    decision,
    stderr: `${text}\n`,
    stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: text } })}\n`,
  };
}

const cannot = (why: string, fix: string) => deny(`cannot evaluate this edit, so it is blocked (fail closed): ${why} Fix: ${fix}`, 'block');

function insideRel(root: string, p: string): string | undefined {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r.split('\\').join('/') : undefined;
}

function nearestDir(p: string): string {
  let d = dirname(p);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export async function claudeHook(stdin: string, env: NodeJS.ProcessEnv = process.env): Promise<HookOutcome> {
  let input: Record<string, any>;
  try {
    const v = JSON.parse(stdin) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    input = v as Record<string, any>;
  } catch {
    return cannot('the hook input on stdin is not a JSON object.', 'run `gate hook claude` only as a Claude Code hook (see docs/gate-a.md).');
  }
  const event = typeof input.hook_event_name === 'string' ? input.hook_event_name : 'PreToolUse';
  const session = typeof input.session_id === 'string' && input.session_id.trim() ? input.session_id.trim() : undefined;

  if (event === 'SessionStart') {
    if (!session) return { exitCode: 0, decision: 'none' };
    const notes: string[] = [];
    if (env.CLAUDE_ENV_FILE) {
      try {
        appendFileSync(env.CLAUDE_ENV_FILE, `export GATE_SESSION=${shellQuote(session)}\n`);
        notes.push('GATE_SESSION is exported in your shell commands.');
      } catch {
        notes.push(`Run \`export GATE_SESSION=${shellQuote(session)}\` in your shell commands.`);
      }
    } else {
      notes.push(`Prefix git commits with \`GATE_SESSION=${shellQuote(session)}\` and pass \`--owner ${shellQuote(session)}\` to gate lock.`);
    }
    const ctxText = `agent-gates: your lease identity is ${session}. ${notes.join(' ')} Take a lease before editing a handoff document: ${acquireCommand(['<path>'], session)}`;
    return { exitCode: 0, decision: 'none', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: ctxText } })}\n` };
  }
  if (event !== 'PreToolUse') return { exitCode: 0, decision: 'none' };
  const tool = input.tool_name;
  if (typeof tool !== 'string') return cannot('the hook input has no tool_name.', 'check the hook entry in .claude/settings.json (event PreToolUse).');
  if (!(EDIT_TOOLS as readonly string[]).includes(tool)) return { exitCode: 0, decision: 'none' };
  if (!session) return cannot('the hook input has no session_id, so the edit cannot be matched to a lease.', 'update Claude Code; its hook input carries session_id.');
  const ti = input.tool_input as Record<string, unknown> | undefined;
  const file = typeof ti?.file_path === 'string' ? ti.file_path : typeof ti?.notebook_path === 'string' ? ti.notebook_path : undefined;
  if (!file) return cannot(`the ${tool} call has no tool_input.file_path.`, 'check the hook entry in .claude/settings.json.');
  const cwd = typeof input.cwd === 'string' && input.cwd ? input.cwd : process.cwd();
  if (!existsSync(cwd)) return cannot(`the hook's cwd ${cwd} does not exist.`, 'run Claude Code from inside the repository.');

  try {
    const home = openContext(cwd); // not a repository → NOT_A_REPO → blocked
    const abs = resolve(cwd, file);
    let ctx = home;
    const realAbs = realTargetOf(abs);
    if (!insideRel(home.paths.root, abs) && !insideRel(realpathSync(home.paths.root), realAbs)) {
      // Another worktree of this clone, another repository, or no repository at all
      // (judged by where the edit really lands, through symbolic links).
      let other;
      try {
        other = openGit(nearestDir(realAbs));
      } catch (e) {
        if (isGateError(e) && e.code === 'NOT_A_REPO') return { exitCode: 0, decision: 'none' }; // not governed by any repository
        throw e;
      }
      ctx = openContext(other.paths.root);
    }
    const { config } = await ctx.config();
    const root = ctx.paths.root;
    const realRoot = realpathSync(root);
    const candidates = new Set<string>();
    const lex = insideRel(root, abs);
    if (lex) candidates.add(lex);
    const real = insideRel(realRoot, realAbs); // a symlink that points at a handoff document
    if (real) candidates.add(real);
    const isHandoff = compileGlobs(config.handoff.paths);
    const handoff = [...candidates].filter((p) => isHandoff(p));
    if (handoff.length) {
      const store = new LeaseStore(ctx.stateDir);
      const nowMs = ctx.now().getTime();
      const problems: string[] = [];
      let heldByOther = false;
      for (const p of handoff) {
        const rec = store.read(p);
        if (rec && rec.owner === session && leaseState(rec, nowMs) === 'held') continue;
        if (!rec) problems.push(`${p} is a handoff document and your session (${session}) holds no lease on it (it is free).`);
        else if (rec.owner === session) problems.push(`${p} is a handoff document and your lease on it expired at ${rec.expires}.`);
        else if (leaseState(rec, nowMs) === 'expired') problems.push(`${p} is a handoff document; the lease of ${rec.owner} on it expired at ${rec.expires}, so you may take it over.`);
        else {
          heldByOther = true;
          problems.push(`${p} is a handoff document ${describeHolder(rec, nowMs)}; do not edit it until that lease is released or expires (work on something else meanwhile).`);
        }
      }
      if (problems.length) {
        return deny(
          `${problems.join(' ')} Take the lease first, then retry the edit: ${acquireCommand(handoff, session)}${heldByOther ? ' --wait 10m' : ''}` +
            ` (run it from ${root}). Commit with GATE_SESSION=${shellQuote(session)} so the pre-commit hook sees the same identity, then release it: gate lock release ${handoff.map(shellQuote).join(' ')} --owner ${shellQuote(session)}.`,
        );
      }
      return { exitCode: 0, decision: 'allow' };
    }
    const rank = { AUTO: 0, CONFIRM: 1, DOUBLE_CONFIRM: 2 } as const;
    let best: { hit: string; s: (typeof config.surfaces)[number] } | undefined;
    for (const s of config.surfaces) {
      const m = compileGlobs(s.paths);
      const hit = [...candidates].find((p) => m(p));
      if (hit && (!best || rank[s.tier] > rank[best.s.tier])) best = { hit, s };
    }
    if (best) {
      const { hit, s } = best;
      const text = `agent-gates: ${hit} is a control-plane surface (${s.name}, tier ${s.tier}${s.self_reinforcing ? ', self-reinforcing' : ''}). Committing this change will need an explanation and a person's approval: run \`gate explain\` (see \`gate explain --help\`) before \`git commit\`.`;
      return { exitCode: 0, decision: 'allow', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', additionalContext: text } })}\n` };
    }
    return { exitCode: 0, decision: 'none' };
  } catch (e) {
    if (isGateError(e)) return cannot(e.message, e.fix ?? 'run `gate doctor`.');
    return cannot(`internal error: ${(e as Error).message ?? String(e)}.`, 'report this with the hook input.');
  }
}

// ---------------------------------------------------------------------------------------------
// .claude/settings.json
// ---------------------------------------------------------------------------------------------

/** The command Claude Code runs; any failure to start gate (e.g. exit 127) becomes a block. */
export const CLAUDE_HOOK_COMMAND = '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/gate hook claude || exit 2';
export const CLAUDE_EDIT_MATCHER = 'Edit|Write|MultiEdit|NotebookEdit';

export interface ClaudeInstallReport {
  path: string;
  status: 'created' | 'updated' | 'already present';
  added: string[];
}

/** Merge the gate hook entries into `<root>/.claude/settings.json`, keeping everything else. */
export function installClaudeHook(root: string, command: string = CLAUDE_HOOK_COMMAND): ClaudeInstallReport {
  const path = join(root, '.claude', 'settings.json');
  let settings: Record<string, any> = {};
  const existed = existsSync(path);
  if (existed) {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      settings = v as Record<string, any>;
    } catch (e) {
      throw new GateError('CANNOT_EVALUATE', `${path} is not a JSON object (${(e as Error).message}); gate will not overwrite it.`, {
        fix: `fix the JSON in ${path}, then run the command again`,
      });
    }
  }
  if (settings.hooks !== undefined && (typeof settings.hooks !== 'object' || settings.hooks === null || Array.isArray(settings.hooks))) {
    throw new GateError('CANNOT_EVALUATE', `${path}: "hooks" is not an object; gate will not overwrite it.`, { fix: `fix "hooks" in ${path}` });
  }
  const hooks: Record<string, any[]> = (settings.hooks ??= {});
  const added: string[] = [];
  const ensure = (event: string, matcher: string | undefined) => {
    const groups = (hooks[event] ??= []);
    if (!Array.isArray(groups)) throw new GateError('CANNOT_EVALUATE', `${path}: hooks.${event} is not a list.`, { fix: `fix hooks.${event} in ${path}` });
    const present = groups.some((g) => Array.isArray(g?.hooks) && g.hooks.some((h: any) => typeof h?.command === 'string' && h.command.includes('gate hook claude')));
    if (present) return;
    groups.push({ ...(matcher ? { matcher } : {}), hooks: [{ type: 'command', command, timeout: 30 }] });
    added.push(event);
  };
  ensure('PreToolUse', CLAUDE_EDIT_MATCHER);
  ensure('SessionStart', undefined);
  if (added.length) writeFileAtomic(path, `${JSON.stringify(settings, null, 2)}\n`);
  return { path, status: !existed ? 'created' : added.length ? 'updated' : 'already present', added };
}

/**
 * `gate init --agent claude|cursor|gemini|codex|aider|all` and its `gate doctor` check: each
 * runtime module writes its own settings (merged, never clobbering the user's keys) and checks
 * them. The files written are Gate B self-reinforcing surfaces in the default config (they
 * decide whether the agent hooks run), so committing them needs an explanation and approval.
 */
import { relative } from 'node:path';
import { RUNTIMES, type RuntimeName } from '../../adapters/agents/contract.js';
import { RUNTIME_MODULES } from '../../adapters/agents/index.js';
import type { FileReport } from '../../adapters/hook-managers.js';
import { GateError } from '../../kernel/errors.js';

export const AGENT_CHOICES = [...RUNTIMES, 'all'] as const;

/** `--agent` value(s) ("claude", "all", "claude,codex") → runtimes; USAGE for anything else. */
export function agentRuntimes(value: string): RuntimeName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const out = new Set<RuntimeName>();
  for (const n of names) {
    if (n === 'all') RUNTIMES.forEach((r) => out.add(r));
    else if ((RUNTIMES as readonly string[]).includes(n)) out.add(n as RuntimeName);
    else throw new GateError('USAGE', `--agent takes ${AGENT_CHOICES.join(', ')} (or a comma-separated list), not "${n}".`, { fix: 'gate init --agent all' });
  }
  if (!out.size) throw new GateError('USAGE', `--agent needs a runtime: ${AGENT_CHOICES.join(', ')}.`, { fix: 'gate init --agent all' });
  return [...out];
}

/** Install each runtime's configuration; file reports for `gate init`, and what to do next. */
export function installAgents(root: string, runtimes: readonly RuntimeName[]): { files: FileReport[]; next: string[] } {
  const files: FileReport[] = [];
  const next: string[] = [];
  for (const rt of runtimes) {
    const out = RUNTIME_MODULES[rt].install(root);
    for (const r of Array.isArray(out) ? out : [out]) {
      files.push({ path: relative(root, r.path), status: r.status, ...(r.added.length ? { note: `${RUNTIME_MODULES[rt].label}: added ${r.added.join(', ')}` } : {}) });
      for (const n of r.notes) next.push(`${RUNTIME_MODULES[rt].label}: ${n}`);
    }
  }
  return { files, next };
}

/** `gate doctor`'s rows for the runtimes configured in this repository. */
export function agentChecks(root: string): Array<{ id: string; title: string; status: 'ok' | 'warn' | 'problem'; message: string; fix?: string }> {
  const out = [];
  for (const rt of RUNTIMES) {
    const c = RUNTIME_MODULES[rt].check(root);
    if (!c) continue;
    out.push({ id: `agent-${rt}`, title: RUNTIME_MODULES[rt].label, status: c.status === 'fail' ? ('problem' as const) : c.status, message: c.message, ...(c.fix ? { fix: c.fix } : {}) });
  }
  return out;
}

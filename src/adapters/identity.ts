import type { Actor } from '../schema/ledger/schema.js';
import type { Git } from './git.js';
import { isTerminal } from '../kernel/builtins.js';
import { humanId } from '../kernel/actor.js';

/** Whether a person is plausibly at a terminal (stdin and stdout are TTYs). */
export function isInteractive(): boolean {
  return isTerminal(0) && isTerminal(1);
}

export function sessionId(): string | undefined {
  const s = process.env.GATE_SESSION?.trim();
  return s ? s : undefined;
}

/**
 * The identity a commit or a ledger event is attributed to: the agent session when
 * GATE_SESSION is set, otherwise the git user (a human).
 */
export function committingActor(git: Git): Actor {
  const session = sessionId();
  if (session) return { kind: 'agent', id: session, session };
  const email = git.userEmail();
  return { kind: 'human', id: humanId(email, safeUser()) };
}

export function safeUser(): string {
  try {
    return process.getBuiltinModule('node:os').userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function whoAmI(git: Git): { name?: string; email?: string; osUser: string; host: string } {
  const name = git.userName();
  const email = git.userEmail();
  return { ...(name ? { name } : {}), ...(email ? { email } : {}), osUser: safeUser(), host: process.getBuiltinModule('node:os').hostname() };
}

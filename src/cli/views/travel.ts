/** `gate check --hook post-rewrite|pre-push`: the hooks that carry approvals (never block git). */
import type { Result } from '../fast/output.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function travelHookResult(hook: 'post-rewrite' | 'pre-push', args: readonly string[]): Promise<Result> {
  const [{ openContext }, { runTravelHook }] = await Promise.all([import('../../app/context.js'), import('../../app/hooks/travel.js')]);
  const report = runTravelHook(openContext(process.cwd()), hook, args, await readStdin());
  const errText: string[] = [];
  if (report.configured.length) errText.push(`agent-gates: this clone now carries approvals (${report.configured.join(', ')})`);
  if (report.notes?.push === 'pushed') errText.push(`agent-gates: pushed the approval notes (refs/notes/agent-gates) to ${args[0]}${report.notes.merged ? ", merged with the remote's" : ''}`);
  for (const w of report.warnings) errText.push(`agent-gates: warning: ${w}`);
  return { code: 0, json: { ...report }, errText };
}

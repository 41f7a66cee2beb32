/**
 * `gate hook <runtime>`: the runtime's hook input (stdin) → event → decision → the runtime's
 * output. Whatever fails on the way is rendered as a block (fail closed), never a silent pass.
 */
import type { HookOutcome, RuntimeName } from '../../adapters/agents/contract.js';
import { RUNTIME_MODULES } from '../../adapters/agents/index.js';
import { cannotEvaluate, decide } from './decide.js';

export async function runAgentHook(runtime: RuntimeName, stdin: string, env: NodeJS.ProcessEnv = process.env): Promise<HookOutcome> {
  const mod = RUNTIME_MODULES[runtime];
  const adapter = mod.hook;
  if (!adapter) throw new Error(`${mod.label} has no tool hooks`);
  let input: Record<string, unknown>;
  try {
    const v = JSON.parse(stdin) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    input = v as Record<string, unknown>;
  } catch {
    return adapter.render(undefined, cannotEvaluate('tool call', 'the hook input on stdin is not a JSON object.', `run \`gate hook ${runtime}\` only as a ${mod.label} hook (see docs/agents.md).`), env);
  }
  try {
    const event = adapter.toEvent(input, env);
    return adapter.render(event, await decide(event, env), env);
  } catch (e) {
    return adapter.render(undefined, cannotEvaluate('tool call', `internal error: ${(e as Error)?.message ?? String(e)}.`, 'report this with the hook input.'), env);
  }
}

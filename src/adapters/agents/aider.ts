/**
 * Aider (https://aider.chat/docs/config/aider_conf.html). Aider has no hook system for tool
 * calls, and it commits with `--no-verify` by default, so no git hook (and no gate) would run on
 * its commits. `git-commit-verify: true` in `.aider.conf.yml` makes it run them. That is all
 * gate can configure here: leases and the shell guard do not reach inside Aider; the git hooks
 * and `gate check --range` in CI do.
 */
import { join } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import { parseYaml } from '../../schema/yaml.js';
import type { ConfigCheck, InstallReport } from './contract.js';
import { readText, writeText } from './settings.js';

export const AIDER_CONFIG = '.aider.conf.yml';
const KEY = /^git-commit-verify[ \t]*:[^\n]*$/m;
export const AIDER_WHY =
  'Aider commits with --no-verify by default, which skips every git hook and so every gate; `git-commit-verify: true` makes its commits run them.';

function parsed(path: string, text: string): Record<string, unknown> {
  const r = parseYaml(text);
  if (!r.ok || (r.value !== null && (typeof r.value !== 'object' || Array.isArray(r.value)))) {
    throw new GateError('CANNOT_EVALUATE', `${path} is not a YAML mapping (${r.ok ? 'not a mapping' : r.problems.join('; ')}); gate will not overwrite it.`, {
      fix: `fix ${path}, then run the command again`,
    });
  }
  return (r.value ?? {}) as Record<string, unknown>;
}

export function installAider(root: string): InstallReport {
  const path = join(root, AIDER_CONFIG);
  const text = readText(path);
  const base = { runtime: 'aider' as const, path, notes: [AIDER_WHY] };
  if (text === undefined) {
    writeText(path, `# agent-gates: ${AIDER_WHY}\ngit-commit-verify: true\n`);
    return { ...base, status: 'created', added: ['git-commit-verify: true'] };
  }
  const value = parsed(path, text);
  if (value['git-commit-verify'] === true) return { ...base, status: 'already present', added: [] };
  const next = KEY.test(text)
    ? text.replace(KEY, 'git-commit-verify: true  # agent-gates: Aider must run the git hooks')
    : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}# agent-gates: ${AIDER_WHY}\ngit-commit-verify: true\n`;
  if (parsed(path, next)['git-commit-verify'] !== true) {
    throw new GateError('CANNOT_EVALUATE', `${path}: could not set git-commit-verify: true without rewriting the file.`, { fix: `set git-commit-verify: true in ${path} by hand` });
  }
  writeText(path, next);
  return { ...base, status: 'updated', added: ['git-commit-verify: true'] };
}

export function checkAider(root: string): ConfigCheck | undefined {
  const path = join(root, AIDER_CONFIG);
  const text = readText(path);
  if (text === undefined) return undefined;
  let value;
  try {
    value = parsed(path, text);
  } catch (e) {
    return { runtime: 'aider', status: 'fail', message: (e as Error).message, fix: `fix ${path}` };
  }
  return value['git-commit-verify'] === true
    ? { runtime: 'aider', status: 'ok', message: `${AIDER_CONFIG} sets git-commit-verify: true (Aider's commits run the git hooks)` }
    : { runtime: 'aider', status: 'fail', message: `${AIDER_CONFIG} does not set git-commit-verify: true: Aider commits with --no-verify and skips every gate`, fix: 'gate init --agent aider' };
}

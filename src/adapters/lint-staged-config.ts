/**
 * The project's lint-staged tasks as configured (package.json "lint-staged", .lintstagedrc.json or
 * a JSON .lintstagedrc): only to NAME the step that may have rewritten a file after `gate explain`
 * (issue 14). Never run from here; JS configs are not read (they would be code).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LintStagedTask {
  glob: string;
  commands: string[];
  source: string;
}

function tasksOf(value: unknown, source: string): LintStagedTask[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  const out: LintStagedTask[] = [];
  for (const [glob, cmd] of Object.entries(value as Record<string, unknown>)) {
    const commands = (Array.isArray(cmd) ? cmd : [cmd]).filter((c): c is string => typeof c === 'string');
    if (commands.length) out.push({ glob, commands, source });
  }
  return out;
}

export function lintStagedTasks(root: string): LintStagedTask[] {
  try {
    const pkg = join(root, 'package.json');
    if (existsSync(pkg)) {
      const j = JSON.parse(readFileSync(pkg, 'utf8')) as Record<string, unknown>;
      if (j['lint-staged']) return tasksOf(j['lint-staged'], 'package.json');
    }
    for (const name of ['.lintstagedrc.json', '.lintstagedrc']) {
      const p = join(root, name);
      if (existsSync(p)) return tasksOf(JSON.parse(readFileSync(p, 'utf8')), name);
    }
  } catch {
    /* an unreadable config only loses the name of the step */
  }
  return [];
}

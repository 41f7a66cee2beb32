/**
 * The files `gate init` scaffolds besides the hooks (config, rules, the ignore entry, the state
 * directory), for `gate uninstall --purge`: each removed only when it is what init wrote.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { packageRoot } from './package-files.js';
import type { FileReport } from './hook-managers.js';

/** The lines `gate init` appends to .gitignore (see init.ts ensureIgnored). */
export function ignoreBlock(entry: string): string {
  return `# agent-gates: explain sidecars describe a tree and are never committed\n${entry}\n`;
}

/** Remove a directory tree; reports it when it existed. */
export function removeTree(root: string, relPath: string, note: string): FileReport | undefined {
  const p = join(root, relPath);
  if (!existsSync(p)) return undefined;
  rmSync(p, { recursive: true, force: true });
  return { path: relPath, status: 'removed', note };
}

/** rules/gate-*.md files that are byte for byte the shipped ones (a changed one is kept and named). */
export function removeShippedRules(root: string): FileReport[] {
  const shipped = join(packageRoot(), 'rules');
  const out: FileReport[] = [];
  for (const f of readdirSync(shipped).filter((n) => /^gate-.*\.md$/.test(n)).sort()) {
    const p = join(root, 'rules', f);
    if (!existsSync(p)) continue;
    if (readFileSync(p, 'utf8') === readFileSync(join(shipped, f), 'utf8')) {
      rmSync(p, { force: true });
      out.push({ path: `rules/${f}`, status: 'removed', note: 'the shipped agent rule' });
    } else out.push({ path: `rules/${f}`, status: 'skipped', note: 'changed since gate init wrote it: kept', fix: `rm rules/${f}` });
  }
  try {
    if (readdirSync(join(root, 'rules')).length === 0) rmSync(join(root, 'rules'), { recursive: true });
  } catch {
    /* absent */
  }
  return out;
}

/** Drop the ignore block `gate init` appended to .gitignore. */
export function removeIgnoreBlock(root: string, entry: string): FileReport | undefined {
  const p = join(root, '.gitignore');
  if (!existsSync(p)) return undefined;
  const cur = readFileSync(p, 'utf8');
  const block = ignoreBlock(entry);
  if (!cur.includes(block)) return undefined;
  const next = cur.replace(block, '');
  if (next.trim() === '') {
    rmSync(p, { force: true });
    return { path: '.gitignore', status: 'removed', note: `it held only the ${entry} entry gate init wrote` };
  }
  writeFileAtomic(p, next);
  return { path: '.gitignore', status: 'updated', note: `removed the ${entry} entry` };
}

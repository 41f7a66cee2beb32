/**
 * The docs match the CLI: docs/cli.md is generated from it; every `gate …` command line shown in
 * README.md and docs/*.md parses against the real program (each subcommand and each flag exists);
 * every `npm run <script>` named there exists in package.json.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { PKG_ROOT, run } from '../helpers/repo.js';

const DOCS = ['README.md', ...readdirSync(join(PKG_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (f: string) => readFileSync(join(PKG_ROOT, f), 'utf8');

/** Code the page shows: fenced blocks line by line, and inline code spans. */
function codeOf(text: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      fence = !fence;
      continue;
    }
    if (fence) out.push(line);
    else for (const m of line.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  }
  return out;
}

/** `gate …` invocations: at the start of a line or snippet (after `$ `), or after &&, ;, |, ( or $( . */
export function gateCommands(text: string): string[] {
  const out: string[] = [];
  for (const code of codeOf(text)) {
    for (const m of code.matchAll(/(?:^\s*(?:\$\s+)?|&&\s*|;\s*|\|\s*|\$\(\s*|\(\s*)(?:npx\s+)?gate\s+([^;&|)#>\n]*)/g)) out.push(m[1]!.replace(/\\\s*$/, '').trim());
  }
  return out;
}

/** What is wrong with `gate <line>` against the program, or undefined. */
function problemWith(program: Command, line: string): string | undefined {
  const tokens = line.split(/\s+/).filter(Boolean);
  let cmds: Command[] = [program];
  let i = 0;
  // subcommands: `lock acquire`, alternatives `acquire|release` or `acquire/release`
  while (i < tokens.length && /^[a-z][\w|/-]*$/.test(tokens[i]!) && cmds.every((c) => c.commands.length > 0)) {
    const names = tokens[i]!.split(/[|/]/).filter(Boolean);
    const next: Command[] = [];
    for (const c of cmds) {
      for (const n of names) {
        const sub = c.commands.find((s) => s.name() === n || s.aliases().includes(n));
        if (!sub) return `unknown command '${n}' (gate ${[...tokens.slice(0, i), n].join(' ')})`;
        next.push(sub);
      }
    }
    cmds = next;
    i += 1;
  }
  for (const t of tokens.slice(i)) {
    const flag = /^\[?(--?[A-Za-z][\w-]*)/.exec(t)?.[1];
    if (!flag || /^-\d/.test(t)) continue;
    for (const c of cmds) {
      const opts = c.createHelp().visibleOptions(c);
      if (!opts.some((o) => o.long === flag || o.short === flag)) return `unknown option ${flag} for gate ${c.name() === 'gate' ? '' : fullName(c)}`.trimEnd();
    }
  }
  return undefined;
}
const fullName = (c: Command): string => (c.parent && c.parent.name() !== 'gate' ? `${fullName(c.parent)} ${c.name()}` : c.name());

describe('docs/cli.md', () => {
  it('is generated from the CLI and up to date (fix: npm run build && npm run docs:cli)', () => {
    const r = run(process.execPath, [join(PKG_ROOT, 'scripts', 'cli-docs.mjs'), '--check'], { cwd: PKG_ROOT, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe("the README's and docs' commands exist", () => {
  it('every `gate …` line parses against the real CLI (its subcommands and flags exist)', async () => {
    const { buildProgram } = (await import(pathToFileURL(join(PKG_ROOT, 'dist', 'program.js')).href)) as { buildProgram(): Command };
    const program = buildProgram();
    const problems: string[] = [];
    let checked = 0;
    for (const f of DOCS) {
      for (const line of gateCommands(read(f))) {
        checked += 1;
        const p = problemWith(program, line);
        if (p) problems.push(`${f}: \`gate ${line}\`: ${p}`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it('the check itself catches a missing command and a missing flag', async () => {
    const { buildProgram } = (await import(pathToFileURL(join(PKG_ROOT, 'dist', 'program.js')).href)) as { buildProgram(): Command };
    const program = buildProgram();
    expect(gateCommands('run `gate lock acquire progress.md --owner a` then\n```sh\n$ gate nope\ngit add x && gate init --agnt claude\n```\nevery gate registered')).toEqual([
      'lock acquire progress.md --owner a',
      'nope',
      'init --agnt claude',
    ]);
    expect(problemWith(program, 'lock acquire progress.md --owner a')).toBeUndefined();
    expect(problemWith(program, 'lock acquire|release <path...> [--owner ID]')).toBeUndefined();
    expect(problemWith(program, 'nope')).toMatch(/unknown command 'nope'/);
    expect(problemWith(program, 'init --agnt claude')).toMatch(/unknown option --agnt for gate init/);
    expect(problemWith(program, 'lock acquire/renew x --wait 1s')).toMatch(/unknown option --wait for gate lock renew/);
  });

  it('every `npm run <script>` named exists in package.json', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const missing: string[] = [];
    for (const f of DOCS) for (const m of read(f).matchAll(/npm run (?:--if-present )?([a-z][\w:-]*)/g)) if (!(m[1]! in scripts)) missing.push(`${f}: npm run ${m[1]}`);
    expect(missing).toEqual([]);
  });
});

/**
 * `gate completion bash|zsh|fish`: the scripts are generated from the command table and really
 * load in their shells. bash: `complete -p gate` and `_gate` driven through COMP_WORDS/compgen;
 * zsh: `zsh -n`, then a real <TAB> in an interactive zsh in a tmux pseudo-terminal; fish:
 * `fish --no-execute`, then `complete -C`. .ci/run installs zsh and fish (Debian packages); on a
 * machine without one of them the script is checked structurally instead (and the test says so in
 * its name).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GATE_BIN, PKG_ROOT, run } from '../helpers/repo.js';
import { hasTmux, startTty } from '../helpers/tty.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const has = (sh: string) => spawnSync(sh, ['--version']).status === 0;
const script = (shell: string) => {
  const r = run(process.execPath, [GATE_BIN, 'completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  const file = join(dir, `gate.${shell}`);
  writeFileSync(file, r.stdout);
  return { text: r.stdout, file };
};
// Files to complete against, in a work directory.
const work = join(dir, 'work');
mkdirSync(work);
writeFileSync(join(work, 'progress.md'), '');

/** The top-level commands `gate --help` lists. */
function helpCommands(): string[] {
  const help = run(process.execPath, [GATE_BIN, '--help']).stdout;
  const block = help.split('Commands:\n')[1]!.split('\n\n')[0]!;
  return [...block.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!);
}

describe('gate completion bash', () => {
  const { file } = script('bash');
  const complete = (...words: string[]) => {
    const r = run('bash', ['--norc', '--noprofile', '-c', `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _gate; printf '%s\\n' "\${COMPREPLY[@]}"`, 'x', file, ...words], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  };

  it('registers _gate for gate', () => {
    const r = run('bash', ['--norc', '--noprofile', '-c', `source "${file}" && complete -p gate`]);
    expect(r.stdout.trim()).toBe('complete -o filenames -F _gate gate');
  });

  it('completes commands, subcommands, options, choices and handoff paths', () => {
    expect(complete('gate', 'lo')).toEqual(['lock']);
    expect(complete('gate', 'lock', 'ac')).toEqual(['acquire']);
    expect(complete('gate', 'lock', 'acquire', '--ow')).toEqual(['--owner']);
    expect(complete('gate', 'lock', 'acquire', 'prog')).toEqual(['progress.md']);
    expect(complete('gate', 'lock', 'acquire', '--owner', 'agent-a', 'prog')).toEqual(['progress.md']);
    expect(complete('gate', 'review', '--format', 'h')).toEqual(['html']);
    expect(complete('gate', 'check', '--hook', '')).toEqual(['post-commit', 'post-rewrite', 'pre-commit', 'pre-merge-commit', 'pre-push']);
    expect(complete('gate', 'completion', '')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('gate', 'adr', '')).toEqual(['accept', 'check', 'help', 'list', 'new']);
  });

  it('offers every command `gate --help` lists (generated from the same table)', () => {
    expect(complete('gate', '').filter((c) => c !== 'help')).toEqual(helpCommands().filter((c) => c !== 'help').sort());
  });
});

describe(`gate completion zsh${has('zsh') ? '' : ' (zsh not installed: structural check only)'}`, () => {
  const { text, file } = script('zsh');

  it('is a #compdef function for gate that zsh parses', () => {
    expect(text.startsWith('#compdef gate\n')).toBe(true);
    expect(text).toContain('compdef _gate gate');
    for (const c of helpCommands().filter((c) => c !== 'help')) expect(text).toContain(`'${c}:`);
    if (has('zsh')) {
      const r = run('zsh', ['-n', file]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it(`completes \`gate lo<TAB>\` to \`gate lock\` in an interactive zsh${has('zsh') && hasTmux() ? '' : ' (no zsh or tmux here: the _describe entries are checked instead)'}`, async () => {
    if (!has('zsh') || !hasTmux()) {
      expect(text).toContain("'lock:leases on handoff documents (Gate A)'");
      return;
    }
    const zdot = join(dir, 'zdot');
    mkdirSync(zdot, { recursive: true });
    writeFileSync(join(zdot, '.zshrc'), `PS1='%% '\nautoload -U compinit && compinit -u -D\nsource '${file}'\n`);
    const t = startTty(['zsh', '-i'], { cwd: work, env: { ...process.env, ZDOTDIR: zdot, HOME: dir } });
    try {
      await t.waitFor(/^% /m);
      t.type('gate lo');
      t.keys('Tab');
      await t.waitFor(/% gate lock $/m, 20_000);
      t.type('acquire prog');
      t.keys('Tab');
      await t.waitFor(/% gate lock acquire progress\.md $/m, 20_000);
      t.keys('C-u');
      t.type('gate review --for');
      t.keys('Tab');
      await t.waitFor(/% gate review --format\s*$/m, 20_000);
      t.keys('C-u');
      t.type('exit');
      t.enter();
    } finally {
      t.kill();
    }
  }, 60_000);
});

describe(`gate completion fish${has('fish') ? '' : ' (fish not installed: structural check only)'}`, () => {
  const { text, file } = script('fish');

  it('parses, and completes commands, subcommands, options, choices and paths', () => {
    expect(text).toContain("complete -c gate -n '__gate_is '\\'''\\''' -a 'lock'");
    if (!has('fish')) return;
    expect(run('fish', ['--no-execute', file]).code).toBe(0);
    const complete = (line: string) => {
      const r = run('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], { cwd: work });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
    };
    expect(complete('gate lo')).toEqual(['lock']);
    expect(complete('gate lock ac')).toEqual(['acquire']);
    expect(complete('gate lock acquire --ow')).toEqual(['--owner']);
    expect(complete('gate lock acquire prog')).toEqual(['progress.md']);
    expect(complete('gate review --format h')).toEqual(['html']);
    expect(complete('gate ').filter((c) => c !== 'help')).toEqual(helpCommands().filter((c) => c !== 'help').sort());
  });
});

describe("the README's install lines", () => {
  const readme = readFileSync(join(PKG_ROOT, 'README.md'), 'utf8');
  const lines = [...readme.matchAll(/^gate completion (bash|zsh|fish) .*$/gm)].map((m) => ({ shell: m[1]!, line: m[0].replace(/\s+#.*$/, '') }));
  const home = join(dir, 'home');
  const shim = join(dir, 'bin');
  mkdirSync(shim, { recursive: true });
  symlinkSync(GATE_BIN, join(shim, 'gate'));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), PATH: `${shim}:${process.env.PATH}` };

  it('show one line per shell', () => {
    expect(lines.map((l) => l.shell).sort()).toEqual(['bash', 'fish', 'zsh']);
  });

  it('install the script where each shell finds it', () => {
    for (const { shell, line } of lines) {
      if (!has(shell)) continue;
      const target = /> "?([^"]+)"?$/.exec(line)![1]!;
      const prep = shell === 'zsh' ? `fpath=("$HOME/zfunc" $fpath); mkdir -p "$HOME/zfunc"; ` : `mkdir -p "$(dirname ${target})"; `;
      const r = run(shell, shell === 'zsh' ? ['-f', '-c', `${prep}${line} && print -r -- ${target}`] : ['-c', `${prep}${line} && echo ${target}`], { env, cwd: work });
      expect(r.code, `${line}: ${r.stderr}`).toBe(0);
      expect(readFileSync(r.stdout.trim(), 'utf8')).toBe(script(shell).text);
    }
    if (has('fish')) {
      // fish autoloads ~/.config/fish/completions/gate.fish by itself: no `source`
      const r = run('fish', ['-c', 'complete -C "gate lo"'], { env, cwd: work });
      expect(r.stdout.split('\t')[0]).toBe('lock');
    }
  });
});

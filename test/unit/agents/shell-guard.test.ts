/**
 * The shell-command guard on a table of command lines: bypasses in many spellings are denied
 * with the right rule, harmless look-alikes are allowed. Pure (no repository: the zones are
 * passed in).
 */
import { describe, expect, it } from 'vitest';
import { guardShell, type GuardEnv } from '../../../src/app/agents/shell-guard.js';
import { parseCommandLine } from '../../../src/app/agents/shell-parse.js';

const env = (): GuardEnv => ({
  cwd: '/r',
  home: '/home/dev',
  repo: { root: '/r', gitDir: '/r/.git', commonDir: '/r/.git', sidecarDir: '/r/.agents/gate-b' },
  isHandoff: (rel) => /(^|\/)(progress|todos)\.md$/.test(rel),
  leased: (rel) => rel === 'docs/todos.md',
});

const rules = (cmd: string) => [...new Set(guardShell(cmd, env()).map((f) => f.rule))];

// [command, the rule it breaks, or null when it must be allowed]
const TABLE: Array<[string, string | null]> = [
  // --no-verify / -n
  ['git commit --no-verify -m x', 'no-verify'],
  ['git commit -n -m x', 'no-verify'],
  ['git commit -anm "wip"', 'no-verify'],
  ['git commit -nm wip', 'no-verify'],
  ['git commit -am wip', null],
  ['git commit -mn', null], // -m takes "n" as the message
  ['git commit -m "--no-verify is never used here"', null],
  ['git commit -m x -- --no-verify', null],
  ['git commit --no-veri -m x', 'no-verify'],
  ['git merge --no-verify feature', 'no-verify'],
  ['git merge -n feature', null], // -n is --no-stat for merge
  ['git push --no-verify origin main', 'no-verify'],
  ['git push -n origin main', null], // --dry-run
  ['git pull --no-verify', 'no-verify'],
  ['git -C sub commit --no-verify', 'no-verify'],
  ['git --no-pager -c color.ui=never commit -n', 'no-verify'],
  ['git log -n 3', null],
  ['git log --grep=--no-verify', null],
  ['echo "--no-verify"', null],
  ['echo git commit --no-verify', null],
  ['grep -rn "git commit -n" docs/', null],
  ['cd sub && git commit --no-verify -m x', 'no-verify'],
  ['npm test && git commit -n -m x', 'no-verify'],
  ['false || git commit --no-verify', 'no-verify'],
  ['true; git push --no-verify', 'no-verify'],
  ['(git commit -n -m x)', 'no-verify'],
  ['echo $(git commit -n -m x)', 'no-verify'],
  ['echo `git commit --no-verify`', 'no-verify'],
  ['sh -c "git commit --no-verify -m x"', 'no-verify'],
  ["bash -lc 'cd /r && git commit -n'", 'no-verify'],
  ["eval 'git commit --no-verify'", 'no-verify'],
  ['env git commit --no-verify', 'no-verify'],
  ['env -i PATH=/usr/bin git commit -n', 'no-verify'],
  ['command git commit --no-verify', 'no-verify'],
  ['sudo -u dev git commit --no-verify', 'no-verify'],
  ['nice -n 10 git commit -n', 'no-verify'],
  ['timeout 60 git push --no-verify', 'no-verify'],
  ['/usr/bin/git commit --no-verify', 'no-verify'],
  ["env -S 'git commit -n -m x'", 'no-verify'],
  ['xargs -n 1 git commit --no-verify', 'no-verify'],
  ['git status | cat', null],
  // the commit-message here-doc agents write (apostrophes and parentheses in the body)
  ["git commit -m \"$(cat <<'EOF'\nFix the parser (it didn't close quotes)\n\nCo-Authored-By: A <a@b>\nEOF\n)\"", null],
  ["git commit -m \"$(cat <<'EOF'\nwip\nEOF\n)\" --no-verify", 'no-verify'],
  ["gh pr create --body \"$(cat <<'EOF'\n## Summary\n- don't (x)\nEOF\n)\"", null],
  // husky off
  ['HUSKY=0 git commit -m x', 'husky-off'],
  ['export HUSKY=0', 'husky-off'],
  ['env HUSKY=0 git push', 'husky-off'],
  ['HUSKY=0', 'husky-off'],
  ['sudo HUSKY=0 git commit', 'husky-off'],
  ['HUSKY_SKIP_HOOKS=1 git commit', 'husky-off'],
  ['echo HUSKY=0', null],
  ['HUSKY=1 git commit -m x', null],
  ["printf '%s\\n' HUSKY=0 >> notes.txt", null],
  // core.hooksPath
  ['git config core.hooksPath /dev/null', 'hooks-path'],
  ['git config --local core.hooksPath .nohooks', 'hooks-path'],
  ['git config --unset core.hooksPath', 'hooks-path'],
  ['git config set core.hooksPath x', 'hooks-path'],
  ['git -c core.hooksPath=/dev/null commit -m x', 'hooks-path'],
  ['git -c core.HooksPath=x push', 'hooks-path'],
  ['GIT_CONFIG_PARAMETERS="\'core.hooksPath\'=\'/x\'" git commit', 'hooks-path'],
  ['git config core.hooksPath', null],
  ['git config --get core.hooksPath', null],
  ['git config get core.hooksPath', null],
  ['git config user.name "A B"', null],
  ['git config --edit', 'hooks-path'],
  ['git config include.path ../evil.cfg', 'hooks-path'],
  ['echo "[core] hooksPath = x" >> .git/config', 'hooks-path'],
  // hooks, ledger, leases
  ['rm -rf .git/hooks', 'hooks-dir'],
  ['rm .git/hooks/pre-commit', 'hooks-dir'],
  ['rm -rf .husky/_', 'hooks-dir'],
  ['rm -rf .husky', 'hooks-dir'],
  ['rm -rf .git', 'hooks-dir'],
  ['echo exit 0 > .husky/_/pre-commit', 'hooks-dir'],
  ['chmod -x .husky/_/pre-commit', 'hooks-dir'],
  ['ln -sf /dev/null .git/hooks/pre-commit', 'hooks-dir'],
  ['find .git/hooks -type f -delete', 'hooks-dir'],
  ["find . -name '*.tmp' -delete", null],
  ["find dist -name '*.map' -exec rm {} +", null],
  ['cd .git && rm -rf hooks', 'hooks-dir'],
  ['mv .husky/_ /tmp/h', 'hooks-dir'],
  ['rm -rf .git/agent-gates/leases', 'gate-state'],
  ['echo {} > .git/agent-gates/ledger.jsonl', 'gate-state'],
  ["sed -i '$d' .git/agent-gates/ledger.jsonl", 'gate-state'],
  ['cat .git/agent-gates/ledger.jsonl', null],
  ['ls .git/hooks', null],
  ['cat .husky/_/pre-commit', null],
  ['rm -rf node_modules dist', null],
  ['rm -rf /tmp/build', null],
  // handoff documents and sidecars
  ['echo "- done" >> progress.md', 'handoff'],
  ['echo x | tee progress.md', 'handoff'],
  ['echo x | tee -a sub/progress.md', 'handoff'],
  ["sed -i 's/a/b/' progress.md", 'handoff'],
  ["perl -pi -e 's/a/b/' progress.md", 'handoff'],
  ['cp /tmp/p.md progress.md', 'handoff'],
  ['mv progress.md old.md', 'handoff'],
  ['git checkout -- progress.md', 'handoff'],
  ['git restore --source HEAD~1 progress.md', 'handoff'],
  ['git checkout main', null],
  ['git restore src/app.ts', null],
  ['rm progress.md', 'handoff'],
  ['cat > progress.md <<EOF\n# p\nEOF', 'handoff'],
  ['echo "- done" >> docs/todos.md', null], // leased by this session
  ['cat progress.md', null],
  ['grep done progress.md > /tmp/out', null],
  ["sed 's/a/b/' progress.md", null],
  ['echo "approvals: []" >> .agents/gate-b/explain-0123456789abcdef0123456789abcdef01234567.yaml', 'sidecar'],
  ['rm -rf .agents/gate-b', 'sidecar'],
  // a person's commands
  ['gate approve', 'person-only'],
  ['npx gate approve', 'person-only'],
  ['npx --yes agent-gates reject --reason x', 'person-only'],
  ['node_modules/.bin/gate lock break progress.md', 'person-only'],
  ['node bin/gate.js approve', 'person-only'],
  ['pnpm exec gate approve', 'person-only'],
  ['gate approve --help', null],
  ['gate lock acquire progress.md --owner s1', null],
  ['gate explain --intent x', null],
  ['echo gate approve', null],
  // unreadable → blocked
  ['echo "unclosed', 'unparsable'],
];

describe('guardShell', () => {
  it(`has a table of at least 60 commands (${TABLE.length})`, () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60);
  });
  for (const [cmd, rule] of TABLE) {
    it(`${rule ? 'denies' : 'allows'} ${JSON.stringify(cmd)}${rule ? ` (${rule})` : ''}`, () => {
      expect(rules(cmd)).toEqual(rule ? [rule] : []);
    });
  }

  it('names the reason and a fix for every denial', () => {
    for (const [cmd, rule] of TABLE) {
      if (!rule) continue;
      for (const f of guardShell(cmd, env())) {
        expect(f.reason.length, cmd).toBeGreaterThan(20);
        expect(f.fix.length, cmd).toBeGreaterThan(5);
      }
    }
  });
});

describe('parseCommandLine', () => {
  it('splits operators, removes quotes, lists substitutions and skips here-doc bodies', () => {
    const p = parseCommandLine(`a 'b c' "d $(e f)" && g | h > out; cat <<X\nrm -rf /\nX\nk`);
    expect(p.error).toBeUndefined();
    expect(p.commands.map((c) => c.words.map((w) => w.text))).toEqual([['a', 'b c', 'd $(e f)'], ['g'], ['h'], ['cat'], ['k'], ['e', 'f']]);
    expect(p.commands[2]!.redirects).toEqual([{ op: '>', target: { text: 'out', dynamic: false } }]);
    expect(p.commands[0]!.words[2]!.dynamic).toBe(true);
  });

  it("reads $'…' and fd redirections", () => {
    const p = parseCommandLine(`echo $'a\\'b' 2>/dev/null`);
    expect(p.commands[0]!.words.map((w) => w.text)).toEqual(['echo', "a'b"]);
    expect(p.commands[0]!.redirects[0]!.op).toBe('>');
  });
});

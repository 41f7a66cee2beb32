// Setup: a plain repository, `gate init`, a normal commit through the hooks.
export const section = { title: 'Setup: gate init in a fresh repository', why: 'Config, agent rules and git hooks; the hooks call the installed gate binary directly.' };
export const steps = [
  {
    title: 'a fresh repository (no package.json: gate works there too)',
    cmd: 'git init -q -b main && git config user.name "Demo Human" && git config user.email demo@example.com && git config commit.gpgsign false && echo "# sandbox" > README.md && git add README.md && git commit -q -m "initial" && git log --oneline',
  },
  {
    title: 'gate init',
    say: 'Safe to re-run: it never overwrites a file without --force.',
    cmd: 'gate init',
    check: (r) => (/\.husky\/pre-commit\s+created/.test(r.stdout) ? undefined : 'pre-commit hook not reported as created'),
  },
  {
    title: 'an ordinary commit passes through the hooks',
    cmd: 'echo "hello" > hello.txt && git add hello.txt && git commit -q -m "feat: hello" && git log --oneline -1',
  },
];

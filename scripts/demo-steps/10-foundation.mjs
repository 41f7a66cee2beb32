// The foundation: init, hooks, a normal commit, a blocked commit.
export const steps = [
  {
    title: 'a fresh repository',
    say: 'A plain git repository with one file, no package.json: gate works there too.',
    cmd: 'git init -q -b main && git config user.name "Demo Human" && git config user.email demo@example.com && git config commit.gpgsign false && echo "# sandbox" > README.md && git add README.md && git commit -q -m "initial" && git log --oneline',
  },
  {
    title: 'gate init',
    say: 'Writes the config, the ignore entry for explain sidecars, the agent-facing rules and the hooks.\nSafe to re-run: it never overwrites a file without --force.',
    cmd: 'gate init',
    check: (r) => (/\.husky\/pre-commit\s+created/.test(r.stdout) ? undefined : 'pre-commit hook not reported as created'),
  },
  {
    title: 'what it installed',
    say: 'The hooks call the installed gate binary directly (never npx) and block the commit if it is missing.',
    cmd: 'git config core.hooksPath && ls -l .husky && git status --short && grep -n "check --hook" .husky/pre-commit .husky/post-commit',
  },
  {
    title: 'a normal commit passes through the hooks',
    cmd: 'echo "hello" > hello.txt && git add hello.txt && git commit -m "feat: hello" && git log --oneline -1',
  },
  {
    title: 'a staged explain sidecar is blocked',
    say: 'Explain sidecars describe a staged tree, so they can never be part of it. Even force-added, the hook stops it.',
    cmd: 'mkdir -p .agents/gate-b && echo "intent: demo" > .agents/gate-b/explain-demo.yaml && git add -f .agents/gate-b/explain-demo.yaml && git commit -m "oops"',
    expect: 'fail',
    check: (r) => (r.stderr.includes('B_SIDECAR_STAGED') ? undefined : 'the block did not name B_SIDECAR_STAGED'),
  },
  {
    title: 'unstage it (the fix the hook printed)',
    cmd: "git rm -q --cached -- .agents/gate-b/explain-demo.yaml && git status --short",
  },
];

// Gate C: a commit made with --no-verify skips every local hook; CI's range check catches it.
export const section = {
  title: 'Gate C: a --no-verify bypass caught by gate check --range',
  why: 'Local hooks can be skipped. CI runs `gate check --range <base>..<head>`: every gated commit needs its approval note.',
};
export const steps = [
  {
    title: 'the range so far passes (every gated commit carries its approval)',
    cmd: 'git rev-parse HEAD > .git/demo-base && gate check --range "$(git rev-list --max-parents=0 HEAD)..HEAD"',
    check: (r) => (/ok|pass|✔/i.test(r.stdout + r.stderr) ? undefined : 'the range did not report success'),
  },
  {
    title: 'an agent skips the hooks: git commit --no-verify of an agent rule',
    cmd: 'printf "# Merging\\n\\n- Agents may merge their own pull requests.\\n" > rules/merge.md && git add rules/merge.md && GATE_SESSION=agent-a git commit -q --no-verify -m "docs(rules): agents merge" && git log --oneline -1',
  },
  {
    title: 'CI: gate check --range names the commit, exit 1',
    cmd: 'gate check --range "$(cat .git/demo-base)..HEAD"',
    expect: 1,
    check: (r, sb) => {
      const sha = sb.sh('git rev-parse --short=12 HEAD').stdout.trim();
      const out = r.stdout + r.stderr;
      return out.includes('C_UNAPPROVED') && out.includes(sha.slice(0, 7)) && out.includes('rules/merge.md') ? undefined : 'the range check did not name C_UNAPPROVED, the commit and the file';
    },
  },
];

// A rejection is remembered: the rejected tree can never be approved, and the agent sees why.
const EXPLAIN = (intent) =>
  `GATE_SESSION=agent-a gate explain --intent "${intent}" --alternative "a note in the README" --blast-radius "every deploy an agent starts" --reversibility "fully: a text change" --rollback "git revert the commit"`;
const REASON = 'No deploys on Fridays: write the opposite rule';

export const section = {
  title: 'Gate B: a rejection is remembered',
  why: 'A person rejects with a reason; the same tree can never be approved, and the next explanation shows the reason.',
};
export const steps = [
  {
    title: 'the agent adds a rule and explains it',
    cmd: `printf "# Deploys\\n\\n- Agents may deploy on Fridays.\\n" > rules/deploy.md && git add rules/deploy.md && ${EXPLAIN('Let agents deploy any day')}`,
    check: (r) => (r.stdout.includes('tier: CONFIRM') ? undefined : 'not classified CONFIRM'),
  },
  {
    title: 'a person rejects it, with a reason',
    cmd: `gate reject --reason "${REASON}"`,
    check: (r) => (/rejected tree [0-9a-f]{12} \(CONFIRM\)/.test(r.stdout) ? undefined : 'the rejection was not recorded'),
  },
  {
    title: 'the next attempt: the commit is blocked and names the rejection',
    cmd: 'GATE_SESSION=agent-a git commit -q -m "docs(rules): deploys"',
    expect: 1,
    check: (r) => (r.stderr.includes('B_REJECTED') && r.stderr.includes(REASON) ? undefined : 'the block did not name B_REJECTED and the reason'),
  },
  {
    title: 'explaining the same tree again is refused (exit 1)',
    cmd: EXPLAIN('Let agents deploy any day'),
    expect: 1,
    check: (r) => (r.stderr.includes('already rejected') && r.stderr.includes(REASON) ? undefined : 'the refusal did not show the rejection'),
  },
  {
    title: 'the agent changes the rule; its new explanation shows the earlier rejection',
    cmd: `printf "# Deploys\\n\\n- Agents never deploy on Fridays.\\n" > rules/deploy.md && git add rules/deploy.md && ${EXPLAIN('No agent deploys on Fridays')} && git reset -q && rm rules/deploy.md`,
    check: (r) => (r.stdout.includes('earlier rejections') && r.stdout.includes(REASON) ? undefined : 'the new explanation did not show the earlier rejection'),
  },
];

// Gate B, CONFIRM: an agent changes an agent rule; the commit needs an explanation and a person's
// approval, typed at a real terminal.
const EXPLAIN = (intent) =>
  `GATE_SESSION=agent-a gate explain --intent "${intent}" --alternative "Only mention it in the PR template" --blast-radius "every agent that reviews code here" --reversibility "fully: a text change" --rollback "git revert the commit"`;

/** Drive the real `gate approve` in a pseudo-terminal; show the screen; problems as a string. */
export async function approveShown(sb, { steps, mustShow = [] }) {
  sb.note('(the demo types the challenge into `gate approve` running in a tmux pseudo-terminal, as a person at a terminal would)');
  const r = await sb.approve();
  if (r.screen) sb.show(r.screen);
  if (r.problem) return r.problem;
  if (r.code !== 0) return `gate approve exited ${r.code}`;
  if (r.answered !== steps) return `expected ${steps} challenge(s), answered ${r.answered}`;
  for (const s of mustShow) if (!(s instanceof RegExp ? s.test(r.screen) : r.screen.includes(s))) return `the approval screen did not show ${s}`;
  return undefined;
}

export const section = {
  title: 'Gate B, CONFIRM: explain, then a person approves',
  why: 'rules/** is a CONFIRM surface: a commit changing it needs an explanation of exactly the staged tree and one approval.',
};
export const steps = [
  {
    title: 'an agent edits an agent rule: the commit is blocked',
    cmd: 'mkdir -p rules && printf "# Code review\\n\\n- Ask for a test with every bug fix.\\n" > rules/review.md && git add rules/review.md && GATE_SESSION=agent-a git commit -q -m "docs(rules): review asks for tests"',
    expect: 1,
    check: (r) => (r.stderr.includes('B_NO_SIDECAR') && r.stderr.includes('gate explain') ? undefined : 'the block did not name B_NO_SIDECAR and the explain command'),
  },
  {
    title: 'the agent explains: intent, alternatives, risk',
    cmd: EXPLAIN('Reviews must ask for a test with every bug fix'),
    check: (r) => (r.stdout.includes('wrote .agents/gate-b/explain-') && r.stdout.includes('gate approve') ? undefined : 'explain did not write the sidecar and name the next command'),
  },
  {
    title: 'the agent cannot approve its own change: piped input is refused',
    cmd: 'echo y | gate approve',
    expect: 1,
    check: (r) => (r.stderr.includes('interactive terminal') ? undefined : 'the refusal did not explain that a terminal is needed'),
  },
  {
    title: 'a person approves at a terminal: reads the explanation, types back a fresh challenge',
    do: (sb) => approveShown(sb, { steps: 1, mustShow: ['Reviews must ask for a test with every bug fix', /approved: confirm \(ledger #\d+\)/] }),
  },
  {
    title: 'now the commit passes, and the approval travels with it as a git note',
    cmd: 'GATE_SESSION=agent-a git commit -q -m "docs(rules): review asks for tests" && git log --oneline -1 && git notes --ref refs/notes/agent-gates show HEAD | grep -E \'"(tier|step)"\'',
    check: (r) => (r.stdout.includes('"tier": "CONFIRM"') && r.stdout.includes('"step": "confirm"') ? undefined : 'no approval note on the commit'),
  },
];

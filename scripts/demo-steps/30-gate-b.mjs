// Gate B: an agent changes an agent rule; the commit is blocked until it explains the change and a
// person approves it at a terminal. When you run the demo in a terminal, YOU type the challenge;
// otherwise (CI, a pipe) the demo types it for you through a tmux pseudo-terminal.
import { spawnSync } from 'node:child_process';

const INTENT = 'Reviews must ask for a test with every bug fix';

function approveInteractively(sb) {
  if (process.stdin.isTTY && process.stdout.isTTY) {
    console.log('   Your turn: read the explanation below and type the challenge back to approve.\n');
    spawnSync('gate', ['approve'], { cwd: sb.dir, env: sb.env, stdio: 'inherit' });
    return;
  }
  // No person at this terminal: drive `gate approve` in a tmux pseudo-terminal, as a person would.
  const sock = `agent-gates-demo-${process.pid}`;
  const tmux = (...a) => spawnSync('tmux', ['-L', sock, '-f', '/dev/null', ...a], { env: sb.env, encoding: 'utf8' });
  if (tmux('-V').status !== 0) {
    console.log('   (no terminal and no tmux: cannot show the approval; run `npm run demo` in a terminal)');
    return;
  }
  tmux('new-session', '-d', '-s', 'demo', '-x', '160', '-y', '50', `cd '${sb.dir}' && gate approve; echo "[approve exited $?]"; sleep 30`);
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'demo').stdout ?? '';
  const until = (re) => {
    for (let i = 0; i < 400; i++) {
      const s = screen();
      if (re.test(s)) return s;
      spawnSync('sleep', ['0.05']);
    }
    return screen();
  };
  try {
    const s = until(/type ([A-Z0-9]{6}) and press Enter/);
    const code = /type ([A-Z0-9]{6}) and press Enter/.exec(s)?.[1];
    if (code) {
      tmux('send-keys', '-t', 'demo', '-l', code);
      tmux('send-keys', '-t', 'demo', 'Enter');
    }
    const out = until(/\[approve exited \d+\]/);
    console.log('   (no person at this terminal: the demo typed the challenge in a tmux pseudo-terminal)');
    console.log(out.trimEnd().split('\n').filter((l) => l.trim() !== '').map((l) => `   │ ${l}`).join('\n'));
  } finally {
    tmux('kill-server');
  }
}

export const steps = [
  {
    title: 'Gate B: an agent edits an agent rule, and the commit is blocked',
    say: 'rules/** is a CONFIRM surface: a commit that changes it needs an explanation of exactly the staged tree\nand a person\'s approval.',
    cmd: 'mkdir -p rules && printf "# Code review\\n\\n- Ask for a test with every bug fix.\\n" > rules/review.md && git add rules/review.md && GATE_SESSION=agent-a git commit -q -m "docs(rules): review asks for tests"',
    expect: 'fail',
    check: (r) => (r.stderr.includes('B_NO_SIDECAR') && r.stderr.includes('gate explain') ? undefined : 'the block did not name B_NO_SIDECAR and the explain command'),
  },
  {
    title: 'gate status: what the staged change is and what it still needs',
    cmd: 'gate status',
    check: (r) => (r.stdout.includes('tier: CONFIRM') && r.stdout.includes('rules/review.md') ? undefined : 'status did not show a CONFIRM rules/review.md'),
  },
  {
    title: 'the agent explains: intent, alternatives, risk',
    say: 'This writes .agents/gate-b/explain-<tree>.yaml (ignored by git, never committed) and records it in the ledger.',
    cmd: `GATE_SESSION=agent-a gate explain --intent "${INTENT}" --alternative "Only mention it in the PR template" --blast-radius "every agent that reviews code here" --reversibility "fully: a text change" --rollback "git revert the commit"`,
    check: (r) => (r.stdout.includes('wrote .agents/gate-b/explain-') && r.stdout.includes('gate approve') ? undefined : 'explain did not write the sidecar and name the next command'),
  },
  {
    title: 'the agent cannot approve its own change: piped input is refused',
    cmd: 'echo y | GATE_SESSION=agent-a gate approve',
    expect: 1,
    check: (r) => (r.stderr.includes('interactive terminal') ? undefined : 'the refusal did not explain that a terminal is needed'),
  },
  {
    title: 'a person approves at a terminal (a fresh random challenge, typed back)',
    do: approveInteractively,
    cmd: 'gate status --json | node -e "const j=JSON.parse(require(\'fs\').readFileSync(0,\'utf8\'));console.log(JSON.stringify({approvals:j.approvals.present,would_commit:j.would_commit}))"',
    check: (r) => (r.stdout.includes('"would_commit":true') ? undefined : 'the change is not approved (was the challenge typed?)'),
  },
  {
    title: 'now the commit passes, and the approval travels with it as a git note',
    cmd: 'GATE_SESSION=agent-a git commit -q -m "docs(rules): review asks for tests" && git log --oneline -1 && git notes --ref refs/notes/agent-gates show HEAD | head -14 && ls .agents/gate-b/',
    check: (r) => (r.stdout.includes('"agent_gates": 2') && r.stdout.includes('"tier": "CONFIRM"') && r.stdout.includes('"transitions"') ? undefined : 'no approval note on the commit'),
  },
  {
    title: 'a small Markdown edit passes under the doc-only carve-out (with a warning)',
    cmd: 'printf "# Code review\\n\\n- Ask for a regression test with every bug fix.\\n" > rules/review.md && git add rules/review.md && GATE_SESSION=agent-a git commit -q -m "docs(rules): wording"',
    check: (r) => (r.stderr.includes('B_DOC_ONLY') ? undefined : 'no carve-out warning'),
  },
];

// Gate A: two agent sessions contend for the same handoff document (progress.md).
const SID = '9f2c6a1e-4b7d-4f0a-9a53-2d7e1c0b8e41';
const claudeEdit = (dir) =>
  JSON.stringify({ session_id: SID, cwd: dir, hook_event_name: 'PreToolUse', tool_name: 'Edit', tool_input: { file_path: `${dir}/progress.md`, old_string: 'a', new_string: 'b' } });

export const steps = [
  {
    title: 'Gate A: session A takes the lease on progress.md',
    say: 'progress.md is a handoff document (handoff.paths in .agents/gates.yaml). Agents name themselves with GATE_SESSION\n(or --owner); a lease is all-or-nothing, expires (30m by default) and is shared by every worktree of the clone.',
    cmd: 'GATE_SESSION=agent-a gate lock acquire progress.md --reason "resume point after the login form"',
    check: (r) => (r.stdout.includes('acquired progress.md for agent-a') ? undefined : 'no grant reported'),
  },
  {
    title: 'session A writes and commits it',
    cmd: 'printf "# progress\\n- login form wired (agent-a)\\n" > progress.md && git add progress.md && GATE_SESSION=agent-a git commit -q -m "docs: progress (agent-a)" && git log --oneline -1',
  },
  {
    title: 'session B wants the same document: denied, with holder and expiry',
    cmd: 'GATE_SESSION=agent-b gate lock acquire progress.md',
    expect: 1,
    check: (r) => (r.stderr.includes('held by agent-a') ? undefined : 'the denial did not name the holder'),
  },
  {
    title: 'what an agent parses: gate lock status --json',
    cmd: 'GATE_SESSION=agent-b gate lock status --json',
    check: (r) => {
      const j = JSON.parse(r.stdout);
      return j.leases?.[0]?.owner === 'agent-a' && j.leases[0].mine === false && j.leases[0].state === 'held' ? undefined : 'status does not show agent-a holding it';
    },
  },
  {
    title: 'session B edits anyway and tries to commit: the pre-commit hook blocks it',
    cmd: 'printf -- "- signup form started (agent-b)\\n" >> progress.md && git add progress.md && GATE_SESSION=agent-b git commit -q -m "docs: progress (agent-b)"',
    expect: 'fail',
    check: (r) => (r.stderr.includes('A_LEASE_HELD') && r.stderr.includes('held by agent-a') ? undefined : 'the block did not name A_LEASE_HELD and the holder'),
  },
  {
    title: 'a Claude Code session is stopped before it even edits',
    say: '`gate hook claude` is the PreToolUse hook: exit 2 blocks the edit and tells the model the exact command.',
    do: (sb) => sb.write('.demo-claude-input.json', claudeEdit(sb.dir)),
    cmd: 'gate hook claude < .demo-claude-input.json >/dev/null; code=$?; rm -f .demo-claude-input.json; exit $code',
    expect: 2,
    check: (r) => (r.stderr.includes(`gate lock acquire progress.md --owner ${SID}`) ? undefined : 'the deny reason did not give the acquire command'),
  },
  {
    title: 'A releases; B acquires (a new, higher fencing token) and commits',
    say: 'Tokens come from the ledger (ADR 0011): each is above every entry already written, so no token is ever handed out twice, even after a crash or a deleted fence file.',
    cmd: 'echo "A holds token $(GATE_SESSION=agent-a gate lock status progress.md --json | node -e "console.log(JSON.parse(require(\'fs\').readFileSync(0,\'utf8\')).leases[0].token)")" && GATE_SESSION=agent-a gate lock release progress.md && GATE_SESSION=agent-b gate lock acquire progress.md --wait 10s && GATE_SESSION=agent-b git commit -q -m "docs: progress (agent-b)" && git log --oneline -2 && GATE_SESSION=agent-b gate lock release progress.md',
    check: (r) => {
      const a = /A holds token (\d+)/.exec(r.stdout);
      const b = /acquired progress\.md for agent-b .*\(token (\d+)\)/.exec(r.stdout);
      return a && b && Number(b[1]) > Number(a[1]) ? undefined : "B's token is not higher than A's";
    },
  },
  {
    title: 'every grant, denial and release is in the hash-chained ledger',
    cmd: "grep -o '\"event\":\"lease\\.[a-z]*\"' .git/agent-gates/ledger.jsonl | sort | uniq -c && gate audit verify",
  },
];

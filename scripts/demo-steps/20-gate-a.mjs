// Gate A: two agent sessions contend for the same handoff document (progress.md).
const SID = '9f2c6a1e-4b7d-4f0a-9a53-2d7e1c0b8e41';
const claudeEdit = (dir) =>
  JSON.stringify({ session_id: SID, cwd: dir, hook_event_name: 'PreToolUse', tool_name: 'Edit', tool_input: { file_path: `${dir}/progress.md`, old_string: 'a', new_string: 'b' } });

export const section = {
  title: 'Gate A: leases on handoff documents, two sessions contending',
  why: 'progress.md is a handoff document: an agent session edits it only under a lease (GATE_SESSION names the session).',
};
export const steps = [
  {
    title: 'session A takes the lease and commits progress.md',
    cmd: 'GATE_SESSION=agent-a gate lock acquire progress.md --reason "resume point after the login form" && printf "# progress\\n- login form wired (agent-a)\\n" > progress.md && git add progress.md && GATE_SESSION=agent-a git commit -q -m "docs: progress (agent-a)" && git log --oneline -1',
    check: (r) => (r.stdout.includes('acquired progress.md for agent-a') ? undefined : 'no grant reported'),
  },
  {
    title: 'session B asks for the same document: denied, naming the holder',
    cmd: 'GATE_SESSION=agent-b gate lock acquire progress.md',
    expect: 1,
    check: (r) => (r.stderr.includes('held by agent-a') ? undefined : 'the denial did not name the holder'),
  },
  {
    title: 'session B edits anyway: its commit is blocked, with the exact command that fixes it',
    cmd: 'printf -- "- signup form started (agent-b)\\n" >> progress.md && git add progress.md && GATE_SESSION=agent-b git commit -q -m "docs: progress (agent-b)"',
    expect: 1,
    check: (r) => (r.stderr.includes('A_LEASE_HELD') && r.stderr.includes('held by agent-a') && /fix: .*gate lock acquire progress\.md/.test(r.stderr) ? undefined : 'the block did not name A_LEASE_HELD, the holder and the `gate lock acquire` fix'),
  },
  {
    title: 'a Claude Code session is stopped before it even edits (PreToolUse hook, exit 2)',
    do: (sb) => sb.write('.demo-claude-input.json', claudeEdit(sb.dir)),
    cmd: 'gate hook claude < .demo-claude-input.json >/dev/null; code=$?; rm -f .demo-claude-input.json; exit $code',
    expect: 2,
    check: (r) => (r.stderr.includes(`gate lock acquire progress.md --owner ${SID}`) ? undefined : 'the deny reason did not give the acquire command'),
  },
  {
    title: 'A releases; B acquires with a higher fencing token and commits',
    cmd: 'GATE_SESSION=agent-a gate lock release progress.md && GATE_SESSION=agent-b gate lock acquire progress.md --wait 10s && GATE_SESSION=agent-b git commit -q -m "docs: progress (agent-b)" && git log --oneline -1 && GATE_SESSION=agent-b gate lock release progress.md',
    check: (r) => (/acquired progress\.md for agent-b .*\(token (\d+)\)/.test(r.stdout) ? undefined : 'B was not granted the lease'),
  },
];

// ADRs: accepting a record is a DOUBLE_CONFIRM change (intent, then the diff); once accepted, a
// record never changes.
import { approveShown } from './30-gate-b.mjs';

const EXPLAIN =
  'GATE_SESSION=agent-a gate explain --intent "Record the decision to keep sessions in PostgreSQL" --alternative "Redis (one more service to run)" --blast-radius "the session store and its migrations" --reversibility "a new ADR can supersede it" --rollback "gate adr new <title> --supersedes 1"';

export const section = {
  title: 'ADRs and DOUBLE_CONFIRM: accept a decision, then try to edit it',
  why: 'adr/** is DOUBLE_CONFIRM: a person approves the intent, reads the diff, approves the diff. Accepted records are immutable.',
};
export const steps = [
  {
    title: 'write the record and mark it accepted',
    cmd: 'gate adr new "Keep sessions in PostgreSQL" && gate adr accept 1 && git add adr && gate status | head -4',
    check: (r) => (r.stdout.includes('tier: DOUBLE_CONFIRM') && r.stdout.includes('adr/0001-keep-sessions-in-postgresql.md') ? undefined : 'the staged record is not DOUBLE_CONFIRM'),
  },
  {
    title: 'the agent explains',
    cmd: EXPLAIN,
    check: (r) => (r.stdout.includes('tier: DOUBLE_CONFIRM') ? undefined : 'not DOUBLE_CONFIRM'),
  },
  {
    title: 'a person approves the intent, reads the diff preview, approves the diff (two challenges)',
    do: (sb) => approveShown(sb, { steps: 2, mustShow: ['Diff of the gated files', '+status: accepted', /approved: intent/, /approved: diff/] }),
  },
  {
    title: 'the accepted record is committed',
    cmd: 'GATE_SESSION=agent-a git commit -q -m "docs(adr): accept 0001" && git log --oneline -1 && gate adr list',
    check: (r) => (/0001\s.*accepted/i.test(r.stdout) || /accepted/.test(r.stdout) ? undefined : 'the record is not listed as accepted'),
  },
  {
    title: 'an agent edits the accepted decision: the commit is refused, with the way forward',
    cmd: 'sed -i.bak "s/PostgreSQL/Redis/g" adr/0001-keep-sessions-in-postgresql.md && rm -f adr/*.bak && git add adr && GATE_SESSION=agent-a git commit -q -m "docs(adr): switch to Redis"',
    expect: 1,
    check: (r) => (r.stderr.includes('ADR_IMMUTABLE') && r.stderr.includes('--supersedes') ? undefined : 'the block did not name ADR_IMMUTABLE and the superseding command'),
  },
  {
    title: 'put the record back',
    cmd: 'git checkout -q HEAD -- adr && git status --short adr',
  },
];

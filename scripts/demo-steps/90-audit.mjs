// Runs last: the ledger and the installation health.
import { readFileSync, writeFileSync } from 'node:fs';

let original;
export const section = {
  title: 'The ledger: hash-chained, tamper-evident; and gate doctor',
  why: 'Every gate decision above is a line in .git/agent-gates/ledger.jsonl, chained by hash.',
};
export const steps = [
  {
    title: 'the ledger verifies',
    cmd: 'gate audit verify',
    check: (r) => (r.stdout.includes('ledger verifies') ? undefined : 'no "ledger verifies"'),
  },
  {
    title: 'tampering with a ledger line is caught, with its line number',
    say: 'We edit line 2 behind the tool\'s back (as an agent with file access could).',
    do: (sb) => {
      const p = sb.ledgerPath();
      original = readFileSync(p);
      const lines = original.toString('utf8').split('\n');
      lines[1] = lines[1].replace(/"ts":"(\d{4})/, (_m, y) => `"ts":"${Number(y) - 1}`); // back-date entry 2 by a year
      writeFileSync(p, lines.join('\n'));
    },
    cmd: 'gate audit verify',
    expect: 3,
    check: (r) => (/line 2\b/.test(r.stderr) ? undefined : 'line 2 was not named'),
  },
  {
    title: 'restore the ledger',
    do: (sb) => writeFileSync(sb.ledgerPath(), original),
    cmd: 'gate audit verify --json',
    check: (r) => (JSON.parse(r.stdout).ok === true ? undefined : 'did not verify after restoring'),
  },
  {
    title: 'gate doctor',
    say: 'Installation health: config, hooks active in every worktree, ignore rules, notes, ledger. Each problem comes with its fix.',
    cmd: 'gate doctor',
    check: (r) => (r.stdout.includes('healthy') ? undefined : 'not healthy'),
  },
];

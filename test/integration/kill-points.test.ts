/**
 * Kill points (issue 13, ADR 0011): every ledger, lease and hook operation SIGKILLed at its
 * syscall boundaries that write (strace's fault injection), and with ENOSPC injected, then the
 * invariants checked (see test/helpers/killpoints.ts). The default run takes a small sample of
 * boundaries per operation; `npm run test:stress` (GATE_STRESS=1) takes every boundary plus 200
 * random-time kills per operation and writes the figures to GATE_KILLPOINTS_REPORT when set.
 * Without strace the operations are SIGKILLed at random times instead (never skipped).
 * This file takes `gate lock release` and `git commit`; kill-points-acquire.test.ts takes `gate lock
 * acquire` and the ledger append, in its own lab, beside this one (about equal halves at full size).
 */
import { killPointSuite } from '../helpers/killpoints-suite.js';

killPointSuite('release-commit', ['lock release', 'git commit through the hooks']);

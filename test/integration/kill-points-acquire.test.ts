/**
 * Kill points of `gate lock acquire` and a ledger append, in their own file and lab so that they run
 * beside the other operations' (kill-points.test.ts): at full size each file is about half the run.
 */
import { killPointSuite } from '../helpers/killpoints-suite.js';

killPointSuite('acquire-append', ['lock acquire', 'ledger append']);

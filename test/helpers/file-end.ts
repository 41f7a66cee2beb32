/**
 * A setup file (vitest.config.ts): runs before every test file, also when a worker runs several
 * files one after another (`isolate: false`) and the helpers' modules are imported only once. What
 * the helpers keep until a file ends is cleaned up here, after that file.
 */
import { afterAll } from 'vitest';
import { runFileEnd } from './repo.js';

afterAll(() => runFileEnd());

import { isTerminal } from '../../kernel/builtins.js';
import { paint } from '../../kernel/ansi.js';

/** Minimal ANSI styling that respects NO_COLOR, FORCE_COLOR, TERM=dumb and non-TTY output. */
function enabled(fd: 1 | 2): boolean {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return isTerminal(fd);
}

function make(fd: 1 | 2) {
  const on = enabled(fd);
  return { on, ...paint(on) };
}

export type Style = ReturnType<typeof make>;
let out: Style | undefined;
let err: Style | undefined;
export const styleOut = (): Style => (out ??= make(1));
export const styleErr = (): Style => (err ??= make(2));

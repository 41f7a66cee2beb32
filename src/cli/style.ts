import { isTerminal } from '../builtins.js';

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
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    on,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

export type Style = ReturnType<typeof make>;
let out: Style | undefined;
let err: Style | undefined;
export const styleOut = (): Style => (out ??= make(1));
export const styleErr = (): Style => (err ??= make(2));

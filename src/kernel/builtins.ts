/**
 * Built-in modules loaded on first use. `node:crypto` costs ~2 ms to load, and a commit that
 * touches no gated path never hashes anything, so the modules on the hook path take it from here
 * instead of a static import (which the hook bundle would run at start-up).
 * `process.getBuiltinModule` exists from node 20.16 (package.json asks for >= 20.17).
 */
let crypto: typeof import('node:crypto') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  return (crypto ??= process.getBuiltinModule('node:crypto'));
}

/**
 * Whether a file descriptor is a terminal, without creating `process.stdin`/`stdout`/`stderr`
 * and without loading `node:tty` (which loads `net` and the stream modules, ~3 ms) unless the
 * answer needs it: a terminal is always a character device, so a pipe, socket or file is not
 * one, and neither is /dev/null (the character device output is most often sent to). Only another
 * character device asks `tty.isatty`. Same answers as `process.stdin.isTTY` etc.; a closed
 * descriptor is not a terminal.
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  const fs = process.getBuiltinModule('node:fs');
  let st: import('node:fs').Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return false;
  }
  if (!st.isCharacterDevice()) return false;
  try {
    const dn = fs.statSync('/dev/null');
    if (st.rdev === dn.rdev && dn.isCharacterDevice()) return false;
  } catch {
    /* no /dev/null: ask tty */
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}

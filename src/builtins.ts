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

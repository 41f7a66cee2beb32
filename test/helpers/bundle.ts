/**
 * Bundle a small TypeScript entry (that imports src/) into a runnable .mjs with esbuild, so a
 * real git hook or a child process can run the real adapter code. Cached per process.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { makeTempDir, PKG_ROOT } from './repo.js';

const cache = new Map<string, string>();

export async function bundleEntry(entry: string): Promise<string> {
  const hit = cache.get(entry);
  if (hit) return hit;
  const out = join(makeTempDir('gate-bundle-'), 'entry.mjs');
  await build({
    absWorkingDir: PKG_ROOT,
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  cache.set(entry, out);
  return out;
}

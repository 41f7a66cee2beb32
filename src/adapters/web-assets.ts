/**
 * Adapter: the web inbox's page files (assets/web-inbox/ in the package: plain HTML, CSS and
 * JavaScript, no build step, no external resources). Read once, when `gate inbox --web` starts;
 * nothing on the hot path loads this module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ASSET_NAMES = ['index.html', 'inbox.js', 'inbox.css', 'icon.svg'] as const;

/** assets/web-inbox/ of the package this module was loaded from (dist/ or src/adapters/). */
export function webAssetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'assets', 'web-inbox');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the web inbox page files (assets/web-inbox/) are missing from the package');
}

export function loadWebAssets(dir: string = webAssetDir()): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of WEB_ASSET_NAMES) out.set(name, readFileSync(join(dir, name)));
  return out;
}

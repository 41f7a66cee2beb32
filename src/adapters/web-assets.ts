/**
 * Adapter: the web inbox's page files (assets/web-inbox/ in the package: plain HTML, CSS and
 * JavaScript, no build step, no external resources). Read once, when `gate inbox --web` starts;
 * nothing on the hot path loads this module.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { packageRoot } from './package-files.js';

export const WEB_ASSET_NAMES = ['index.html', 'inbox.js', 'inbox.css', 'icon.svg'] as const;

export function loadWebAssets(dir: string = join(packageRoot(), 'assets', 'web-inbox')): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of WEB_ASSET_NAMES) {
    try {
      out.set(name, readFileSync(join(dir, name)));
    } catch {
      throw new GateError('CANNOT_EVALUATE', `the web inbox page file ${join(dir, name)} is missing: the agent-gates installation is incomplete.`, {
        fix: 'reinstall it: npm install --save-dev agent-gates',
      });
    }
  }
  return out;
}

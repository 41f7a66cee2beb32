/**
 * Loading `.agents/gates.yaml`. The hot path must not pay for the YAML parser and zod on every
 * commit, so a validated config is cached as JSON under the state dir, keyed by the SHA-256 of
 * the file's bytes and the tool version. A miss (or any cache problem) falls back to the full
 * parse+validate, and an invalid file is never cached: invalid config always fails closed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GateError } from '../errors.js';
import { defaultConfig, type GatesConfig } from '../schema/defaults.js';
import { writeFileAtomic } from './files.js';
import { VERSION } from '../version.js';

export const CONFIG_PATH = '.agents/gates.yaml';

export interface LoadedConfig {
  config: GatesConfig;
  /** 'file' when read from .agents/gates.yaml, 'defaults' when no file exists and init never ran. */
  source: 'file' | 'defaults';
  path: string;
  /** SHA-256 of the file bytes (undefined for defaults). */
  digest?: string;
}

/** Parse and validate config text (loads yaml and zod). */
export async function parseConfigText(text: string, label = CONFIG_PATH): Promise<GatesConfig> {
  const [{ parseYaml }, { validateConfig }] = await Promise.all([import('../schema/yaml.js'), import('../schema/config.js')]);
  const y = parseYaml(text);
  if (!y.ok) {
    throw new GateError('CONFIG_INVALID', `${label} is not valid YAML, so no gate can be evaluated.`, {
      details: y.problems,
      fix: `fix ${label} (see the problems above), then run \`gate doctor\``,
    });
  }
  const r = validateConfig(y.value);
  if (!r.ok) {
    throw new GateError('CONFIG_INVALID', `${label} is invalid, so no gate can be evaluated (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}).`, {
      details: r.problems,
      fix: `fix ${label} (see the problems above), then run \`gate doctor\``,
    });
  }
  return r.config;
}

export async function loadConfig(root: string, stateDir: string, initialised: boolean, opts: { cache?: boolean } = {}): Promise<LoadedConfig> {
  const path = join(root, CONFIG_PATH);
  if (!existsSync(path)) {
    if (initialised) {
      throw new GateError('CONFIG_MISSING', `${CONFIG_PATH} is missing, but \`gate init\` ran in this repository: the gates will not guess.`, {
        fix: 'restore it with `git checkout -- .agents/gates.yaml`, or recreate it with `gate init`',
      });
    }
    return { config: defaultConfig(), source: 'defaults', path };
  }
  const bytes = readFileSync(path);
  const { config, digest } = await parseConfigCached(bytes, stateDir, CONFIG_PATH, opts);
  return { config, source: 'file', path, digest };
}

/**
 * Parse and validate config bytes through the content-addressed cache (the same cache and rules
 * as `loadConfig`: keyed by the SHA-256 of the bytes and the tool version, only valid configs are
 * written, any cache problem falls back to the full parse). Used for the working-tree file and
 * for the config committed at a revision (`configAt`), whose bytes are just as content-addressed.
 * Throws CONFIG_INVALID (with `label`) like `parseConfigText`.
 */
export async function parseConfigCached(bytes: Buffer, stateDir: string, label: string = CONFIG_PATH, opts: { cache?: boolean } = {}): Promise<{ config: GatesConfig; digest: string }> {
  const digest = createHash('sha256').update(bytes).digest('hex');
  const cachePath = join(stateDir, 'cache', `config-${digest.slice(0, 32)}-${VERSION}.json`);
  if (opts.cache !== false && existsSync(cachePath)) {
    try {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as { digest: string; config: GatesConfig };
      if (cached.digest === digest) return { config: cached.config, digest };
    } catch {
      /* fall through to a full parse */
    }
  }
  const config = await parseConfigText(bytes.toString('utf8'), label);
  if (opts.cache !== false) {
    try {
      writeFileAtomic(cachePath, JSON.stringify({ digest, config }));
    } catch {
      /* a cache that cannot be written only costs time */
    }
  }
  return { config, digest };
}

/**
 * Loading `.agents/gates.yaml`. The hot path must not pay for the YAML parser and zod on every
 * commit, so a validated config is cached as JSON under the state dir. The entry holds the exact
 * text it was parsed from and is used only when that text equals the file's bytes; its name (a
 * FNV-1a hash of the bytes, their length and the tool version) only finds it, so no cryptographic
 * hash (and no `node:crypto`) is needed on a commit. A miss (or any cache problem) falls back to the
 * full parse+validate, and an invalid file is never cached: invalid config always fails closed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { profiled } from '../kernel/profile.js';
import { CONFIG_LIMITS, defaultConfig, type GatesConfig } from '../schema/config/defaults.js';
import { writeFileAtomic } from './files.js';
import { VERSION } from '../kernel/version.js';

export const CONFIG_PATH = '.agents/gates.yaml';

export interface LoadedConfig {
  config: GatesConfig;
  /** 'file' when read from .agents/gates.yaml, 'defaults' when no file exists and init never ran. */
  source: 'file' | 'defaults';
  path: string;
}

/** Parse and validate config text (loads yaml and zod). */
export async function parseConfigText(text: string, label = CONFIG_PATH): Promise<GatesConfig> {
  if (text.length > CONFIG_LIMITS.maxBytes) {
    throw new GateError('CONFIG_INVALID', `${label} is ${text.length} characters long, larger than the ${CONFIG_LIMITS.maxBytes} a config may have, so no gate can be evaluated.`, {
      fix: `shorten ${label} (fewer surfaces, broader globs such as "dir/**"), then run \`gate doctor\``,
    });
  }
  const [{ parseYaml }, { validateConfig }] = await Promise.all([import('../schema/yaml.js'), import('../schema/config/schema.js')]);
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
  const { config } = await profiled('config', () => parseConfigCached(bytes, stateDir, CONFIG_PATH, opts));
  return { config, source: 'file', path };
}

/**
 * FNV-1a (32 bits) of at most 512 of the bytes, evenly spread, as 8 hex digits: it only names a
 * cache entry (with the length), it proves nothing; the entry's recorded text must equal the bytes.
 * Two texts with the same name only take turns in one entry.
 */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  const step = Math.max(1, Math.floor(bytes.length / 512));
  for (let i = 0; i < bytes.length; i += step) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Parse and validate config bytes through the cache (the same cache and rules as `loadConfig`:
 * an entry is used only when the text it records equals these bytes exactly, only valid configs
 * are written, any cache problem falls back to the full parse). Used for the working-tree file and
 * for the config committed at a revision (`configAt`).
 * Throws CONFIG_INVALID (with `label`) like `parseConfigText`.
 */
export async function parseConfigCached(bytes: Buffer, stateDir: string, label: string = CONFIG_PATH, opts: { cache?: boolean } = {}): Promise<{ config: GatesConfig }> {
  const text = bytes.toString('utf8');
  // Bytes that are not UTF-8 would not survive the round trip, so they are never cached.
  const cacheable = opts.cache !== false && Buffer.byteLength(text) === bytes.length;
  const cachePath = join(stateDir, 'cache', `config-${fnv1a(bytes)}-${bytes.length}-${VERSION}.json`);
  if (cacheable && existsSync(cachePath)) {
    try {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as { text?: unknown; config: GatesConfig };
      if (cached.text === text) return { config: cached.config };
    } catch {
      /* fall through to a full parse */
    }
  }
  const config = await parseConfigText(text, label);
  if (cacheable) {
    try {
      writeFileAtomic(cachePath, JSON.stringify({ text, config }));
    } catch {
      /* a cache that cannot be written only costs time */
    }
  }
  return { config };
}

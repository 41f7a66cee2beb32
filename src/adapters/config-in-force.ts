/**
 * The config in force (issue 14): the strictest of the config committed at HEAD, the staged one
 * (the active index: GIT_INDEX_FILE is honoured) and the working tree's, so an unstaged or staged
 * edit of `.agents/gates.yaml` can add gates but never lower one before a commit carries it past
 * the gates (ADR 0012's "strictest of" rule, applied to the commit path).
 *
 * - HEAD's and the index's blobs are read with ONE `git cat-file --batch`; each text is parsed
 *   through the content-addressed config cache (config-file.ts), and identical texts only once.
 * - A working-tree file that is invalid fails closed (CONFIG_INVALID), as before; one that is
 *   missing contributes nothing (HEAD's and the index's still hold).
 * - A staged config that is invalid fails closed: it is what the commit would carry.
 * - HEAD's config, when invalid, counts as the built-in defaults (the floor configAt uses).
 * - No config anywhere: CONFIG_MISSING once `gate init` ran, else the defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { defaultConfig, type GatesConfig } from '../schema/config/defaults.js';
import { strictestOf } from '../gates/config-diff.js';
import { CONFIG_PATH, parseConfigCached, type LoadedConfig } from './config-file.js';
import type { Git } from './git.js';

export interface ConfigSources {
  head?: Buffer;
  index?: Buffer;
  work?: Buffer;
}

/** The three texts of `.agents/gates.yaml` (absent ones undefined): one git process for two. */
export function readConfigSources(git: Git, root: string): ConfigSources {
  const specs = [`HEAD:${CONFIG_PATH}`, `:${CONFIG_PATH}`];
  const objects = git.readObjects(specs);
  const blob = (s: string): Buffer | undefined => {
    const o = objects.get(s);
    return o && o.type === 'blob' ? o.body : undefined;
  };
  const path = join(root, CONFIG_PATH);
  let work: Buffer | undefined;
  if (existsSync(path)) work = readFileSync(path);
  const head = blob(specs[0]!);
  const index = blob(specs[1]!);
  return { ...(head ? { head } : {}), ...(index ? { index } : {}), ...(work ? { work } : {}) };
}

export async function configInForce(
  sources: ConfigSources,
  root: string,
  stateDir: string,
  initialised: boolean,
  opts: { cache?: boolean } = {},
): Promise<LoadedConfig> {
  const path = join(root, CONFIG_PATH);
  const parsed: Array<{ bytes: Buffer; config: GatesConfig }> = [];
  const parse = async (bytes: Buffer | undefined, label: string, onInvalid: 'throw' | 'defaults'): Promise<void> => {
    if (!bytes || parsed.some((p) => p.bytes.equals(bytes))) return;
    try {
      parsed.push({ bytes, config: (await parseConfigCached(bytes, stateDir, label, opts)).config });
    } catch (e) {
      if (onInvalid === 'throw' || !(e instanceof GateError)) throw e;
      parsed.push({ bytes, config: defaultConfig() });
    }
  };
  // order matters only for what cannot be merged: HEAD's first, then the index's, then the file's
  await parse(sources.head, `${CONFIG_PATH} at HEAD`, 'defaults');
  await parse(sources.index, `${CONFIG_PATH} (staged)`, 'throw');
  await parse(sources.work, CONFIG_PATH, 'throw');
  if (parsed.length === 0) {
    if (initialised) {
      throw new GateError('CONFIG_MISSING', `${CONFIG_PATH} is missing (at HEAD, in the index and in the working tree), but \`gate init\` ran in this repository: the gates will not guess.`, {
        fix: 'restore it with `git checkout -- .agents/gates.yaml`, or recreate it with `gate init`',
      });
    }
    return { config: defaultConfig(), source: 'defaults', path };
  }
  return { config: strictestOf(parsed.map((p) => p.config)), source: 'file', path };
}

/** readConfigSources + configInForce: what `ctx.config()` returns. */
export async function loadConfigInForce(git: Git, root: string, stateDir: string, initialised: boolean, opts: { cache?: boolean } = {}): Promise<LoadedConfig> {
  return configInForce(readConfigSources(git, root), root, stateDir, initialised, opts);
}

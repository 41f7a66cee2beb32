/**
 * Rendering a sidecar as YAML (loads the yaml library): kept out of schema/sidecar/fast.ts so that
 * reading and checking a sidecar on the commit hot path does not load the YAML serialiser.
 */
import { stringify } from 'yaml';
import type { Sidecar } from './schema.js';

/** Serialise a sidecar as readable YAML with a header comment. */
export function renderSidecar(s: Sidecar): string {
  const header = [
    '# agent-gates explain sidecar: never commit this file (it describes the staged tree it cannot be part of).',
    '# Editing the explanation (tree, tier, files, intent, alternatives, risk) voids every approval below.',
  ].join('\n');
  return `${header}\n${stringify(s, { lineWidth: 0 })}`;
}

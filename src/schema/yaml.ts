import { isPair, isScalar, parseDocument, visit } from 'yaml';

export type YamlResult = { ok: true; value: unknown } | { ok: false; problems: string[] };

/** Larger YAML texts are refused before parsing (a config or a sidecar is a few KB). */
export const YAML_MAX_BYTES = 1 << 20;
/** Aliases resolved at most this many times (an alias bomb expands exponentially). */
export const YAML_MAX_ALIASES = 100;

/**
 * Parse YAML strictly: duplicate keys are errors, merge keys (`<<`) are refused (they let one
 * mapping silently override another: write the keys out), aliases are bounded (a billion-laughs
 * document is refused, not expanded), and the size is bounded before parsing. A UTF-16 file or
 * one with NUL bytes is named as such. Problems carry line:column.
 */
export function parseYaml(text: string, maxBytes: number = YAML_MAX_BYTES): YamlResult {
  if (text.length > maxBytes || Buffer.byteLength(text) > maxBytes) {
    return { ok: false, problems: [`(yaml): the file is larger than ${maxBytes} bytes; a gate file is a few KB`] };
  }
  if (text.startsWith('\uFFFD\uFFFD') || text.startsWith('\uFEFF\u0000') || text.includes('\u0000')) {
    return { ok: false, problems: ['(yaml): the file is UTF-16 (or has NUL bytes); save it as UTF-8'] };
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1); // a UTF-8 byte-order mark is harmless
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, merge: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)';
        if (e.code === 'DUPLICATE_KEY') {
          const key = /^["']?([^:"'\n]{1,80})/.exec(text.slice(e.pos[0]))?.[1]?.trim();
          return `${where}: the key ${key ? `"${key}" ` : ''}appears twice in one mapping (keys must be unique)`;
        }
        return `${where}: ${e.message.split('\n')[0]}`;
      }),
    };
  }
  const problems: string[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === '<<' && (pair.key as { type?: string }).type === 'PLAIN') {
        const pos = pair.key.range ? lineCol(text, pair.key.range[0]) : undefined;
        problems.push(`${pos ?? '(yaml)'}: merge keys (<<) are not allowed; write the keys out`);
      }
    },
  });
  if (problems.length) return { ok: false, problems };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: YAML_MAX_ALIASES }) };
  } catch (e) {
    return { ok: false, problems: [`(yaml): ${(e as Error).message.split('\n')[0]} (aliases are limited to ${YAML_MAX_ALIASES} expansions)`] };
  }
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

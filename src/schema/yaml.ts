import { parseDocument } from 'yaml';

export type YamlResult = { ok: true; value: unknown } | { ok: false; problems: string[] };

/** Parse YAML strictly (duplicate keys are errors); problems carry line:column. */
export function parseYaml(text: string): YamlResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)'}: ${e.message.split('\n')[0]}`;
      }),
    };
  }
  return { ok: true, value: doc.toJS() };
}

/**
 * Minimal, pure reading of ADR front matter for Gate C (range check and review): number, title,
 * status, supersedes. Gate C only needs "was this record accepted?" and the effective status.
 */
export interface AdrHead {
  adr?: number;
  title?: string;
  status?: string;
  supersedes: number[];
}

/** The YAML front matter block of a Markdown file, or undefined when there is none. */
export function frontMatter(text: string): string | undefined {
  const t = text.replace(/^\uFEFF/, '');
  if (!t.startsWith('---\n') && !t.startsWith('---\r\n')) return undefined;
  const end = t.search(/\r?\n---[ \t]*(\r?\n|$)/);
  if (end === -1) return undefined;
  return t.slice(t.indexOf('\n') + 1, end);
}

const unquote = (s: string): string => s.trim().replace(/^(["'])(.*)\1$/, '$2');

export function readAdrHead(text: string): AdrHead {
  const fm = frontMatter(text);
  const head: AdrHead = { supersedes: [] };
  if (fm === undefined) return head;
  const lines = fm.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const [, key, raw] = m as unknown as [string, string, string];
    const val = raw.replace(/\s+#.*$/, '');
    if (key === 'adr' && /^\d+$/.test(unquote(val))) head.adr = Number(unquote(val));
    else if (key === 'title') head.title = unquote(val);
    else if (key === 'status') head.status = unquote(val).toLowerCase();
    else if (key === 'supersedes') {
      const inline = /^\[(.*)\]$/.exec(val.trim());
      if (inline) {
        head.supersedes = inline[1]!.split(',').map((x) => unquote(x)).filter((x) => /^\d+$/.test(x)).map(Number);
      } else if (/^\d+$/.test(unquote(val))) {
        head.supersedes = [Number(unquote(val))];
      } else {
        for (let j = i + 1; j < lines.length; j++) {
          const item = /^\s*-\s*(.+)$/.exec(lines[j]!);
          if (!item) break;
          if (/^\d+$/.test(unquote(item[1]!))) head.supersedes.push(Number(unquote(item[1]!)));
        }
      }
    }
  }
  return head;
}

export function isAcceptedAdr(text: string): boolean {
  return readAdrHead(text).status === 'accepted';
}

export type AdrEffective = 'accepted' | 'superseded' | 'proposed' | 'rejected' | 'invalid';

/** Effective status of each record: accepted records superseded by an accepted record become "superseded". */
export function effectiveStatuses(records: readonly AdrHead[]): AdrEffective[] {
  const supersededBy = new Set<number>();
  for (const r of records) if (r.status === 'accepted') for (const n of r.supersedes) supersededBy.add(n);
  return records.map((r) => {
    if (r.status === 'accepted') return r.adr !== undefined && supersededBy.has(r.adr) ? 'superseded' : 'accepted';
    if (r.status === 'proposed' || r.status === 'rejected') return r.status;
    return 'invalid';
  });
}

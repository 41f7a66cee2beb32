/**
 * The ADR record format: `adr/NNNN-kebab-title.md`, YAML front matter, then the body.
 *
 *   ---
 *   adr: 7
 *   title: "Use a hash-chained ledger"
 *   status: proposed            # proposed | accepted | rejected
 *   date: 2026-11-21
 *   deciders: ["Ada Lovelace"]
 *   supersedes: [3]             # numbers of ACCEPTED records this one replaces
 *   ---
 *
 * "Superseded by" is never stored: it is derived from other records' `supersedes`, so superseding
 * never edits an accepted record. Loads yaml and zod: only import this lazily on the hook path.
 */
import { z } from 'zod';
import { parseYaml } from '../yaml.js';

export const ADR_STATUSES = ['proposed', 'accepted', 'rejected'] as const;

const isoDate = z
  .string({ error: 'a date written YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'a real calendar date (YYYY-MM-DD)');

export const adrFrontMatterSchema = z.strictObject({
  adr: z.number({ error: 'a positive whole number (the record number)' }).int('a whole number').positive('a positive number'),
  title: z.string({ error: 'a non-empty string' }).trim().min(1, 'a non-empty string'),
  status: z.enum(ADR_STATUSES, { error: (iss) => `one of proposed, accepted, rejected (got ${JSON.stringify(iss.input)})` }),
  date: isoDate,
  deciders: z.array(z.string().trim().min(1, 'a non-empty name'), { error: 'a list of names, e.g. ["Ada Lovelace"] (may be [] while proposed)' }),
  supersedes: z.array(z.number().int('a whole number').positive('a positive record number'), {
    error: 'a list of record numbers, e.g. [3] or []',
  }),
});

export type AdrStatus = (typeof ADR_STATUSES)[number];
export type AdrMeta = z.output<typeof adrFrontMatterSchema>;
/** One problem with a record's front matter, naming the field. */
export interface FieldProblem {
  field: string;
  message: string;
}
export type AdrParse = { ok: true; meta: AdrMeta } | { ok: false; problems: FieldProblem[] };

export interface FrontMatterSplit {
  /** The YAML between the opening and closing `---` lines. */
  yaml: string;
  /** Character offset where the YAML starts and where it ends (the closing fence's line start). */
  start: number;
  end: number;
}

/** Locate the front matter: the file starts with a `---` line and a later `---` line closes it. */
export function splitFrontMatter(text: string): FrontMatterSplit | undefined {
  const open = /^\uFEFF?---[ \t]*\r?\n/.exec(text);
  if (!open) return undefined;
  const start = open[0].length;
  const close = /^---[ \t]*(?:\r?\n|$)/m;
  const rest = text.slice(start);
  const m = close.exec(rest);
  if (!m) return undefined;
  return { yaml: rest.slice(0, m.index), start, end: start + m.index };
}

function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(front matter)';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Parse an ADR's text into its front matter, or the problems, each naming its field. */
export function parseAdr(text: string): AdrParse {
  const split = splitFrontMatter(text);
  if (!split) {
    return {
      ok: false,
      problems: [{ field: '(front matter)', message: 'missing: the file must start with a "---" line, the YAML fields, and a closing "---" line' }],
    };
  }
  const y = parseYaml(split.yaml);
  if (!y.ok) return { ok: false, problems: y.problems.map((p) => ({ field: '(front matter)', message: `not valid YAML: ${p}` })) };
  if (typeof y.value !== 'object' || y.value === null || Array.isArray(y.value)) {
    return { ok: false, problems: [{ field: '(front matter)', message: 'expected YAML fields (adr, title, status, date, deciders, supersedes)' }] };
  }
  const r = adrFrontMatterSchema.safeParse(y.value);
  if (!r.success) {
    const problems: FieldProblem[] = r.error.issues.map((iss) => {
      if (iss.code === 'unrecognized_keys') {
        return { field: iss.keys.join(', '), message: `unknown field${iss.keys.length > 1 ? 's' : ''} (allowed: adr, title, status, date, deciders, supersedes)` };
      }
      const top = iss.path[0];
      const missing = iss.path.length === 1 && typeof top === 'string' && !Object.prototype.hasOwnProperty.call(y.value, top);
      // zod's own wording ("Invalid input: expected number, received string") already says "expected"
      const what = iss.message.replace(/^Invalid input: expected /, '');
      return { field: fieldOf(iss.path), message: missing ? `missing: expected ${what}` : `expected ${what}` };
    });
    return { ok: false, problems };
  }
  const meta: AdrMeta = { ...r.data, deciders: [...r.data.deciders], supersedes: [...r.data.supersedes] };
  return { ok: true, meta };
}

/** The `status:` value written in a record, by text, for a version whose YAML does not parse. */
export function statusByText(text: string): string | undefined {
  const split = splitFrontMatter(text);
  if (!split) return undefined;
  const m = /^status:[ \t]*["']?([A-Za-z]+)["']?[ \t]*(?:#.*)?$/m.exec(split.yaml);
  return m ? m[1]!.toLowerCase() : undefined;
}

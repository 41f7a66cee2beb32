/**
 * The doc-only carve-out's judgement of one Markdown edit (issue 14), pure. Shared by the
 * pre-commit (classify.ts, against the last approved version of the file) and the range check
 * (range.ts, against the base's or an approved version), so both say the same.
 *
 * - Agent-instruction files (AGENTS.md, CLAUDE.md, rules, prompts, skills, personas, agent
 *   settings) are what an agent obeys: they get no carve-out unless `doc_only.agent_instructions`
 *   is true in the config.
 * - Where the carve-out applies it covers typo-class edits only: no line added or removed, no word
 *   added or removed, each changed word within a small edit distance of the old one, no negation
 *   or obligation word changed (not, never, no, optional, must, should, …), no number, link, path
 *   or inline code changed, no command-line flag (`--no-verify`) added, no sentence punctuation
 *   added or removed.
 */
import { compileGlobs } from '../kernel/glob.js';

/** Files agents read as instructions, whatever surface governs them. */
export const AGENT_INSTRUCTION_GLOBS: readonly string[] = [
  'AGENTS.md', '**/AGENTS.md', 'AGENT.md', '**/AGENT.md', 'CLAUDE.md', '**/CLAUDE.md', 'CLAUDE.local.md', '**/CLAUDE.local.md',
  'GEMINI.md', '**/GEMINI.md', '.github/copilot-instructions.md', '.github/instructions/**', '.github/prompts/**',
  'rules/**', 'prompts/**', 'skills/**', '.agents/**', '.claude/**', '.cursor/**', '.cursorrules', '.windsurfrules',
  '.clinerules', '.clinerules/**',
];

let instructionMatcher: ((path: string) => boolean) | undefined;
export function isAgentInstruction(path: string): boolean {
  instructionMatcher ??= compileGlobs(AGENT_INSTRUCTION_GLOBS);
  return instructionMatcher(path);
}

/** Words whose change flips or loosens what a sentence asks (compared lower-case, punctuation stripped). */
export const MEANING_WORDS: ReadonlySet<string> = new Set([
  'not', 'no', 'never', 'none', 'nor', 'neither', 'nothing', 'nobody', 'without', 'except', 'unless',
  "don't", 'dont', "doesn't", 'doesnt', "didn't", "isn't", "aren't", "won't", "can't", 'cannot', "shouldn't", "mustn't", "needn't",
  'must', 'should', 'shall', 'may', 'might', 'can', 'could', 'will', 'would', 'need', 'needs', 'required', 'require', 'requires',
  'optional', 'optionally', 'always', 'only', 'skip', 'skipped', 'ignore', 'ignored', 'allow', 'allowed', 'forbid', 'forbidden',
  'disable', 'disabled', 'enable', 'enabled', 'avoid', 'prefer', 'mandatory', 'recommended', 'all', 'any', 'every',
]);

export interface TypoJudgement {
  ok: boolean;
  /** Each reason the edit is more than a typo fix, in plain words (empty when ok). */
  reasons: string[];
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r|\u2028|\u2029|\u0085/);
}

/** Damerau-Levenshtein (optimal string alignment) distance, stopping early above `cap`. */
export function editDistance(a: string, b: string, cap = 8): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const A = [...a];
  const B = [...b];
  let prev2: number[] = [];
  let prev = Array.from({ length: B.length + 1 }, (_, j) => j);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= B.length; j++) {
      const cost = A[i - 1] === B[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && A[i - 1] === B[j - 2] && A[i - 2] === B[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[B.length]!;
}

const bare = (w: string): string => w.toLowerCase().replace(/[’‘]/g, "'").replace(/^[^\p{L}\p{N}'-]+|[^\p{L}\p{N}']+$/gu, '');
const FLAG = /(?:^|[\s`'"(=[])(--?[A-Za-z][\w-]*)/g;
const SENTENCE = /[.!?;:]/g;

function flags(text: string): Set<string> {
  return new Set([...text.matchAll(FLAG)].map((m) => m[1]!));
}

/** Words of a line, each with whether it lies in (or touches) inline code. */
function words(line: string): Array<{ w: string; code: boolean }> {
  const out: Array<{ w: string; code: boolean }> = [];
  let inCode = false;
  for (const w of line.match(/\S+/g) ?? []) {
    const ticks = (w.match(/`/g) ?? []).length;
    out.push({ w, code: inCode || ticks > 0 });
    if (ticks % 2 === 1) inCode = !inCode;
  }
  return out;
}

/** Is `after` a typo-class edit of `before`? (judged line by line, word by word) */
export function judgeTypoEdit(before: string, after: string, opts: { maxChangedWords?: number } = {}): TypoJudgement {
  const reasons: string[] = [];
  if (before === after) return { ok: true, reasons };
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.length !== b.length) {
    reasons.push(`${Math.abs(a.length - b.length)} line${Math.abs(a.length - b.length) === 1 ? '' : 's'} ${a.length < b.length ? 'added' : 'removed'}`);
    return { ok: false, reasons };
  }
  const newFlags = [...flags(after)].filter((f) => !flags(before).has(f));
  if (newFlags.length) reasons.push(`command-line flag${newFlags.length === 1 ? '' : 's'} added: ${newFlags.join(', ')}`);
  let changedWords = 0;
  const maxWords = opts.maxChangedWords ?? 10;
  for (let i = 0; i < a.length && reasons.length < 5; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const n = i + 1;
    if ((x.match(SENTENCE) ?? []).length !== (y.match(SENTENCE) ?? []).length) reasons.push(`line ${n}: sentence punctuation added or removed`);
    const wx = words(x);
    const wy = words(y);
    if (wx.length !== wy.length) {
      reasons.push(`line ${n}: ${Math.abs(wx.length - wy.length)} word${Math.abs(wx.length - wy.length) === 1 ? '' : 's'} ${wx.length < wy.length ? 'added' : 'removed'}`);
      continue;
    }
    for (let k = 0; k < wx.length; k++) {
      const p = wx[k]!;
      const q = wy[k]!;
      if (p.w === q.w) continue;
      changedWords++;
      const bp = bare(p.w);
      const bq = bare(q.w);
      const what = `line ${n}: "${p.w}" → "${q.w}"`;
      if (bp === bq) continue; // case or surrounding punctuation only
      if (MEANING_WORDS.has(bp) || MEANING_WORDS.has(bq) || /n't$/.test(bp) !== /n't$/.test(bq)) reasons.push(`${what} changes a negation or obligation word`);
      else if (p.code || q.code) reasons.push(`${what} changes inline code`);
      else if (/\d/.test(p.w + q.w)) reasons.push(`${what} changes a number`);
      else if (/[/\\@]|:\/\//.test(p.w + q.w)) reasons.push(`${what} changes a link or path`);
      else {
        const d = editDistance(bp, bq, 3);
        const longest = Math.max([...bp].length, [...bq].length);
        if (d > 2 || d > Math.ceil(longest / 2)) reasons.push(`${what} is not a typo fix (edit distance ${d > 3 ? '>3' : d})`);
      }
    }
  }
  if (changedWords > maxWords) reasons.push(`${changedWords} words changed, more than the ${maxWords} a typo fix may change`);
  return { ok: reasons.length === 0, reasons };
}

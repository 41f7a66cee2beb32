/**
 * A small POSIX-shell (bash) tokenizer for the shell-command guard: turns a command line into the
 * simple commands it would run, with quotes removed, redirections split off, and the commands
 * inside `$( )`, backticks, `<( )`/`>( )` and `( )` subshells listed too (they run as well).
 *
 * Why our own and not an npm parser: `shell-quote` flattens `$( )` into plain words and expands
 * (or drops) `$VAR`, so `echo $(git commit -n)` would look harmless, and it knows no here-docs;
 * `bash-parser` handles more syntax but has been unmaintained since 2017 and pulls in a dozen
 * dependencies. What the guard needs is narrow: words, operators, redirections, substitutions,
 * here-docs skipped. Anything it cannot read (an unclosed quote) is reported as `error`, and the
 * guard then blocks (fail closed).
 *
 * Pure: no fs, no env.
 */

export interface Word {
  /** The word after quote removal; expansions are kept as written (`$HOME`, `$(…)`). */
  text: string;
  /** Contains an expansion whose value is only known when the shell runs it. */
  dynamic: boolean;
}

export interface Redirect {
  /** `>`, `>>`, `>|`, `&>`, `&>>`, `<>`, `<`, `<<<`, `>&`, `<&` … */
  op: string;
  target: Word;
}

export interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}

export interface ParsedCommandLine {
  commands: SimpleCommand[];
  /** Set when the text is not a complete command line (unclosed quote or substitution). */
  error?: string;
}

type Token = { t: 'word'; w: Word } | { t: 'op'; op: string } | { t: 'redir'; op: string };

const MAX_DEPTH = 16;

class Lexer {
  i = 0;
  tokens: Token[] = [];
  nested: SimpleCommand[] = [];
  private heredocs: Array<{ delim: string; strip: boolean }> = [];
  private expectHeredocDelim: { strip: boolean } | undefined;

  constructor(
    private readonly s: string,
    private readonly depth: number,
  ) {}

  fail(msg: string): never {
    throw new SyntaxError(msg);
  }

  /** The delimiter of a here-doc whose `<<` ends just before `j`, and where its word ends. */
  private heredocDelim(j: number): { delim: string; strip: boolean; end: number } | undefined {
    const s = this.s;
    const strip = s[j] === '-';
    if (strip) j++;
    while (s[j] === ' ' || s[j] === '\t') j++;
    let delim = '';
    while (j < s.length && !/[\s;&|<>()]/.test(s[j]!)) {
      const c = s[j]!;
      if (c === "'" || c === '"') {
        const k = s.indexOf(c, j + 1);
        if (k < 0) return undefined;
        delim += s.slice(j + 1, k);
        j = k + 1;
      } else if (c === '\\') {
        delim += s[j + 1] ?? '';
        j += 2;
      } else {
        delim += c;
        j++;
      }
    }
    return delim ? { delim, strip, end: j } : undefined;
  }

  /** Skip here-doc bodies starting at `i` (just past a newline); returns the index after them. */
  private skipBodies(i: number, docs: Array<{ delim: string; strip: boolean }>): number {
    const s = this.s;
    for (const d of docs) {
      for (;;) {
        if (i >= s.length) return s.length;
        let end = s.indexOf('\n', i);
        if (end < 0) end = s.length;
        const line = s.slice(i, end);
        i = Math.min(end + 1, s.length);
        if ((d.strip ? line.replace(/^\t+/, '') : line) === d.delim) break;
      }
    }
    return i;
  }

  /** The index of the `)` closing a `$(` / `(` opened just before `from`, respecting quotes and here-docs. */
  private matchParen(from: number): number {
    const s = this.s;
    let depth = 1;
    let i = from;
    let docs: Array<{ delim: string; strip: boolean }> = [];
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\n' && docs.length) {
        i = this.skipBodies(i + 1, docs);
        docs = [];
        continue;
      }
      if (c === '<' && s[i + 1] === '<' && s[i + 2] !== '<') {
        const h = this.heredocDelim(i + 2);
        if (h) {
          docs.push({ delim: h.delim, strip: h.strip });
          i = h.end;
          continue;
        }
      }
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === "'") {
        const j = s.indexOf("'", i + 1);
        if (j < 0) this.fail('unclosed single quote');
        i = j + 1;
        continue;
      }
      if (c === '"') {
        i = this.skipDouble(i + 1);
        continue;
      }
      if (c === '`') {
        i = this.matchBacktick(i + 1) + 1;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return i;
      i++;
    }
    return this.fail('unclosed $( or (');
  }

  private skipDouble(from: number): number {
    const s = this.s;
    let i = from;
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\\') i += 2;
      else if (c === '"') return i + 1;
      else if (c === '$' && s[i + 1] === '(') i = this.matchParen(i + 2) + 1;
      else if (c === '`') i = this.matchBacktick(i + 1) + 1;
      else i++;
    }
    return this.fail('unclosed double quote');
  }

  private matchBacktick(from: number): number {
    const s = this.s;
    let i = from;
    while (i < s.length) {
      if (s[i] === '\\') i += 2;
      else if (s[i] === '`') return i;
      else i++;
    }
    return this.fail('unclosed backtick');
  }

  private sub(text: string): void {
    if (this.depth >= MAX_DEPTH) this.fail('command substitutions nested too deeply');
    const inner = parseAt(text, this.depth + 1);
    if (inner.error) this.fail(inner.error);
    this.nested.push(...inner.commands);
  }

  /** `$…` at this.i (this.s[this.i] === '$'): appends the raw expansion text, returns true if dynamic. */
  private dollar(out: { text: string }): boolean {
    const s = this.s;
    const n = s[this.i + 1];
    if (n === '(') {
      if (s[this.i + 2] === '(') {
        const end = this.matchParen(this.i + 2); // $(( … )) arithmetic
        out.text += s.slice(this.i, end + 2);
        this.i = end + 2;
        return true;
      }
      const end = this.matchParen(this.i + 2);
      this.sub(s.slice(this.i + 2, end));
      out.text += s.slice(this.i, end + 1);
      this.i = end + 1;
      return true;
    }
    if (n === '{') {
      const end = s.indexOf('}', this.i + 2);
      if (end < 0) this.fail('unclosed ${');
      out.text += s.slice(this.i, end + 1);
      this.i = end + 1;
      return true;
    }
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(s.slice(this.i));
    if (m) {
      out.text += m[0];
      this.i += m[0].length;
      return true;
    }
    out.text += '$';
    this.i++;
    return false;
  }

  private ansiC(): string {
    // $'…' (this.i at the opening quote)
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    while (i < s.length && s[i] !== "'") {
      if (s[i] === '\\' && i + 1 < s.length) {
        const c = s[i + 1]!;
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v' };
        if (c in simple) {
          out += simple[c];
          i += 2;
        } else if (c === 'x') {
          const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 2));
          out += m ? String.fromCharCode(parseInt(m[0], 16)) : 'x';
          i += 2 + (m ? m[0].length : 0);
        } else if (/[0-7]/.test(c)) {
          const m = /^[0-7]{1,3}/.exec(s.slice(i + 1))!;
          out += String.fromCharCode(parseInt(m[0], 8));
          i += 1 + m[0].length;
        } else {
          out += `\\${c}`;
          i += 2;
        }
      } else out += s[i++];
    }
    if (i >= s.length) this.fail('unclosed $\'');
    this.i = i + 1;
    return out;
  }

  private readHeredocBodies(): void {
    // this.i is just past a newline: skip each pending here-doc body up to its delimiter line
    const s = this.s;
    for (const h of this.heredocs) {
      for (;;) {
        if (this.i >= s.length) return; // unterminated here-doc: bash warns and runs it anyway
        let end = s.indexOf('\n', this.i);
        if (end < 0) end = s.length;
        let line = s.slice(this.i, end);
        this.i = Math.min(end + 1, s.length);
        if (h.strip) line = line.replace(/^\t+/, '');
        if (line === h.delim) break;
      }
    }
    this.heredocs = [];
  }

  run(): void {
    const s = this.s;
    let word: { text: string } | undefined;
    let dynamic = false;
    let quoted = false;
    const end = () => {
      if (word !== undefined) {
        const w: Word = { text: word.text, dynamic };
        if (this.expectHeredocDelim) {
          this.heredocs.push({ delim: w.text, strip: this.expectHeredocDelim.strip });
          this.expectHeredocDelim = undefined;
        }
        this.tokens.push({ t: 'word', w });
      }
      word = undefined;
      dynamic = false;
      quoted = false;
    };
    const cur = () => (word ??= { text: '' });
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t') {
        end();
        this.i++;
        continue;
      }
      if (c === '\n') {
        end();
        this.tokens.push({ t: 'op', op: ';' });
        this.i++;
        if (this.heredocs.length) this.readHeredocBodies();
        continue;
      }
      if (c === '#' && word === undefined) {
        const nl = s.indexOf('\n', this.i);
        this.i = nl < 0 ? s.length : nl;
        continue;
      }
      if (c === '\\') {
        if (s[this.i + 1] === '\n') {
          this.i += 2;
          continue;
        }
        cur().text += s[this.i + 1] ?? '';
        quoted = true;
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const j = s.indexOf("'", this.i + 1);
        if (j < 0) this.fail('unclosed single quote');
        cur().text += s.slice(this.i + 1, j);
        quoted = true;
        this.i = j + 1;
        continue;
      }
      if (c === '$' && s[this.i + 1] === "'") {
        this.i++;
        cur().text += this.ansiC();
        quoted = true;
        continue;
      }
      if (c === '"') {
        const w = cur();
        quoted = true;
        this.i++;
        for (;;) {
          if (this.i >= s.length) this.fail('unclosed double quote');
          const d = s[this.i]!;
          if (d === '"') {
            this.i++;
            break;
          }
          if (d === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) {
            if (s[this.i + 1] !== '\n') w.text += s[this.i + 1];
            this.i += 2;
          } else if (d === '$') {
            if (this.dollar(w)) dynamic = true;
          } else if (d === '`') {
            const j = this.matchBacktick(this.i + 1);
            this.sub(s.slice(this.i + 1, j).replace(/\\([`\\$])/g, '$1'));
            w.text += s.slice(this.i, j + 1);
            dynamic = true;
            this.i = j + 1;
          } else {
            w.text += d;
            this.i++;
          }
        }
        continue;
      }
      if (c === '$') {
        if (this.dollar(cur())) dynamic = true;
        continue;
      }
      if (c === '`') {
        const j = this.matchBacktick(this.i + 1);
        this.sub(s.slice(this.i + 1, j).replace(/\\([`\\$])/g, '$1'));
        cur().text += s.slice(this.i, j + 1);
        dynamic = true;
        this.i = j + 1;
        continue;
      }
      // process substitution <( … ) / >( … )
      if ((c === '<' || c === '>') && s[this.i + 1] === '(') {
        const j = this.matchParen(this.i + 2);
        this.sub(s.slice(this.i + 2, j));
        cur().text += s.slice(this.i, j + 1);
        dynamic = true;
        this.i = j + 1;
        continue;
      }
      // redirections, with an optional file-descriptor number written just before them
      const red = /^(?:&>>|&>|>>|>\||>&|<<<|<<-|<<|<>|<&|>|<)/.exec(s.slice(this.i));
      if (red) {
        if (word !== undefined && !quoted && !dynamic && /^\d+$/.test(word.text)) word = undefined; // "2>"
        else end();
        this.tokens.push({ t: 'redir', op: red[0] });
        this.i += red[0].length;
        if (red[0] === '<<' || red[0] === '<<-') this.expectHeredocDelim = { strip: red[0] === '<<-' };
        continue;
      }
      const op = /^(?:&&|\|\||;;&|;;|;&|\|&|[|&;()])/.exec(s.slice(this.i));
      if (op) {
        end();
        this.tokens.push({ t: 'op', op: op[0] });
        this.i += op[0].length;
        continue;
      }
      cur().text += c;
      this.i++;
    }
    end();
  }
}

function parseAt(text: string, depth: number): ParsedCommandLine {
  const lx = new Lexer(text, depth);
  try {
    lx.run();
  } catch (e) {
    if (e instanceof SyntaxError) return { commands: [], error: e.message };
    throw e;
  }
  const commands: SimpleCommand[] = [];
  let cur: SimpleCommand = { words: [], redirects: [] };
  const flush = () => {
    if (cur.words.length || cur.redirects.length) commands.push(cur);
    cur = { words: [], redirects: [] };
  };
  const toks = lx.tokens;
  for (let k = 0; k < toks.length; k++) {
    const tk = toks[k]!;
    if (tk.t === 'op') flush();
    else if (tk.t === 'redir') {
      const next = toks[k + 1];
      if (next?.t === 'word') {
        cur.redirects.push({ op: tk.op, target: next.w });
        k++;
      } else return { commands: [], error: `redirection ${tk.op} without a target` };
    } else cur.words.push(tk.w);
  }
  flush();
  return { commands: [...commands, ...lx.nested] };
}

/** Every simple command `text` would run (including those in substitutions and subshells). */
export function parseCommandLine(text: string): ParsedCommandLine {
  return parseAt(text, 0);
}

/**
 * The CLI's output contract, without commander: a command returns a Result; `finish` prints it
 * (text or --json) and sets the exit code. Only the CLI layer sets exit codes. Kept free of
 * commander so the hook fast path in main.ts can print through it (io.ts re-exports all of it).
 */
import { writeOut } from './stdout.js';
import { ExitCode, GateError, isGateError } from '../../kernel/errors.js';
import type { Finding } from '../../kernel/findings.js';
import { styleErr, styleOut } from './style.js';
import { internalError } from './messages.js';
import { classifyFsError } from '../../adapters/fs-errors.js';

export interface Result {
  code: number;
  /** The --json payload; `ok` is added from the exit code. */
  json: Record<string, unknown>;
  /** Human text for stdout. */
  text?: string | string[];
  /** Human text for stderr (denials, warnings). */
  errText?: string | string[];
}

export interface GlobalOpts {
  json?: boolean;
}

function lines(t: string | string[] | undefined): string {
  if (t === undefined) return '';
  const s = Array.isArray(t) ? t.join('\n') : t;
  return s.length && !s.endsWith('\n') ? `${s}\n` : s;
}

export function finish(r: Result, opts: GlobalOpts): void {
  if (opts.json) {
    writeOut(`${JSON.stringify({ ok: r.code === 0, exitCode: r.code, ...r.json }, null, 2)}\n`);
  } else {
    const out = lines(r.text);
    if (out) writeOut(out);
    const err = lines(r.errText);
    if (err) process.stderr.write(err);
  }
  process.exitCode = r.code;
}

export function failure(e: unknown, json: boolean): void {
  e = classifyFsError(e);
  if (isGateError(e)) {
    if (json) {
      writeOut(
        `${JSON.stringify({ ok: false, exitCode: e.exitCode, error: { code: e.code, message: e.message, details: e.details, fix: e.fix, ...(e.data ? { data: e.data } : {}) } }, null, 2)}\n`,
      );
    } else {
      const s = styleErr();
      const label = e.exitCode === ExitCode.USAGE ? 'usage error' : e.exitCode === ExitCode.DENIED ? 'denied' : 'cannot evaluate';
      const out = [`${s.red(`gate: ${label}:`)} ${e.message}`];
      for (const d of e.details) out.push(`  - ${d}`);
      if (e.fix) out.push(`${s.bold('fix:')} ${e.fix}`);
      process.stderr.write(`${out.join('\n')}\n`);
    }
    process.exitCode = e.exitCode;
    return;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(internalError(err.message, err.stack ?? ''));
  process.exitCode = ExitCode.INTERNAL;
}

/** Render findings for a person: what, why, the command that fixes it. */
export function renderFindings(findings: readonly Finding[], toErr = true): string[] {
  const s = toErr ? styleErr() : styleOut();
  const out: string[] = [];
  for (const f of findings) {
    const tag = f.severity === 'block' ? s.red('✖ blocked') : f.severity === 'warn' ? s.yellow('! warning') : s.cyan('i note');
    out.push(`${tag} [${f.code}]${f.path ? ` ${f.path}` : ''}`);
    out.push(`    ${f.message}`);
    if (f.fix) out.push(`    ${s.bold('fix:')} ${f.fix}`);
  }
  return out;
}

export function usage(message: string, fix?: string): GateError {
  return new GateError('USAGE', message, fix ? { fix } : {});
}

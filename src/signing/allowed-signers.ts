/**
 * git/OpenSSH `allowed_signers` (ssh-keygen(1), ALLOWED SIGNERS), parsed and matched purely.
 *
 *   principals [options] keytype base64-key [comment]
 *
 * principals: comma-separated patterns (`*`, `?`, `!negation`), optionally double-quoted.
 * options: comma-separated; `namespaces="a,b"`, `valid-after="YYYYMMDD[HHMM[SS]][Z]"`,
 * `valid-before=...`, `cert-authority`. Times are read as UTC whether or not they carry `Z`
 * (OpenSSH reads a time without `Z` in local time; a verifier in CI has no meaningful local
 * time, so write the `Z`).
 *
 * Fail closed: a line that cannot be parsed makes the whole file unusable (`ok: false`),
 * as it would for ssh-keygen -Y verify. A `cert-authority` line or a key type we cannot verify
 * is kept out of the trusted set with a warning (it can never grant anything).
 */
import { parsePublicKeyBlob, strictBase64, SigningError, type SshPublicKey } from './sshsig.js';

export interface AllowedSigner {
  line: number;
  /** The principals field as written (a pattern list). */
  principals: string;
  namespaces?: string;
  /** Epoch milliseconds. */
  validAfter?: number;
  validBefore?: number;
  key: SshPublicKey;
}

export type AllowedSignersParse =
  | { ok: true; signers: AllowedSigner[]; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

const MAX_FILE = 1024 * 1024;

/** OpenSSH match_pattern: `*` any run, `?` any one character, case-sensitive. */
export function matchPattern(s: string, pattern: string): boolean {
  // iterative glob with backtracking on the last '*'
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < pattern.length && (pattern[pi] === '?' || pattern[pi] === s[si])) {
      si++;
      pi++;
    } else if (pi < pattern.length && pattern[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < pattern.length && pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * OpenSSH match_pattern_list: true when some positive pattern matches and no negated
 * (`!pattern`) one does.
 */
export function matchPatternList(s: string, list: string): boolean {
  let positive = false;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const p = neg ? raw.slice(1) : raw;
    if (p === '') continue;
    if (matchPattern(s, p)) {
      if (neg) return false;
      positive = true;
    }
  }
  return positive;
}

/** "YYYYMMDD", "YYYYMMDDHHMM" or "YYYYMMDDHHMMSS", optional "Z" → epoch ms (UTC). */
export function parseSignerTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z?$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const dt = new Date(t);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo! - 1 || dt.getUTCDate() !== d || h! > 23 || mi! > 59 || s! > 59) return undefined;
  return t;
}

/** Next whitespace-delimited token, honouring double quotes; returns [token, rest]. */
function nextToken(s: string): [string, string] | undefined {
  const t = s.replace(/^[ \t]+/, '');
  if (t === '') return undefined;
  if (t[0] === '"') {
    const end = t.indexOf('"', 1);
    if (end === -1) return undefined;
    return [t.slice(1, end), t.slice(end + 1)];
  }
  // an options token may contain quoted values with spaces: scan to unquoted whitespace
  let i = 0;
  let q = false;
  for (; i < t.length; i++) {
    const c = t[i]!;
    if (c === '"') q = !q;
    else if (!q && (c === ' ' || c === '\t')) break;
  }
  if (q) return undefined;
  return [t.slice(0, i), t.slice(i)];
}

function looksLikeKeyType(tok: string): boolean {
  return /^(ssh-|ecdsa-|sk-|rsa-|webauthn-)/.test(tok);
}

interface Options {
  certAuthority: boolean;
  namespaces?: string;
  validAfter?: number;
  validBefore?: number;
}

function parseOptions(text: string): Options | string {
  const out: Options = { certAuthority: false };
  // split on commas outside quotes
  const parts: string[] = [];
  let cur = '';
  let q = false;
  for (const c of text) {
    if (c === '"') q = !q;
    if (c === ',' && !q) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (q) return 'unterminated quote in options';
  parts.push(cur);
  for (const p of parts) {
    const eq = p.indexOf('=');
    const name = (eq === -1 ? p : p.slice(0, eq)).toLowerCase();
    let value: string | undefined;
    if (eq !== -1) {
      const v = p.slice(eq + 1);
      if (!/^"[^"]*"$/.test(v)) return `option ${name}: value must be double-quoted`;
      value = v.slice(1, -1);
    }
    switch (name) {
      case 'cert-authority':
        if (value !== undefined) return 'option cert-authority takes no value';
        out.certAuthority = true;
        break;
      case 'namespaces':
        if (value === undefined || value === '') return 'option namespaces needs a value';
        if (out.namespaces !== undefined) return 'option namespaces given twice';
        out.namespaces = value;
        break;
      case 'valid-after':
      case 'valid-before': {
        if (value === undefined) return `option ${name} needs a value`;
        const t = parseSignerTime(value);
        if (t === undefined) return `option ${name}: "${value}" is not YYYYMMDD[HHMM[SS]][Z]`;
        if (name === 'valid-after') out.validAfter = t;
        else out.validBefore = t;
        break;
      }
      default:
        return `unsupported option "${name}"`;
    }
  }
  return out;
}

/** Parse an allowed_signers file's text. Pure. */
export function parseAllowedSigners(text: string): AllowedSignersParse {
  const warnings: string[] = [];
  const problems: string[] = [];
  const signers: AllowedSigner[] = [];
  if (text.length > MAX_FILE) return { ok: false, problems: [`the file is ${text.length} bytes, more than ${MAX_FILE}`], warnings };
  const lines = text.split('\n');
  lines.forEach((rawLine, idx) => {
    const no = idx + 1;
    const line = rawLine.replace(/\r$/, '');
    if (/[\0\r]/.test(line)) {
      problems.push(`line ${no}: contains a control character`);
      return;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const t1 = nextToken(trimmed);
    if (!t1) {
      problems.push(`line ${no}: cannot read the principals field`);
      return;
    }
    const [principals, afterPrincipals] = t1;
    if (principals === '') {
      problems.push(`line ${no}: empty principals`);
      return;
    }
    let t2 = nextToken(afterPrincipals);
    if (!t2) {
      problems.push(`line ${no}: no key after the principals`);
      return;
    }
    let opts: Options = { certAuthority: false };
    if (!looksLikeKeyType(t2[0])) {
      const parsed = parseOptions(t2[0]);
      if (typeof parsed === 'string') {
        problems.push(`line ${no}: ${parsed}`);
        return;
      }
      opts = parsed;
      t2 = nextToken(t2[1]);
      if (!t2) {
        problems.push(`line ${no}: no key after the options`);
        return;
      }
    }
    const keyType = t2[0];
    const t3 = nextToken(t2[1]);
    if (!t3) {
      problems.push(`line ${no}: key type "${keyType}" without key data`);
      return;
    }
    if (opts.certAuthority) {
      warnings.push(`line ${no}: cert-authority entries are not supported and are ignored (list each signer's own key)`);
      return;
    }
    let key: SshPublicKey;
    try {
      const blob = strictBase64(t3[0], `line ${no}: key`);
      key = parsePublicKeyBlob(blob);
    } catch (e) {
      if (e instanceof SigningError && e.code === 'unsupported_key') {
        warnings.push(`line ${no}: ${e.message}; ignored`);
        return;
      }
      problems.push(`line ${no}: ${(e as Error).message}`);
      return;
    }
    if (key.type !== keyType) {
      problems.push(`line ${no}: says "${keyType}" but the key is ${key.type}`);
      return;
    }
    signers.push({
      line: no,
      principals,
      ...(opts.namespaces !== undefined ? { namespaces: opts.namespaces } : {}),
      ...(opts.validAfter !== undefined ? { validAfter: opts.validAfter } : {}),
      ...(opts.validBefore !== undefined ? { validBefore: opts.validBefore } : {}),
      key,
    });
  });
  if (problems.length) return { ok: false, problems, warnings };
  return { ok: true, signers, warnings };
}

export type SignerMatch = { ok: true; signer: AllowedSigner } | { ok: false; reason: string };

/**
 * Is `key` allowed to sign as `principal` in `namespace` at time `at`? Pure. The reason on a
 * refusal says which condition failed for the closest entry.
 */
export function matchSigner(
  signers: readonly AllowedSigner[],
  q: { principal: string; key: SshPublicKey | Buffer; namespace: string; at: Date },
): SignerMatch {
  const blob = Buffer.isBuffer(q.key) ? q.key : q.key.blob;
  const t = q.at.getTime();
  const sameKey = signers.filter((s) => s.key.blob.equals(blob));
  if (sameKey.length === 0) return { ok: false, reason: 'the signing key is not listed in the committed allowed_signers' };
  const forPrincipal = sameKey.filter((s) => matchPatternList(q.principal, s.principals));
  if (forPrincipal.length === 0) {
    return { ok: false, reason: `the signing key is listed for ${sameKey.map((s) => `"${s.principals}" (line ${s.line})`).join(', ')}, not for principal "${q.principal}"` };
  }
  let reason = '';
  for (const s of forPrincipal) {
    if (s.namespaces !== undefined && !matchPatternList(q.namespace, s.namespaces)) {
      reason = `line ${s.line} does not permit namespace "${q.namespace}" (namespaces="${s.namespaces}")`;
      continue;
    }
    if (s.validAfter !== undefined && t < s.validAfter) {
      reason = `line ${s.line}: the key is not valid before ${new Date(s.validAfter).toISOString()}`;
      continue;
    }
    if (s.validBefore !== undefined && t > s.validBefore) {
      reason = `line ${s.line}: the key expired at ${new Date(s.validBefore).toISOString()}`;
      continue;
    }
    return { ok: true, signer: s };
  }
  return { ok: false, reason };
}

/** Every principal pattern a key is listed under (for messages and doctor). */
export function principalsForKey(signers: readonly AllowedSigner[], key: SshPublicKey | Buffer): string[] {
  const blob = Buffer.isBuffer(key) ? key : key.blob;
  return signers.filter((s) => s.key.blob.equals(blob)).map((s) => s.principals);
}

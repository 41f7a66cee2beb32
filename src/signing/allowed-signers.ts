/**
 * git/OpenSSH `allowed_signers` (ssh-keygen(1), ALLOWED SIGNERS), parsed and matched purely, with
 * the semantics of OpenSSH 9.x's sshsig.c (parse_principals_key_and_options, sshsigopt_parse,
 * check_allowed_keys_line) and misc.c (strdelimw, opt_dequote, parse_absolute_time):
 *
 *   principals [options] keytype base64-key [comment]
 *
 * principals: one token (whitespace-delimited, or double-quoted), a match_pattern_list: comma
 * separated patterns with `*` and `?` (over bytes, case-sensitive) and `!negation`.
 * options (names case-insensitive): `cert-authority`, `namespaces="a,b"` (a pattern list),
 * `valid-after="T"`, `valid-before="T"`, T = YYYYMMDD[HHMM[SS]] optionally suffixed `Z` or `UTC`;
 * without the suffix T is LOCAL time of the verifying process (TZ), read as glibc's mktime reads a
 * struct tm with tm_isdst = 0 (standard time, even on a date when summer time is in force).
 * A signature time equal to valid-after or valid-before is inside the window (seconds).
 *
 * Like OpenSSH, a line that cannot be parsed grants nothing and is skipped (reported in
 * `warnings`); the other lines still count. `cert-authority` lines are parsed and never match a
 * plain key (as in OpenSSH); signatures made with certificates are not supported and are refused
 * by the signature parser (sshsig.ts, `unsupported_key`). Only a file over 1 MiB is refused whole.
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
  /** The comment after the key, if any (carries a WebAuthn credential id: signing/webauthn.ts). */
  comment?: string;
}

export type AllowedSignersParse =
  | { ok: true; signers: AllowedSigner[]; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

const MAX_FILE = 1024 * 1024;

/** OpenSSH match_pattern: `*` any run, `?` any one byte (of the UTF-8 encoding), case-sensitive. */
export function matchPattern(text: string, pat: string): boolean {
  const str = Buffer.from(text, 'utf8').toString('latin1');
  const pattern = Buffer.from(pat, 'utf8').toString('latin1');
  // iterative glob with backtracking on the last '*' (same answers as OpenSSH's recursion)
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < str.length) {
    if (pi < pattern.length && (pattern[pi] === '?' || pattern[pi] === str[si])) {
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
 * (`!pattern`) one does. A sub-pattern of 1023 bytes or more makes the whole list fail, as there.
 */
export function matchPatternList(s: string, list: string): boolean {
  let positive = false;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const p = neg ? raw.slice(1) : raw;
    if (Buffer.byteLength(p, 'utf8') >= 1023) return false;
    if (matchPattern(s, p)) {
      if (neg) return false;
      positive = true;
    }
  }
  return positive;
}

/** glibc strptime's get_number: skip spaces, read up to n digits while the value can grow within `to`. */
function getNumber(s: string, i: number, from: number, to: number, n: number): [number, number] | undefined {
  while (s[i] === ' ' || s[i] === '\t') i++;
  if (!(s[i]! >= '0' && s[i]! <= '9')) return undefined;
  let val = 0;
  let left = n;
  do {
    val = val * 10 + (s.charCodeAt(i++) - 48);
  } while (--left > 0 && val * 10 <= to && s[i]! >= '0' && s[i]! <= '9');
  if (val < from || val > to) return undefined;
  return [val, i];
}

/** Epoch ms of a wall-clock time read as mktime reads it with tm_isdst = 0 in the process's zone. */
function mktimeStandard(y: number, mo: number, d: number, h: number, mi: number, sec: number): number {
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d);
  utc.setUTCHours(h, mi, sec, 0);
  const year = utc.getUTCFullYear();
  const probe = (m: number) => {
    const t = new Date(0);
    t.setFullYear(year, m, 1);
    t.setHours(0, 0, 0, 0);
    return t.getTimezoneOffset();
  };
  // standard time is the zone's smaller UTC offset of the year (getTimezoneOffset: minutes west)
  const std = Math.max(probe(0), probe(6));
  return utc.getTime() + std * 60_000;
}

/**
 * OpenSSH parse_absolute_time: "YYYYMMDD", "YYYYMMDDHHMM" or "YYYYMMDDHHMMSS", with an optional
 * "Z" or "UTC" suffix (any case) for UTC, else local time (see mktimeStandard) → epoch ms.
 * Out-of-range days are normalised as mktime does ("20250231" is 3 March); undefined when
 * strptime would refuse it or the result is at or before the epoch.
 */
export function parseSignerTime(text: string): number | undefined {
  let l = text.length;
  let utc = false;
  if (l > 1 && text.slice(l - 1).toUpperCase() === 'Z') {
    utc = true;
    l -= 1;
  } else if (l > 3 && text.slice(l - 3).toUpperCase() === 'UTC') {
    utc = true;
    l -= 3;
  }
  const s = text;
  let buf: string;
  let fields: number;
  if (l === 8) {
    buf = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
    fields = 3;
  } else if (l === 12) {
    buf = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}`;
    fields = 5;
  } else if (l === 14) {
    buf = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
    fields = 6;
  } else return undefined;
  const spec: Array<[number, number, number, string]> = [
    [0, 9999, 4, '-'],
    [1, 12, 2, '-'],
    [1, 31, 2, 'T'],
    [0, 23, 2, ':'],
    [0, 59, 2, ':'],
    [0, 61, 2, ''],
  ];
  const v: number[] = [];
  let i = 0;
  for (let f = 0; f < fields; f++) {
    const [from, to, n, sep] = spec[f]!;
    const r = getNumber(buf, i, from, to, n);
    if (!r) return undefined;
    v.push(r[0]);
    i = r[1];
    if (f < fields - 1) {
      if (buf[i] !== sep) return undefined;
      i += 1;
    }
  }
  if (i !== buf.length) return undefined;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = v as [number, number, number, number?, number?, number?];
  let t: number;
  if (utc) {
    const u = new Date(0);
    u.setUTCFullYear(y, mo - 1, d);
    u.setUTCHours(h, mi, sec, 0);
    t = u.getTime();
  } else t = mktimeStandard(y, mo, d, h, mi, sec);
  if (!(t > 0)) return undefined;
  return t;
}

const WS = ' \t\r\n';

/**
 * OpenSSH strdelimw: the next token up to whitespace; a double quote (anywhere in the token) is
 * dropped and the token runs to the next quote. Returns [token, rest]; rest undefined when the
 * line ends with the token; undefined for an unmatched quote.
 */
function strdelimw(s: string): [string, string | undefined] | undefined {
  let i = 0;
  while (i < s.length && !WS.includes(s[i]!) && s[i] !== '"') i++;
  if (i === s.length) return [s, undefined];
  const skipWs = (j: number) => {
    while (j < s.length && WS.includes(s[j]!)) j++;
    return j;
  };
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close === -1) return undefined;
    return [s.slice(0, i) + s.slice(i + 1, close), s.slice(skipWs(close + 1))];
  }
  return [s.slice(0, i), s.slice(skipWs(i + 1))];
}

/** OpenSSH sshkey_advance_past_options: index of the first unquoted space/tab; -1 for an open quote. */
function advancePastOptions(s: string): number {
  let q = false;
  let i = 0;
  for (; i < s.length && (q || (s[i] !== ' ' && s[i] !== '\t')); i++) {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    else if (s[i] === '"') q = !q;
  }
  return i === s.length && q ? -1 : i;
}

interface Options {
  certAuthority: boolean;
  namespaces?: string;
  validAfter?: number;
  validBefore?: number;
}

/** OpenSSH opt_dequote: a double-quoted value with \" escapes → [value, rest] or a problem. */
function dequote(s: string): [string, string] | string {
  if (s[0] !== '"') return 'missing start quote';
  let out = '';
  let i = 1;
  for (; i < s.length && s[i] !== '"'; ) {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    out += s[i++];
  }
  if (i >= s.length) return 'missing end quote';
  return [out, s.slice(i + 1)];
}

/** OpenSSH sshsigopt_parse, sequentially: option, then "," or the end. */
function parseOptions(text: string): Options | string {
  const out: Options = { certAuthority: false };
  let o = text;
  const match = (name: string) => o.slice(0, name.length).toLowerCase() === name && o[name.length] === '=';
  while (o.length && o[0] !== ' ' && o[0] !== '\t') {
    if (o.slice(0, 14).toLowerCase() === 'cert-authority') {
      out.certAuthority = true;
      o = o.slice(14);
    } else if (match('namespaces')) {
      if (out.namespaces !== undefined) return 'multiple "namespaces" clauses';
      const r = dequote(o.slice(11));
      if (typeof r === 'string') return `namespaces: ${r}`;
      [out.namespaces, o] = r;
    } else if (match('valid-after') || match('valid-before')) {
      const name = o.slice(0, o.indexOf('=')).toLowerCase() as 'valid-after' | 'valid-before';
      const key = name === 'valid-after' ? 'validAfter' : 'validBefore';
      if (out[key] !== undefined) return `multiple "${name}" clauses`;
      const r = dequote(o.slice(name.length + 1));
      if (typeof r === 'string') return `${name}: ${r}`;
      const t = parseSignerTime(r[0]);
      if (t === undefined) return `invalid "${name}" time "${r[0]}" (YYYYMMDD[HHMM[SS]], optionally suffixed Z or UTC)`;
      out[key] = t;
      o = r[1];
    } else {
      return `unsupported option "${o.split(/[=,\s]/)[0]}"`;
    }
    if (o.length === 0 || o[0] === ' ' || o[0] === '\t') break;
    if (o[0] !== ',') return 'unknown key option';
    o = o.slice(1);
    if (o.length === 0) return 'unexpected end of options';
  }
  return out;
}

/** OpenSSH sshkey_read of "keytype base64 [comment]": the key, or a problem. */
function readKey(s: string, no: number): { key: SshPublicKey; comment?: string } | { problem: string; unsupported?: boolean } {
  const m = /^([^ \t]+)[ \t]+([^ \t]+)/.exec(s);
  if (!m) return { problem: s.trim() === '' ? 'missing key' : `key type "${s.trim()}" without key data` };
  const keyType = m[1]!;
  if (!/^(ssh-|ecdsa-|sk-|rsa-|webauthn-)/.test(keyType)) return { problem: `"${keyType}" is not a key type` };
  let key: SshPublicKey;
  try {
    key = parsePublicKeyBlob(strictBase64(m[2]!, `line ${no}: key`));
  } catch (e) {
    if (e instanceof SigningError && e.code === 'unsupported_key') return { problem: e.message, unsupported: true };
    return { problem: (e as Error).message };
  }
  if (key.type !== keyType) return { problem: `says "${keyType}" but the key is ${key.type}` };
  const comment = s.slice(m[0].length).trim();
  return comment ? { key, comment } : { key };
}

/**
 * Parse an allowed_signers file's text. Pure. Lines OpenSSH would skip (unparseable, bad options,
 * cert-authority, unsupported key types) are left out with a warning naming the line.
 */
export function parseAllowedSigners(text: string): AllowedSignersParse {
  const warnings: string[] = [];
  const signers: AllowedSigner[] = [];
  if (text.length > MAX_FILE) return { ok: false, problems: [`the file is ${text.length} bytes, more than ${MAX_FILE}`], warnings };
  const lines = text.split('\n');
  lines.forEach((rawLine, idx) => {
    const no = idx + 1;
    const skip = (why: string) => warnings.push(`line ${no}: ${why}; the line is ignored (grants nothing), as ssh-keygen ignores it`);
    const line = rawLine.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#') || /^[\r]*$/.test(line)) return;
    if (line.includes('\0')) return skip('contains a NUL byte');
    const t1 = strdelimw(line);
    if (!t1 || t1[1] === undefined) return skip(t1 ? 'no key after the principals' : 'cannot read the principals field (unmatched quote)');
    const [principals, rest] = t1;
    let opts: Options = { certAuthority: false };
    let k = readKey(rest, no);
    if (!('key' in k)) {
      // not a key: options first, then the key after one run of spaces
      const end = advancePastOptions(rest);
      if (end === -1) return skip('invalid options (unterminated quote)');
      if (end >= rest.length) return skip(`missing key (${'problem' in k ? k.problem : ''})`);
      const parsed = parseOptions(rest.slice(0, end));
      const after = rest.slice(end + 1).replace(/^[ \t]+/, '');
      k = readKey(after, no);
      if (!('key' in k)) return skip(k.unsupported ? k.problem : `invalid key: ${k.problem}`);
      if (typeof parsed === 'string') return skip(`bad options: ${parsed}`);
      opts = parsed;
    }
    if (opts.certAuthority) return skip('cert-authority: only certificates signed by this CA could match it, and certificate signatures are not supported');
    signers.push({
      line: no,
      principals,
      ...(opts.namespaces !== undefined ? { namespaces: opts.namespaces } : {}),
      ...(opts.validAfter !== undefined ? { validAfter: opts.validAfter } : {}),
      ...(opts.validBefore !== undefined ? { validBefore: opts.validBefore } : {}),
      key: k.key,
      ...(k.comment !== undefined ? { comment: k.comment } : {}),
    });
  });
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
  const t = Math.floor(q.at.getTime() / 1000) * 1000; // OpenSSH compares whole seconds
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

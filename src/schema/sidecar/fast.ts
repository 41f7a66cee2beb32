/**
 * The zod-free half of the sidecar format, for the commit hot path: a strict hand-written
 * validator that accepts exactly what `sidecarSchema` (schema/sidecar/schema.ts, the documented zod
 * schema) accepts, plus the explanation digest. A unit test holds both validators to the same
 * verdict on a table of valid and invalid documents.
 */
import { nodeCrypto } from '../../kernel/builtins.js';
import type { Sidecar } from './schema.js';
import { SIDECAR_DIR, SIDECAR_NAME } from '../../kernel/paths.js';
import { OBJECT_ID } from '../../kernel/ids.js';

export const SIDECAR_VERSION = 1;
export const DIGEST_DOMAIN = 'agent-gates/explain/v1';

export function sidecarPath(tree: string): string {
  return `${SIDECAR_DIR}/explain-${tree}.yaml`;
}

export function treeFromSidecarName(name: string): string | undefined {
  const m = SIDECAR_NAME.exec(name);
  return m ? m[1] : undefined;
}

/** The part of a sidecar the digest covers. */
export interface Explanation {
  version: number;
  tree: string;
  tier: string;
  files: ReadonlyArray<Record<string, unknown>>;
  intent: string;
  alternatives: readonly string[];
  risk: { blast_radius: string; reversibility: string; rollback: string };
}

/** JSON with object keys sorted at every level and undefined members dropped. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/** sha256 over the canonical explanation (domain-separated); what every approval binds. */
export function explanationDigest(s: Explanation): string {
  const e = {
    version: s.version,
    tree: s.tree,
    tier: s.tier,
    files: s.files,
    intent: s.intent,
    alternatives: s.alternatives,
    risk: { blast_radius: s.risk.blast_radius, reversibility: s.risk.reversibility, rollback: s.risk.rollback },
  };
  return nodeCrypto().createHash('sha256').update(`${DIGEST_DOMAIN}\0`).update(canonicalJson(e)).digest('hex');
}

export type SidecarParse = { ok: true; sidecar: Sidecar; digest: string } | { ok: false; problems: string[] };

// ---- the hand-written validator ---------------------------------------------------------------

const OID = OBJECT_ID;
const SHA256 = /^[0-9a-f]{64}$/;
const TIERS = ['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM'];
const STATUSES = ['A', 'M', 'D', 'R', 'C', 'T', 'U', 'X'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

class Checker {
  readonly problems: string[] = [];
  add(path: string, msg: string): void {
    this.problems.push(`${path || '(top level)'}: ${msg}`);
  }
  /** Expect an object with exactly these keys (optional ones may be absent). */
  obj(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): v is Obj {
    if (!isObj(v)) {
      this.add(path, `expected object${v === undefined ? ' (missing)' : ''}`);
      return false;
    }
    const known = new Set([...required, ...optional]);
    const unknown = Object.keys(v).filter((k) => !known.has(k));
    if (unknown.length) this.add(path, `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (not allowed here)`);
    return true;
  }
  str(v: unknown, path: string, opts: { re?: RegExp; reMsg?: string; nonEmpty?: boolean; trimmed?: boolean; oneOf?: readonly string[]; iso?: boolean } = {}): boolean {
    if (typeof v !== 'string') {
      this.add(path, opts.oneOf ? `one of ${opts.oneOf.join(', ')}${v === undefined ? ' (missing)' : ''}` : `expected string${v === undefined ? ' (missing)' : ''}`);
      return false;
    }
    if (opts.oneOf && !opts.oneOf.includes(v)) return this.fail(path, `one of ${opts.oneOf.join(', ')}`);
    if (opts.trimmed && v.trim().length === 0) return this.fail(path, 'a non-empty text');
    if (opts.nonEmpty && v.length === 0) return this.fail(path, 'a non-empty string');
    if (opts.re && !opts.re.test(v)) return this.fail(path, opts.reMsg ?? 'a valid value');
    if (opts.iso && Number.isNaN(Date.parse(v))) return this.fail(path, 'an ISO 8601 timestamp');
    return true;
  }
  optStr(o: Obj, key: string, path: string, opts: Parameters<Checker['str']>[2] = {}): void {
    if (o[key] !== undefined) this.str(o[key], path, opts);
  }
  int(v: unknown, path: string, min: number): void {
    if (typeof v !== 'number' || Number.isNaN(v)) this.add(path, `expected number${v === undefined ? ' (missing)' : ''}`);
    else if (!Number.isInteger(v)) this.add(path, 'an integer');
    else if (v < min) this.add(path, `a number ≥ ${min}`);
  }
  arr(v: unknown, path: string): v is unknown[] {
    if (!Array.isArray(v)) {
      this.add(path, `expected array${v === undefined ? ' (missing)' : ''}`);
      return false;
    }
    return true;
  }
  fail(path: string, msg: string): false {
    this.add(path, msg);
    return false;
  }
}

const text = { trimmed: true } as const;
const oid = { re: OID, reMsg: 'a 40- or 64-hex git object id' } as const;
const sha = { re: SHA256, reMsg: 'a sha256 hex digest (64 hex characters)' } as const;

function person(c: Checker, v: unknown, path: string): void {
  if (!c.obj(v, path, ['os_user', 'host'], ['name', 'email'])) return;
  c.optStr(v, 'name', `${path}.name`);
  c.optStr(v, 'email', `${path}.email`);
  c.str(v.os_user, `${path}.os_user`, { nonEmpty: true });
  c.str(v.host, `${path}.host`, { nonEmpty: true });
}

function ledgerRef(c: Checker, v: unknown, path: string): void {
  if (!c.obj(v, path, ['seq', 'offset', 'hash'])) return;
  c.int(v.seq, `${path}.seq`, 1);
  c.int(v.offset, `${path}.offset`, 0);
  c.str(v.hash, `${path}.hash`, sha);
}

/** Validate a parsed document as a sidecar, without zod. Same acceptance as `sidecarSchema`. */
export function checkSidecar(doc: unknown): SidecarParse {
  const c = new Checker();
  if (!c.obj(doc, '', ['version', 'tree', 'tier', 'files', 'intent', 'alternatives', 'risk', 'created_at', 'created_by'], ['approvals', 'rejections'])) {
    return { ok: false, problems: c.problems };
  }
  const d = doc;
  if (d.version !== SIDECAR_VERSION) c.add('version', `expected ${SIDECAR_VERSION}`);
  c.str(d.tree, 'tree', oid);
  const tierOk = c.str(d.tier, 'tier', { oneOf: TIERS });
  if (c.arr(d.files, 'files')) {
    d.files.forEach((f, i) => {
      const p = `files[${i}]`;
      if (!c.obj(f, p, ['path', 'status', 'blob', 'old_blob', 'tier', 'surfaces'], ['old_path'])) return;
      c.str(f.path, `${p}.path`, { nonEmpty: true });
      c.str(f.status, `${p}.status`, { oneOf: STATUSES });
      c.optStr(f, 'old_path', `${p}.old_path`, { nonEmpty: true });
      c.str(f.blob, `${p}.blob`, oid);
      c.str(f.old_blob, `${p}.old_blob`, oid);
      c.str(f.tier, `${p}.tier`, { oneOf: TIERS });
      if (c.arr(f.surfaces, `${p}.surfaces`)) f.surfaces.forEach((s, j) => c.str(s, `${p}.surfaces[${j}]`));
    });
  }
  c.str(d.intent, 'intent', text);
  if (c.arr(d.alternatives, 'alternatives')) {
    d.alternatives.forEach((a, i) => c.str(a, `alternatives[${i}]`, text));
    if (tierOk && d.tier !== 'AUTO' && d.alternatives.length === 0) c.add('alternatives', `at least one alternative for a ${String(d.tier)} change`);
  }
  if (c.obj(d.risk, 'risk', ['blast_radius', 'reversibility', 'rollback'])) {
    for (const k of ['blast_radius', 'reversibility', 'rollback']) c.str(d.risk[k], `risk.${k}`, text);
  }
  c.str(d.created_at, 'created_at', { iso: true });
  if (c.obj(d.created_by, 'created_by', ['kind', 'id'], ['session'])) {
    c.str(d.created_by.kind, 'created_by.kind', { oneOf: ['human', 'agent', 'system'] });
    c.str(d.created_by.id, 'created_by.id', { nonEmpty: true });
    c.optStr(d.created_by, 'session', 'created_by.session');
  }
  const approvals = d.approvals === undefined ? [] : d.approvals;
  if (c.arr(approvals, 'approvals')) {
    approvals.forEach((a, i) => {
      const p = `approvals[${i}]`;
      if (!c.obj(a, p, ['step', 'tier', 'tree', 'digest', 'approver', 'method', 'at', 'ledger'], ['signature'])) return;
      c.str(a.step, `${p}.step`, { oneOf: ['confirm', 'intent', 'diff'] });
      c.str(a.tier, `${p}.tier`, { oneOf: TIERS });
      c.str(a.tree, `${p}.tree`, oid);
      c.str(a.digest, `${p}.digest`, sha);
      person(c, a.approver, `${p}.approver`);
      c.str(a.method, `${p}.method`, { oneOf: ['terminal', 'ssh-signature'] });
      c.str(a.at, `${p}.at`, { iso: true });
      ledgerRef(c, a.ledger, `${p}.ledger`);
      if (a.signature !== undefined) {
        if (!isObj(a.signature)) c.add(`${p}.signature`, `expected object, received ${typeName(a.signature)}`);
        else c.str(a.signature.format, `${p}.signature.format`, { nonEmpty: true });
      }
    });
  }
  const rejections = d.rejections === undefined ? [] : d.rejections;
  if (c.arr(rejections, 'rejections')) {
    rejections.forEach((r, i) => {
      const p = `rejections[${i}]`;
      if (!c.obj(r, p, ['tier', 'tree', 'digest', 'reason', 'rejecter', 'at', 'ledger'])) return;
      c.str(r.tier, `${p}.tier`, { oneOf: TIERS });
      c.str(r.tree, `${p}.tree`, oid);
      c.str(r.digest, `${p}.digest`, sha);
      c.str(r.reason, `${p}.reason`, text);
      person(c, r.rejecter, `${p}.rejecter`);
      c.str(r.at, `${p}.at`, { iso: true });
      ledgerRef(c, r.ledger, `${p}.ledger`);
    });
  }
  if (c.problems.length) return { ok: false, problems: c.problems };
  // Strings are kept as written (the zod schema's trim() only validates; it is not a transform here).
  const sidecar = { ...(d as unknown as Sidecar), approvals: approvals as Sidecar['approvals'], rejections: rejections as Sidecar['rejections'] };
  return { ok: true, sidecar, digest: explanationDigest(sidecar) };
}

/** Parse sidecar text (YAML, strict: duplicate keys are errors) and validate it, without zod. */
export async function parseSidecarText(textIn: string): Promise<SidecarParse> {
  return (await parseSidecarYaml(textIn)).result;
}

/**
 * The same, also returning the parsed YAML value when it parsed (for a cache of parsed documents:
 * a cached value is validated again with `checkSidecar`, and its digest recomputed, on every use).
 */
export async function parseSidecarYaml(textIn: string): Promise<{ result: SidecarParse; value?: unknown }> {
  const { parseYaml } = await import('../yaml.js');
  const y = parseYaml(textIn);
  if (!y.ok) return { result: { ok: false, problems: y.problems.map((p) => `not valid YAML: ${p}`) } };
  return { result: checkSidecar(y.value), value: y.value };
}

/**
 * True when `v` survives JSON.stringify → JSON.parse unchanged: only strings, booleans, null,
 * finite numbers other than -0, arrays and plain objects (no `__proto__` key). Only such parsed
 * documents may be cached as JSON, so a cached parse is indistinguishable from a fresh one.
 */
export function jsonExact(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !jsonExact(v[i], depth + 1)) return false;
    return true;
  }
  if (typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k of Object.keys(v)) if (k === '__proto__' || !jsonExact((v as Record<string, unknown>)[k], depth + 1)) return false;
  return Object.getOwnPropertySymbols(v).length === 0;
}

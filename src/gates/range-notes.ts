/**
 * Approval notes (refs/notes/agent-gates) read as positive evidence for `gate check --range`.
 * Pure. A note yields approvals (each normalised to the transitions it names) and warnings; it
 * never fails a check by itself: an unreadable, invalid or self-contradicting note counts as no
 * approval and is reported, so a junk note cannot stall an unrelated range.
 *
 * Two kinds of approval come out of one note:
 *   - unsigned: the note's sidecar proves the approvals its tier requires (Gate B's record); the
 *     transitions are the sidecar's files, with modes from the note's `transitions` (note v2) or
 *     regular files (v1). Used only where signatures are not required: anyone who can push notes
 *     can write one.
 *   - signed: every SSHSIG in the sidecar's approvals that verifies over a canonical payload; tier,
 *     files, blobs, modes and time come from the signed payload only. Where signatures are
 *     required these are the only approvals that count; the signer's trust is judged per commit
 *     by the range evaluator.
 * A note whose unsigned fields (top-level files or transitions, the sidecar's files) disagree with
 * what its signatures say is ignored as a whole and reported.
 *
 * Notes merged with `git notes merge -s union` are concatenated documents: each is read.
 */
import { ABSENT_MODE, transitionKey, type Approval, type SignedStep, type Transition } from './range.js';
import { ZERO_BLOB, OBJECT_ID } from '../kernel/ids.js';
import { isLeaseNoteDocument } from './range-leases.js';
import { TIER_RANK, type Tier } from '../schema/config/defaults.js';
import { APPROVAL_NAMESPACE, verifySshsig } from '../signing/sshsig.js';
import { SIGNATURE_FORMAT, parsePayload, type PayloadFile } from '../signing/payload.js';
import { strengthOf } from '../signing/strength.js';
import { webauthnProblem } from '../signing/webauthn-policy.js';

export const NOTE_VERSION = 2;
const HEX = OBJECT_ID;
const MODE = /^[0-7]{6}$/;
const TIERS = new Set(['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM']);
const isZero = (b: string): boolean => /^0+$/.test(b);

/** What Gate B's sidecar schema says about the sidecar embedded in a note. */
export type SidecarCheck =
  | {
      ok: true;
      digest: string;
      tree: string;
      tier: Tier;
      files: ReadonlyArray<FileEntry>;
      approvals: ReadonlyArray<{ step: string; tier: string; tree: string; digest: string; method: string; signature?: unknown }>;
      rejections: number;
    }
  | { ok: false; problems: string[] };

/** A file entry as the sidecar and the signed payload write it. */
export interface FileEntry {
  path: string;
  status: string;
  blob: string;
  old_blob: string;
  old_path?: string;
  mode?: string;
  old_mode?: string;
}

export interface NoteDeps {
  checkSidecar(doc: unknown): SidecarCheck;
  requiredSteps(tier: Tier): readonly string[];
}

export interface NoteRead {
  approvals: Approval[];
  warnings: string[];
}

/**
 * The per-path transitions a file list names. A rename is the old path's deletion and the new
 * path's addition; a copy is the new path's addition. Without modes (v1) a side that exists is a
 * regular file (100644), so a v1 approval never covers a symlink, gitlink, executable or mode change.
 */
export function transitionsOf(files: readonly FileEntry[]): Transition[] {
  const out: Transition[] = [];
  for (const f of files) {
    const newMode = isZero(f.blob) ? ABSENT_MODE : (f.mode ?? '100644');
    const oldMode = isZero(f.old_blob) ? ABSENT_MODE : (f.old_mode ?? '100644');
    const newBlob = isZero(f.blob) ? ZERO_BLOB : f.blob;
    const oldBlob = isZero(f.old_blob) ? ZERO_BLOB : f.old_blob;
    if ((f.status === 'R' || f.status === 'C') && f.old_path !== undefined && f.old_path !== f.path) {
      if (f.status === 'R') out.push({ path: f.old_path, oldMode, oldBlob, newMode: ABSENT_MODE, newBlob: ZERO_BLOB });
      out.push({ path: f.path, oldMode: ABSENT_MODE, oldBlob: ZERO_BLOB, newMode, newBlob });
    } else {
      out.push({ path: f.path, oldMode, oldBlob, newMode, newBlob });
    }
  }
  return out;
}

/** Notes larger than this are ignored (an approval note is a few kilobytes; a union of many stays far below). */
export const MAX_NOTE_BYTES = 256 * 1024;
/** A note with more JSON documents than this is ignored (each `git notes merge -s union` adds one). */
export const MAX_NOTE_DOCUMENTS = 64;

/**
 * Split a note body into its JSON documents: one, or several after `git notes merge -s union`
 * (concatenated, possibly with someone else's junk in between: every JSON object that parses is
 * kept, the rest is skipped). A string when nothing in it is a JSON object, or when it is over a cap.
 *
 * One linear pass (a note is attacker-writable: no rescans): a depth/string state machine collects
 * top-level `{…}` spans and parses each once. A `{` at the start of a line, or a line break inside a
 * string (never valid JSON), restarts the scan there, so an unclosed junk brace cannot swallow the
 * documents after it.
 */
export function splitDocuments(body: string): unknown[] | string {
  if (body.length > MAX_NOTE_BYTES || Buffer.byteLength(body, 'utf8') > MAX_NOTE_BYTES) return `the note is larger than ${MAX_NOTE_BYTES} bytes (an approval note is a few kilobytes)`;
  try {
    return [JSON.parse(body)];
  } catch {
    /* maybe several, or junk around them */
  }
  const docs: unknown[] = [];
  let spans = 0;
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i);
    if (ch === 0x0a) {
      // a raw line break never sits inside a JSON string: whatever was open is junk
      if (inStr) {
        inStr = false;
        esc = false;
        depth = 0;
        start = -1;
      }
      continue;
    }
    if (inStr) {
      if (esc) esc = false;
      else if (ch === 0x5c) esc = true;
      else if (ch === 0x22) inStr = false;
      continue;
    }
    if (ch === 0x7b /* { */) {
      if (depth === 0 || (i > 0 && body.charCodeAt(i - 1) === 0x0a)) {
        depth = 0;
        start = i;
      }
      depth++;
    } else if (depth > 0 && ch === 0x22) inStr = true;
    else if (depth > 0 && ch === 0x7d /* } */ && --depth === 0) {
      if (++spans > MAX_NOTE_DOCUMENTS) return `the note holds more than ${MAX_NOTE_DOCUMENTS} JSON documents`;
      try {
        docs.push(JSON.parse(body.slice(start, i + 1)));
      } catch {
        /* not an object after all */
      }
      start = -1;
    }
  }
  return docs.length ? docs : 'the note is not JSON';
}

function sameTransitions(a: readonly Transition[], b: readonly Transition[], withModes: boolean): boolean {
  const key = (t: Transition) => (withModes ? transitionKey(t) : `${t.path}\0${t.oldBlob}\0${t.newBlob}`);
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

/**
 * verifySshsig memoised by (signature, payload): the same signed approval copied into many notes
 * (an agent can attach one note to any number of objects) is verified once per run.
 */
const verified = new Map<string, ReturnType<typeof verifySshsig>>();
function verifyOnce(signature: string, payload: string): ReturnType<typeof verifySshsig> {
  const key = `${signature}\0${payload}`;
  let v = verified.get(key);
  if (!v) {
    if (verified.size >= 4096) verified.clear();
    verified.set(key, (v = verifySshsig({ signature, message: Buffer.from(payload, 'utf8'), namespace: APPROVAL_NAMESPACE })));
  }
  return v;
}

/** Read one note (on `commit`) into approvals and warnings. */
export function readNote(body: string, commit: string, deps: NoteDeps): NoteRead {
  const at = `the note on ${commit.slice(0, 12)}`;
  const docs = splitDocuments(body);
  if (typeof docs === 'string') return { approvals: [], warnings: [`${at} is ignored: ${docs}`] };
  const out: NoteRead = { approvals: [], warnings: [] };
  for (const doc of docs) {
    const r = readDocument(doc, commit, deps);
    if (typeof r === 'string') out.warnings.push(`${at} is ignored: ${r}`);
    else {
      out.approvals.push(...r.approvals);
      out.warnings.push(...r.warnings.map((w) => `${at}: ${w}`));
    }
  }
  return out;
}

function readDocument(v: unknown, commit: string, deps: NoteDeps): NoteRead | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'it is not a JSON object';
  const n = v as Record<string, unknown>;
  // Gate A's lease evidence (gates/range-leases.ts) shares the note; it approves nothing
  if (isLeaseNoteDocument(n)) return { approvals: [], warnings: [] };
  if (n.agent_gates !== 1 && n.agent_gates !== 2) return `agent_gates: expected 1 or 2 (got ${JSON.stringify(n.agent_gates)})`;
  if (typeof n.tier !== 'string' || !TIERS.has(n.tier)) return 'tier: expected AUTO, CONFIRM or DOUBLE_CONFIRM';
  if (!Array.isArray(n.files)) return 'files: expected a list';
  if (n.tier === 'AUTO') return { approvals: [], warnings: [] };
  if (typeof n.sidecar !== 'object' || n.sidecar === null || Array.isArray(n.sidecar)) return 'it carries no sidecar, so its approvals cannot be checked';
  const sc = deps.checkSidecar(n.sidecar);
  if (!sc.ok) return `the sidecar in it is invalid (${sc.problems.slice(0, 3).join('; ')})`;

  // the note's unsigned record of the change: the sidecar's files (modes from `transitions`, v2)
  const sidecarTransitions = transitionsOf(sc.files);
  const top: Array<{ path: string; blob: string }> = [];
  for (const f of n.files as unknown[]) {
    const o = f as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || typeof o.path !== 'string') return 'files: expected {path, blob, tier} entries';
    const blob = o.blob === null || o.blob === undefined || o.blob === '' ? ZERO_BLOB : o.blob;
    if (typeof blob !== 'string' || !HEX.test(blob)) return 'files: a blob is not an object id';
    top.push({ path: o.path, blob });
  }
  const sidecarBlobs = new Map(sc.files.map((f) => [f.path, isZero(f.blob) ? ZERO_BLOB : f.blob]));
  if (top.length !== sidecarBlobs.size || top.some((f) => sidecarBlobs.get(f.path) !== f.blob)) {
    return 'its top-level files disagree with the files its sidecar explains (edited after approval)';
  }
  let recorded = sidecarTransitions;
  let recordedModes = false;
  if (n.agent_gates === 2) {
    if (!Array.isArray(n.transitions)) return 'transitions: expected a list (note version 2)';
    const ts: Transition[] = [];
    for (const t of n.transitions as unknown[]) {
      const o = t as Record<string, unknown> | null;
      if (typeof o !== 'object' || o === null || typeof o.path !== 'string') return 'transitions: malformed entry';
      const { old_mode, old_blob, new_mode, new_blob } = o;
      if (typeof old_mode !== 'string' || !MODE.test(old_mode) || typeof new_mode !== 'string' || !MODE.test(new_mode)) return 'transitions: a mode is not six octal digits';
      if (typeof old_blob !== 'string' || !HEX.test(old_blob) || typeof new_blob !== 'string' || !HEX.test(new_blob)) return 'transitions: a blob is not an object id';
      ts.push({ path: o.path, oldMode: isZero(old_blob) ? ABSENT_MODE : old_mode, oldBlob: old_blob, newMode: isZero(new_blob) ? ABSENT_MODE : new_mode, newBlob: new_blob });
    }
    if (!sameTransitions(ts, sidecarTransitions, false)) return 'its transitions disagree with the files its sidecar explains (edited after approval)';
    recorded = ts;
    recordedModes = true;
  }

  const approvals: Approval[] = [];
  const warnings: string[] = [];

  // unsigned: Gate B's record proves its tier
  const problems: string[] = [];
  if (n.tier !== sc.tier) problems.push(`the note says tier ${String(n.tier)}, its sidecar ${sc.tier}`);
  if (n.sidecar_digest !== sc.digest) problems.push("sidecar_digest does not match the sidecar's explanation");
  if (sc.rejections > 0) problems.push('the sidecar was rejected');
  const good = sc.approvals.filter((a) => a.digest === sc.digest && a.tree === sc.tree && TIER_RANK[a.tier as Tier] >= TIER_RANK[sc.tier]);
  const steps = new Set(good.map((a) => a.step));
  for (const s of deps.requiredSteps(sc.tier)) if (!steps.has(s)) problems.push(`${sc.tier} needs the "${s}" approval step`);
  if (problems.length === 0) approvals.push({ source: commit, kind: 'unsigned', tier: sc.tier, transitions: recorded });
  else warnings.push(`its unsigned approval does not count (${problems.join('; ')})`);

  // signed: the payloads decide everything; a record the person rejected approves nothing
  if (sc.rejections > 0) {
    if (sc.approvals.some((a) => a.method === 'ssh-signature')) warnings.push('its signed approvals do not count: the sidecar records a rejection');
    return { approvals, warnings };
  }
  const groups = new Map<string, { tier: Tier; files: PayloadFile[]; root: string | null; steps: Array<SignedStep & { payloadTier: Tier }> }>();
  sc.approvals.forEach((a, i) => {
    if (a.method !== 'ssh-signature' || a.signature === undefined) return;
    const s = a.signature as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || s.format !== SIGNATURE_FORMAT || s.namespace !== APPROVAL_NAMESPACE || typeof s.payload !== 'string' || typeof s.signature !== 'string') {
      warnings.push(`approval #${i + 1} carries a malformed signature record`);
      return;
    }
    const ver = verifyOnce(s.signature, s.payload);
    if (!ver.ok) {
      warnings.push(`approval #${i + 1}: the signature does not verify (${ver.reason})`);
      return;
    }
    const web = webauthnProblem(ver);
    if (web) {
      warnings.push(`approval #${i + 1}: ${web}`);
      return;
    }
    const p = parsePayload(s.payload);
    if (typeof p === 'string') {
      warnings.push(`approval #${i + 1}: ${p}`);
      return;
    }
    const key = JSON.stringify([p.tier, p.digest, p.repo.root, transitionsOf(p.files).map(transitionKey).sort()]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { tier: p.tier, files: p.files, root: p.repo.root, steps: [] }));
    g.steps.push({ step: p.step, principal: p.principal, key: ver.publicKey, at: Date.parse(p.at), strength: strengthOf(ver), payloadTier: p.tier });
  });
  for (const g of groups.values()) {
    const has = (step: string) => g.steps.some((s) => s.step === step);
    let tier: Tier | undefined;
    if (g.tier === 'DOUBLE_CONFIRM' && has('intent') && has('diff')) tier = 'DOUBLE_CONFIRM';
    else if (has('confirm') && TIER_RANK[g.tier] >= TIER_RANK.CONFIRM) tier = 'CONFIRM';
    if (!tier) {
      warnings.push(`signed steps ${g.steps.map((s) => s.step).join(', ')} at ${g.tier} do not make a complete approval`);
      continue;
    }
    const ts = transitionsOf(g.files);
    const v2 = g.files.every((f) => f.mode !== undefined);
    if (!sameTransitions(ts, recorded, v2 && recordedModes)) {
      return 'its unsigned fields (files, transitions or the sidecar) disagree with what its signatures approve';
    }
    const steps = tier === 'DOUBLE_CONFIRM' ? g.steps.filter((s) => s.step === 'intent' || s.step === 'diff') : g.steps.filter((s) => s.step === 'confirm');
    approvals.push({ source: commit, kind: 'signed', tier, transitions: ts, steps: steps.map(({ payloadTier: _t, ...s }) => s), root: g.root });
  }
  return { approvals, warnings };
}

/**
 * The signed approval payload: canonical JSON that binds an approval to exactly one change.
 * Pure. The signature covers the UTF-8 bytes of `serializePayload(p)`; those bytes are stored
 * verbatim (sidecar `approvals[].signature.payload` and the ledger's approve entry), and the
 * verifier re-parses them and refuses a payload that is not in canonical form, so there is one
 * byte string per meaning.
 *
 * Fields (all required unless marked):
 *   v: 1, type: "agent-gates/approval"
 *   repo: { id: <ledger repo-id, local to the clone>, root: <first-parent root commit of the
 *          parent commit, or null before the first commit> }
 *          `id` binds local checks (pre-commit, audit); `root` is clone-independent, for CI.
 *   parent: the commit the change is staged on (HEAD), or null
 *   tree: the staged tree
 *   tier, step: the tier required and the approval step (confirm | intent | diff)
 *   files: every gated path: {path, status, blob (staged blob id), old_path?, old_blob}
 *          v2 adds `mode` and `old_mode` (git's six-digit octal modes; "000000" for a side that
 *          does not exist): the payload then names each path's whole transition, old blob and
 *          mode → new blob and mode, which is what `gate check --range` binds an approval to.
 *   digest: the sidecar explanation digest (schema/sidecar/schema.ts explanationDigest)
 *   ledger: { size: number of entries before this approval, head: link hash after them }
 *   principal: the allowed_signers principal the approver signs as
 *   nonce: 128 random bits, hex
 *   at: ISO 8601 time of signing (the range check measures approval.max_age from it)
 *
 * Version 1 payloads (no modes) are still verified: the range check reads a v1 file entry as a
 * transition between regular files (mode 100644 on each side that exists), so a v1 approval
 * never covers a symlink, a gitlink, an executable bit or a mode change (docs/security.md).
 */
import { canonicalJson } from '../schema/sidecar/fast.js';
import type { Tier } from '../schema/config/defaults.js';
import { OBJECT_ID } from '../kernel/ids.js';

export const PAYLOAD_TYPE = 'agent-gates/approval';
/** The version `gate approve` signs; parsePayload also accepts 1. */
export const PAYLOAD_VERSION = 2;
export const PAYLOAD_VERSIONS: readonly number[] = [1, 2];
export const SIGNATURE_FORMAT = 'sshsig';

export type PayloadStep = 'confirm' | 'intent' | 'diff';

export interface PayloadFile {
  path: string;
  status: string;
  blob: string;
  old_path?: string;
  old_blob: string;
  /** v2: the new mode ("000000" when the path is deleted). */
  mode?: string;
  /** v2: the old mode (of old_path for a rename; "000000" when the path is added). */
  old_mode?: string;
}

export interface ApprovalPayload {
  v: 1 | 2;
  type: typeof PAYLOAD_TYPE;
  repo: { id: string; root: string | null };
  parent: string | null;
  tree: string;
  tier: Tier;
  step: PayloadStep;
  files: PayloadFile[];
  digest: string;
  ledger: { size: number; head: string };
  principal: string;
  nonce: string;
  at: string;
}

/** What a signed approval stores next to the approval record (sidecar) and in the ledger. */
export interface StoredSignature {
  format: typeof SIGNATURE_FORMAT;
  namespace: string;
  /** The exact signed bytes, as a UTF-8 string (canonical JSON). */
  payload: string;
  /** The armored SSHSIG exactly as ssh-keygen printed it. */
  signature: string;
  principal: string;
  /** SHA256 fingerprint of the signing key (informational; the key inside the signature decides). */
  key: string;
  /** FIDO keys only: authenticator flags and counter (informational; read from the signature). */
  fido?: { flags: number; counter: number };
  /**
   * Browser approvals only (informational; the signature type webauthn-sk-ecdsa-... decides):
   * the page's origin and whether the authenticator was a passkey (backup eligible) or a security key.
   */
  webauthn?: { origin: string; authenticator: 'passkey' | 'security-key'; user_verified: boolean; credential?: string };
}

const OID = OBJECT_ID;
const HEX64 = /^[0-9a-f]{64}$/;
const MODE = /^[0-7]{6}$/;

/** Files sorted by path so the payload does not depend on diff order. */
export function sortFiles(files: readonly PayloadFile[]): PayloadFile[] {
  return [...files]
    .map((f) => ({
      path: f.path,
      status: f.status,
      blob: f.blob,
      ...(f.old_path !== undefined ? { old_path: f.old_path } : {}),
      old_blob: f.old_blob,
      ...(f.mode !== undefined ? { mode: f.mode } : {}),
      ...(f.old_mode !== undefined ? { old_mode: f.old_mode } : {}),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function serializePayload(p: ApprovalPayload): string {
  return canonicalJson({ ...p, files: sortFiles(p.files) });
}

/** Parse and validate stored payload bytes. Returns the payload or the first problem. */
export function parsePayload(text: string): ApprovalPayload | string {
  if (text.length > 1024 * 1024) return 'the payload is larger than 1 MiB';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'the payload is not JSON';
  }
  const p = v as Record<string, unknown>;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'the payload is not a JSON object';
  const keys = ['v', 'type', 'repo', 'parent', 'tree', 'tier', 'step', 'files', 'digest', 'ledger', 'principal', 'nonce', 'at'];
  for (const k of Object.keys(p)) if (!keys.includes(k)) return `the payload has an unknown field "${k}"`;
  if (typeof p.v !== 'number' || !PAYLOAD_VERSIONS.includes(p.v)) return `payload version ${String(p.v)} is not supported`;
  if (p.type !== PAYLOAD_TYPE) return `the payload type is not ${PAYLOAD_TYPE}`;
  const repo = p.repo as Record<string, unknown> | null;
  if (typeof repo !== 'object' || repo === null || typeof repo.id !== 'string' || !(repo.root === null || (typeof repo.root === 'string' && OID.test(repo.root))) || Object.keys(repo).length !== 2) {
    return 'payload.repo must be {id, root}';
  }
  if (!(p.parent === null || (typeof p.parent === 'string' && OID.test(p.parent)))) return 'payload.parent must be a commit id or null';
  if (typeof p.tree !== 'string' || !OID.test(p.tree)) return 'payload.tree must be a tree id';
  if (!['CONFIRM', 'DOUBLE_CONFIRM', 'AUTO'].includes(p.tier as string)) return 'payload.tier is not a tier';
  if (!['confirm', 'intent', 'diff'].includes(p.step as string)) return 'payload.step is not a step';
  if (!Array.isArray(p.files)) return 'payload.files must be a list';
  for (const f of p.files as unknown[]) {
    const o = f as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.path !== 'string' || typeof o.status !== 'string' || typeof o.blob !== 'string' || !OID.test(o.blob) || typeof o.old_blob !== 'string' || !OID.test(o.old_blob) || (o.old_path !== undefined && typeof o.old_path !== 'string')) {
      return 'payload.files has a malformed entry';
    }
    const fields = p.v === 1 ? ['path', 'status', 'blob', 'old_path', 'old_blob'] : ['path', 'status', 'blob', 'old_path', 'old_blob', 'mode', 'old_mode'];
    for (const k of Object.keys(o)) if (!fields.includes(k)) return `payload.files has an unknown field "${k}"`;
    if (p.v === 2 && (typeof o.mode !== 'string' || !MODE.test(o.mode) || typeof o.old_mode !== 'string' || !MODE.test(o.old_mode))) return 'payload.files: a v2 entry needs mode and old_mode (six octal digits)';
  }
  if (typeof p.digest !== 'string' || !HEX64.test(p.digest)) return 'payload.digest must be 64 hex characters';
  const l = p.ledger as Record<string, unknown> | null;
  if (typeof l !== 'object' || l === null || !Number.isSafeInteger(l.size) || (l.size as number) < 0 || typeof l.head !== 'string' || !HEX64.test(l.head) || Object.keys(l).length !== 2) {
    return 'payload.ledger must be {size, head}';
  }
  if (typeof p.principal !== 'string' || p.principal === '') return 'payload.principal must be a non-empty string';
  if (typeof p.nonce !== 'string' || !/^[0-9a-f]{32,128}$/.test(p.nonce)) return 'payload.nonce must be hex';
  if (typeof p.at !== 'string' || Number.isNaN(Date.parse(p.at))) return 'payload.at must be an ISO time';
  const payload = p as unknown as ApprovalPayload;
  if (serializePayload(payload) !== text) return 'the payload is not in canonical form (its bytes were re-encoded or edited)';
  return payload;
}

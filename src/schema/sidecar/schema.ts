/**
 * The explain sidecar `.agents/gate-b/explain-<tree>.yaml`: the zod schema (the documented
 * format), the inferred types, and (re-exported from schema/sidecar/fast.ts) the explanation digest that
 * approvals bind. Gate B, the range check and signed approvals all import these from here. The
 * commit hot path uses schema/sidecar/fast.ts directly: a hand-written validator with the same verdicts,
 * so a gated commit does not pay for loading zod.
 *
 * The digest covers the explanation only (version, tree, tier, files, intent, alternatives, risk):
 * editing any of it after an approval voids the approval; adding approvals or rejections does not.
 */
import { z } from 'zod';
import { explanationDigest, SIDECAR_VERSION, type SidecarParse } from './fast.js';
import { OBJECT_ID } from '../../kernel/ids.js';

export { canonicalJson, checkSidecar, DIGEST_DOMAIN, explanationDigest, parseSidecarText, SIDECAR_VERSION, sidecarPath, treeFromSidecarName, type Explanation, type SidecarParse } from './fast.js';
export { SIDECAR_DIR } from '../../kernel/paths.js';
export { renderSidecar } from './render.js';

const oid = z.string().regex(OBJECT_ID, 'a 40- or 64-hex git object id');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest (64 hex characters)');
// Not .trim(): that would transform the value and change the digest; only validate non-blank.
const text = z.string().refine((v) => v.trim().length > 0, 'a non-empty text');
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 timestamp');
export const tierSchema = z.enum(['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM']);
export const stepSchema = z.enum(['confirm', 'intent', 'diff']);

export const sidecarFileSchema = z.strictObject({
  path: z.string().min(1),
  status: z.enum(['A', 'M', 'D', 'R', 'C', 'T', 'U', 'X']),
  old_path: z.string().min(1).optional(),
  blob: oid,
  old_blob: oid,
  tier: tierSchema,
  surfaces: z.array(z.string()),
});

export const personSchema = z.strictObject({
  name: z.string().optional(),
  email: z.string().optional(),
  os_user: z.string().min(1),
  host: z.string().min(1),
});

/** Where the ledger recorded an approval or rejection: checked against the line at `offset`. */
export const ledgerRefSchema = z.strictObject({
  seq: z.number().int().min(1),
  offset: z.number().int().min(0),
  hash: sha256,
});

/**
 * A signature over an approval payload (`method: ssh-signature`). Its exact shape belongs to
 * signed approvals; this schema only requires that it names its format and lets the rest through.
 */
export const signatureSchema = z.looseObject({ format: z.string().min(1) });

export const approvalSchema = z.strictObject({
  step: stepSchema,
  tier: tierSchema,
  tree: oid,
  digest: sha256,
  approver: personSchema,
  method: z.enum(['terminal', 'ssh-signature']),
  at: isoTime,
  ledger: ledgerRefSchema,
  signature: signatureSchema.optional(),
});

export const rejectionSchema = z.strictObject({
  tier: tierSchema,
  tree: oid,
  digest: sha256,
  reason: text,
  rejecter: personSchema,
  at: isoTime,
  ledger: ledgerRefSchema,
});

export const actorSchema = z.strictObject({
  kind: z.enum(['human', 'agent', 'system']),
  id: z.string().min(1),
  session: z.string().optional(),
});

export const riskSchema = z.strictObject({
  blast_radius: text,
  reversibility: text,
  rollback: text,
});

export const sidecarSchema = z
  .strictObject({
    version: z.literal(SIDECAR_VERSION),
    tree: oid,
    tier: tierSchema,
    files: z.array(sidecarFileSchema),
    intent: text,
    alternatives: z.array(text),
    risk: riskSchema,
    created_at: isoTime,
    created_by: actorSchema,
    approvals: z.array(approvalSchema).default([]),
    rejections: z.array(rejectionSchema).default([]),
  })
  .superRefine((s, ctx) => {
    if (s.tier !== 'AUTO' && s.alternatives.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['alternatives'], message: `at least one alternative for a ${s.tier} change` });
    }
  });

export type Sidecar = z.output<typeof sidecarSchema>;
export type SidecarFile = z.output<typeof sidecarFileSchema>;
export type Approval = z.output<typeof approvalSchema>;
export type Rejection = z.output<typeof rejectionSchema>;
export type Person = z.output<typeof personSchema>;
export type Step = z.output<typeof stepSchema>;

/** `path.to.field: problem`, one per issue. */
export function sidecarIssues(error: z.ZodError): string[] {
  return error.issues.map((iss) => {
    const path = iss.path.length ? iss.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(top level)';
    let msg = iss.message;
    if (iss.code === 'unrecognized_keys') msg = `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')} (not allowed here)`;
    else if (iss.code === 'invalid_type') msg = `expected ${iss.expected}${/received undefined/.test(iss.message) ? ' (missing)' : ''}`;
    return `${path}: ${msg}`;
  });
}

/** Validate a parsed document as a sidecar. */
export function validateSidecar(doc: unknown): SidecarParse {
  const r = sidecarSchema.safeParse(doc);
  if (!r.success) return { ok: false, problems: sidecarIssues(r.error) };
  return { ok: true, sidecar: r.data, digest: explanationDigest(r.data) };
}


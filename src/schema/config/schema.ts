import { z } from 'zod';
import { CONFIG_LIMITS, defaultConfig, DURATION_BOUNDS, durationProblem, type GatesConfig } from './defaults.js';
import { globProblem } from '../../kernel/glob.js';

const D = defaultConfig();

const glob = z.string().superRefine((g, ctx) => {
  const p = globProblem(g);
  if (p) ctx.addIssue({ code: 'custom', message: `a valid glob (${p})` });
});
/**
 * A path inside the repository, normalised to git's spelling (`./a//b` → `a/b`) so that what is
 * read and what is governed are the same path. Absolute paths, `..` and glob characters are refused.
 */
export function repoPathProblem(p: string): string | undefined {
  if (p.trim() === '' || p !== p.trim()) return 'a path without surrounding spaces';
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\')) return 'a path relative to the repository root (not absolute)';
  if (/[*?[\]{}!\\]/.test(p)) return 'a plain path (no glob characters or backslashes)';
  const segs = normaliseRepoPath(p).split('/');
  if (segs.includes('..')) return 'a path inside the repository (no "..")';
  if (segs.some((x) => x === '') || segs.length === 0) return 'a file path (not a directory)';
  return undefined;
}
export function normaliseRepoPath(p: string): string {
  return p
    .split('/')
    .filter((seg, i, all) => seg !== '.' && !(seg === '' && i < all.length - 1))
    .join('/');
}
const repoPath = (fallback: string) => z
  .string()
  .default(fallback)
  .superRefine((p, ctx) => {
    const why = repoPathProblem(p);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  })
  .transform(normaliseRepoPath);
const duration = (bounds: { min: number; max: number }) =>
  z.string({ error: 'a duration like "30s", "30m", "2h" or "7d"' }).superRefine((s, ctx) => {
    const p = durationProblem(s, bounds);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
const tier = z.enum(['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM'], {
  error: (iss) => `one of AUTO, CONFIRM, DOUBLE_CONFIRM (got ${JSON.stringify(iss.input)})`,
});

export const surfaceSchema = z.strictObject({
  name: z.string().min(1).regex(/^[a-z0-9][a-z0-9._-]*$/, 'a lower-case name like "agent-rules"'),
  paths: z.array(glob).min(1, 'at least one glob').max(CONFIG_LIMITS.maxGlobsPerList, `at most ${CONFIG_LIMITS.maxGlobsPerList} globs`),
  tier,
  self_reinforcing: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { error: (iss) => `1, the only version this tool reads (got ${JSON.stringify(iss.input)})` }).default(1),
    handoff: z
      .strictObject({
        paths: z.array(glob).max(CONFIG_LIMITS.maxGlobsPerList, `at most ${CONFIG_LIMITS.maxGlobsPerList} globs`).default(D.handoff.paths),
        lease_ttl: duration(DURATION_BOUNDS.lease_ttl).default(D.handoff.lease_ttl),
        task_progress: z
          .string()
          .refine((s) => s.includes('{id}'), 'a path containing "{id}"')
          .default(D.handoff.task_progress),
        task_worktree: z
          .string()
          .refine((s) => s.includes('{id}'), 'a path containing "{id}"')
          .default(D.handoff.task_worktree),
      })
      .prefault({}),
    surfaces: z.array(surfaceSchema).max(CONFIG_LIMITS.maxSurfaces, `at most ${CONFIG_LIMITS.maxSurfaces} surfaces`).default(D.surfaces),
    doc_only: z
      .strictObject({
        enabled: z.boolean().default(D.doc_only.enabled),
        max_changed_lines: z.number().int().min(0).default(D.doc_only.max_changed_lines),
        agent_instructions: z.boolean().default(false),
      })
      .prefault({}),
    approval: z
      .strictObject({
        require_signature: z.boolean().default(D.approval.require_signature),
        min_strength: z.enum(['terminal', 'software-key', 'fido-touch', 'fido-verified']).default(D.approval.min_strength),
        allowed_signers: repoPath(D.approval.allowed_signers),
        max_age: duration(DURATION_BOUNDS.max_age).default(D.approval.max_age),
      })
      .prefault({}),
    adr: z
      .strictObject({
        dir: z
          .string()
          .min(1)
          .refine((d) => !d.startsWith('/') && !/^[A-Za-z]:|\\/.test(d) && !d.split('/').includes('..'), 'a directory inside the repository (relative, without "..")')
          .default(D.adr.dir),
      })
      .prefault({}),
    review: z
      .strictObject({
        since: duration(DURATION_BOUNDS.since).default(D.review.since),
        min_samples: z.number().int().min(1).default(D.review.min_samples),
        noisy_surface_share: z.number().min(0).max(1).default(D.review.noisy_surface_share),
        rubber_stamp_rate: z.number().min(0).max(1).default(D.review.rubber_stamp_rate),
        double_confirm_share: z.number().min(0).max(1).default(D.review.double_confirm_share),
        recurring_rejections: z.number().int().min(1).default(D.review.recurring_rejections),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const globs = cfg.surfaces.reduce((n, s) => n + s.paths.length, 0);
    if (globs > CONFIG_LIMITS.maxGlobsTotal) {
      ctx.addIssue({ code: 'custom', path: ['surfaces'], message: `at most ${CONFIG_LIMITS.maxGlobsTotal} globs over all surfaces (got ${globs})` });
    }
    const seen = new Set<string>();
    cfg.surfaces.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['surfaces', i, 'name'], message: `a unique name ("${s.name}" is used twice)` });
      seen.add(s.name);
      if (s.self_reinforcing && s.tier !== 'DOUBLE_CONFIRM') {
        ctx.addIssue({
          code: 'custom',
          path: ['surfaces', i, 'tier'],
          message: 'DOUBLE_CONFIRM (a self_reinforcing surface is always DOUBLE_CONFIRM)',
        });
      }
    });
  });

/** Format zod issues as `path.to.field: what was expected`, one per problem. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((iss) => {
    const path = iss.path.length ? iss.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(top level)';
    let msg = iss.message;
    if (iss.code === 'unrecognized_keys') msg = `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')} (not allowed here)`;
    else if (iss.code === 'invalid_type') msg = `expected ${iss.expected}${/received undefined$/.test(iss.message) ? ' (missing)' : ''}`;
    return `${path}: ${msg}`;
  });
}

export type ParseResult = { ok: true; config: GatesConfig } | { ok: false; problems: string[] };

/** Validate an already-parsed document. */
export function validateConfig(doc: unknown): ParseResult {
  const r = configSchema.safeParse(doc ?? {});
  if (!r.success) return { ok: false, problems: formatIssues(r.error) };
  const { $schema: _ignored, ...rest } = r.data;
  return { ok: true, config: rest };
}

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7' });
}

/** The text of the committed schema/gates.schema.json (the build writes it; a unit test compares). */
export function configJsonSchemaText(): string {
  const schema = { $id: 'https://agent-gates.dev/schema/gates.schema.json', title: 'agent-gates configuration (.agents/gates.yaml)', ...(configJsonSchema() as object) };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

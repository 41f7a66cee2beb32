/**
 * The documented shape of every `--json` output, one zod schema per command path (as typed:
 * `lock acquire`). scripts/json-schemas.mjs turns them into schema/json/<command>.schema.json
 * (`npm run schemas`; `--check` in the test fails when a committed file is stale), and
 * test/integration/json-schemas.test.ts runs each command with --json and validates its output.
 *
 * Every document is `{ok, exitCode, ...payload}`, or the error envelope
 * `{ok: false, exitCode, error: {code, message, details, fix?, data?}}`. Keys are camelCase
 * (src/cli/views/json.ts converts the use-cases' snake_case fields at the boundary); keys of data
 * maps (`byEvent`, `blocksByReason`, …) are data. Objects the output nests deeply are documented
 * with their known fields and allow more (z.looseObject); each command's top level is closed.
 *
 * This module is never bundled into dist/ (nothing in src imports it); zod is a devDependency.
 */
import { z } from 'zod';

const sha = z.string().describe('a git object id (hex)');
const iso = z.string().describe('an ISO-8601 time');
const tier = z.enum(['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM']);

export const errorObject = z
  .object({
    code: z.string().describe('a stable machine code, e.g. USAGE, DENIED, LEASE_HELD, NOT_INTERACTIVE, LEDGER_CORRUPT'),
    message: z.string().describe('what happened and why'),
    details: z.array(z.string()).optional(),
    fix: z.string().optional().describe('the exact command that fixes it'),
    data: z.record(z.string(), z.unknown()).optional().describe('free-form facts about the error'),
  })
  .describe('why the command failed');

const envelope = { ok: z.boolean().describe('exitCode === 0'), exitCode: z.number().int().describe('0 ok, 1 denied, 2 usage, 3 cannot evaluate, 70 internal') };

/** The error envelope every command prints when it cannot run (usage, cannot evaluate, denied by a thrown error). */
export const errorEnvelope = z.strictObject({ ok: z.literal(false), exitCode: z.number().int().min(1), error: errorObject });

export const finding = z.looseObject({
  gate: z.string(),
  code: z.string().describe('e.g. B_NO_SIDECAR, A_LEASE_HELD, ADR_IMMUTABLE, C_UNAPPROVED'),
  severity: z.enum(['block', 'warn', 'info']),
  message: z.string(),
  path: z.string().optional(),
  fix: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

const holder = z.looseObject({ path: z.string(), owner: z.string().optional() });
const granted = z.looseObject({ path: z.string(), kind: z.enum(['grant', 'extend', 'takeover']), token: z.number().int(), acquired: iso, expires: iso, previous: holder.optional() });
const leaseView = z.looseObject({
  path: z.string(),
  state: z.enum(['held', 'expired', 'free']),
  owner: z.string().nullable(),
  mine: z.boolean().nullable(),
  worktree: z.string().nullable(),
  branch: z.string().nullable(),
  host: z.string().nullable(),
  pid: z.number().int().nullable(),
  acquired: iso.nullable(),
  renewed: iso.nullable(),
  expires: iso.nullable(),
  expired: z.boolean(),
  expiresInSeconds: z.number().nullable(),
  reason: z.string().nullable(),
  token: z.number().int().nullable(),
  next: z.string(),
});
const fileVerdict = z.looseObject({
  path: z.string(),
  oldPath: z.string().optional(),
  status: z.string().describe('A, M, D, R, T, …'),
  blob: sha,
  oldBlob: sha,
  tier,
  surfaces: z.array(z.string()),
  selfReinforcing: z.boolean(),
});
const carveOut = z.looseObject({
  applied: z.boolean(),
  considered: z.boolean(),
  reason: z.string(),
  failed: z.array(z.looseObject({ condition: z.string(), path: z.string().optional(), message: z.string() })),
  changedLines: z.number().int(),
  maxChangedLines: z.number().int(),
});
const violation = z.looseObject({ code: z.string(), commit: sha, path: z.string().optional(), requiredTier: tier.optional(), transition: z.looseObject({ old: z.string(), new: z.string() }).optional(), missing: z.string(), fix: z.string().optional() });
const hookHealth = z.looseObject({ hook: z.string(), ok: z.boolean() });
const worktreeHooks = z.looseObject({ ok: z.boolean(), hooksDir: z.string(), actions: z.array(z.string()), hooks: z.array(hookHealth), warning: z.string().optional() });
const fileReport = z.looseObject({ path: z.string(), status: z.string() });
const leaseError = errorObject.optional().describe('set when the command was denied (exit 1)');

const inboxCard = z.looseObject({
  id: z.string().describe('stable short id: gate inbox approve <id>'),
  worktree: z.string(),
  branch: z.string().optional(),
  asker: z.looseObject({ kind: z.string(), id: z.string(), session: z.string().optional() }),
  tier,
  intent: z.string(),
  files: z.array(z.looseObject({ path: z.string(), oldPath: z.string().optional(), status: z.string(), added: z.number().int(), removed: z.number().int(), binary: z.boolean().optional() })),
  createdAt: iso,
  ageS: z.number().int(),
  tree: sha,
  sidecar: z.string(),
  current: z.boolean().describe("the worktree's staged tree is still the explained one"),
  staleReason: z.string().optional(),
  staleDetails: z.array(z.string()).optional(),
  state: z.enum(['pending', 'approved', 'rejected']),
  stepsNeeded: z.array(z.string()),
  stepsDone: z.array(z.string()),
  rejections: z.array(z.looseObject({ path: z.string(), at: iso, by: z.string(), reason: z.string(), seq: z.number().int() })).describe('earlier rejections of the same paths, newest first, at most 3'),
  approve: z.string(),
});

/** `gate inbox approve|reject <id> --remote`: the signed decision published for another clone (ADR 0027). */
const remoteDecision = {
  decision: z.enum(['approve', 'reject']).optional().describe('--remote: the decision published'),
  repoId: z.string().optional().describe("--remote: the waiting clone's repository id"),
  remote: z.string().optional().describe('--remote: where it was published'),
  ref: z.string().optional().describe('--remote: refs/agent-gates/approvals/<repo-id>/<card id>'),
  commit: sha.optional().describe("--remote: the decision's commit (absent when aborted)"),
  steps: z.array(z.string()).optional().describe('--remote: the steps signed (confirm, or intent and diff)'),
};

/** Payloads (without the envelope), by command path. */
const payloads = {
  init: {
    root: z.string(),
    files: z.array(fileReport),
    hooks: z.looseObject({ manager: z.string().describe('the hook manager the gates were installed into: husky, lefthook, pre-commit, simple-git-hooks, git or direct'), mode: z.string(), hooks: z.array(z.string()), files: z.array(fileReport), next: z.array(z.string()) }),
    notesRewriteRef: z.string(),
    lintStaged: z.looseObject({ configured: z.boolean(), installed: z.boolean() }),
    husky: z.looseObject({ installed: z.boolean(), declared: z.boolean() }),
    firstRun: z.boolean(),
    recorded: z.boolean(),
    next: z.array(z.string()),
    agent: z.unknown().optional(),
  },
  uninstall: {
    root: z.string(),
    files: z.array(fileReport).describe('each file removed, restored (a chained hook put back), updated (a line or entry taken out) or skipped (changed by hand)'),
    actions: z.array(z.string()),
    kept: z.array(z.string()).describe('what stays without --purge'),
    purged: z.boolean(),
    next: z.array(z.string()),
  },
  doctor: {
    root: z.string(),
    initialised: z.boolean(),
    healthy: z.boolean(),
    checks: z.array(z.looseObject({ id: z.string(), title: z.string(), status: z.enum(['ok', 'warn', 'problem']), message: z.string(), details: z.array(z.string()).optional(), fix: z.string().optional() })),
  },
  check: {
    // --hook
    hook: z.string().optional().describe('with --hook: the git hook that ran'),
    tree: sha.optional(),
    commit: sha.optional().describe('with --hook post-commit: the commit made'),
    lintStaged: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    // --range
    range: z.string().optional().describe('with --range: the range as given'),
    base: sha.optional(),
    head: sha.optional(),
    commits: z.array(z.looseObject({ commit: sha, tree: sha, subject: z.string().optional(), tier, gated: z.number().int(), coveredBy: z.string().optional(), surfaces: z.array(z.string()), violations: z.array(violation), hasNote: z.boolean() })).optional(),
    violations: z.array(violation).optional(),
    warnings: z.array(z.string()).optional(),
    signaturesRequired: z.boolean().optional(),
    leases: z
      .looseObject({
        remote: z.string().describe("handoff.remote in the base's config"),
        required: z.number().int().describe('handoff changes (commit, path) in the range that needed lease evidence'),
        fetched: z.boolean().describe("whether the remote's refs/agent-gates/fence/* were fetched (only when some change needed evidence)"),
        checked: z.array(z.looseObject({ commit: sha, path: z.string(), version: sha.describe('the grant on the fence ref'), token: z.number().int(), owner: z.string() })).describe('the evidence that held'),
      })
      .optional()
      .describe("with --range and handoff.remote at the base: handoff changes checked against the remote's lease history (ADR 0026)"),
    findings: z.array(finding),
  },
  status: {
    tree: sha,
    head: sha.optional(),
    tier,
    classifiedTier: tier,
    stagedFiles: z.number().int(),
    files: z.array(fileVerdict),
    carveOut,
    sidecar: z.looseObject({ state: z.enum(['not needed', 'missing', 'invalid', 'ok']).describe("the explanation of THIS staged tree ('missing': its file does not exist)"), path: z.string().optional(), problems: z.array(z.string()).optional(), digest: z.string().optional(), others: z.array(z.string()).optional().describe('explanations written for other staged trees (the content changed since)') }),
    approvals: z.looseObject({ required: z.array(z.string()), present: z.array(z.looseObject({ step: z.string(), approver: z.string(), at: iso, seq: z.number().int(), via: z.enum(['terminal', 'web + passkey', 'web + security-key', 'remote + ssh-signature']).describe('where and how the approval was given') })), rejections: z.array(z.string()) }),
    wouldCommit: z.boolean(),
    findings: z.array(finding),
    ledger: z.looseObject({ ok: z.boolean(), entries: z.number().int(), pending: z.number().int().describe('deferred commit records not yet folded in'), problem: z.string().optional() }),
  },
  explain: {
    written: z.boolean(),
    tree: sha,
    tier,
    path: z.string().optional(),
    digest: z.string().optional(),
    files: z.array(fileVerdict),
    carveOut,
    priorRejections: z.array(z.looseObject({ seq: z.number().int(), ts: iso, tree: sha.optional(), paths: z.array(z.string()), reason: z.string(), by: z.string() })),
    next: z.string(),
    replacedApprovals: z.number().int().optional(),
    cleaned: z.array(z.string()).optional().describe('old explanations removed: their tree is committed, or they were abandoned past approval.max_age'),
    formatted: z
      .looseObject({ tool: z.literal('lint-staged'), tasks: z.array(z.string()).describe('configured tasks whose glob matched a staged file (empty when the config is code)'), changed: z.array(z.string()).describe('staged files the tasks rewrote and restaged') })
      .optional()
      .describe("the project's lint-staged tasks, run on the staged files before the tree was bound, so the commit's own run changes nothing"),
  },
  approve: {
    tree: sha,
    tier: z.string(),
    path: z.string().optional(),
    recorded: z.array(z.looseObject({ step: z.string(), seq: z.number().int(), principal: z.string().optional().describe('--fetch: who signed'), key: z.string().optional().describe('--fetch: the signing key fingerprint') })),
    already: z.array(z.string()).optional().describe('absent with --fetch'),
    complete: z.boolean().optional().describe('absent with --fetch'),
    aborted: z.string().optional(),
    status: z.enum(['approved', 'rejected', 'already', 'waiting', 'nothing']).optional().describe('--fetch: what the decision on the remote did (exit 1 for waiting and rejected)'),
    remote: z.string().optional().describe('--fetch: the remote the decision was fetched from'),
    id: z.string().optional().describe("--fetch: this staged tree's card id"),
    ref: z.string().optional().describe('--fetch: refs/agent-gates/approvals/<repo-id>/<card id>'),
    commit: sha.optional().describe("--fetch: the decision's commit on the remote"),
    reason: z.string().optional().describe('--fetch: the reason of a rejection'),
    rejecter: z.string().optional().describe('--fetch: the principal who signed the rejection'),
    next: z.string(),
  },
  reject: { tree: sha, tier: z.string(), seq: z.number().int(), sidecarUpdated: z.boolean(), path: z.string().optional(), next: z.string() },
  inbox: {
    cards: z.array(inboxCard).describe('newest first; without --all only the pending ones (current or stale)'),
    problems: z.array(z.looseObject({ worktree: z.string(), sidecar: z.string(), problems: z.array(z.string()) })).describe('explanations that cannot be read (never approvable)'),
    worktrees: z.number().int().describe('worktrees of the clone looked at'),
    remote: z
      .looseObject({
        name: z.string(),
        cards: z.array(z.looseObject({ repoId: z.string(), id: z.string(), worktree: z.string(), tree: sha, tier: z.string(), intent: z.string(), asker: z.looseObject({ kind: z.string(), id: z.string() }), files: z.array(z.looseObject({ path: z.string(), status: z.string() })), ageS: z.number().int(), decision: z.enum(['approve', 'reject', 'unreadable']).optional().describe('a decision given on another clone waits on the remote for `gate approve --fetch` on the waiting clone') })),
        problems: z.array(z.looseObject({ ref: z.string(), problem: z.string() })),
      })
      .optional()
      .describe('with --remote: cards other clones published on the shared remote (decide them with gate inbox approve|reject <id> --remote)'),
  },
  'inbox approve': {
    id: z.string(),
    worktree: z.string(),
    branch: z.string().optional(),
    tree: sha,
    tier: z.string(),
    path: z.string().optional(),
    recorded: z.array(z.looseObject({ step: z.string(), seq: z.number().int() })).optional().describe('absent with --remote'),
    already: z.array(z.string()).optional().describe('absent with --remote'),
    complete: z.boolean().optional().describe('absent with --remote'),
    aborted: z.string().optional(),
    ...remoteDecision,
    next: z.string(),
  },
  'inbox reject': { id: z.string(), worktree: z.string(), branch: z.string().optional(), tree: sha, tier: z.string(), seq: z.number().int().optional().describe('absent with --remote'), sidecarUpdated: z.boolean().optional().describe('absent with --remote'), path: z.string().optional(), ...remoteDecision, next: z.string() },
  'audit verify': {
    path: z.string().optional().describe('absent with --team'),
    entries: z.number().int(),
    size: z.number().int().optional().describe('absent with --team'),
    remote: z.string().optional().describe("with --team: the remote whose refs/agent-gates/ledger/* were fetched"),
    clones: z.array(z.looseObject({ repoId: z.string(), local: z.boolean(), entries: z.number().int(), ok: z.boolean(), problems: z.array(z.looseObject({})), warnings: z.array(z.string()) })).optional().describe("with --team: every clone's ledger"),
    problems: z.array(z.looseObject({ repoId: z.string(), line: z.number().int(), reason: z.string(), message: z.string() })).optional().describe('with --team: every problem, naming its clone (repo id) and line'),
    tip: z.string().optional(),
    warnings: z.array(z.string()).optional().describe('absent with --team (each clone has its own)'),
    head: z.looseObject({ seq: z.number().int(), hash: z.string() }).optional(),
    signed: z.looseObject({ ok: z.boolean(), untrusted: z.array(z.string()).describe('signed points dropped: their key is not in the trusted allowed_signers (each with why)'), trusted_by: z.string().optional().describe('the allowed_signers path and the revision trusted ("HEAD" or --trust\'s)') }).optional(),
    problem: z.looseObject({ message: z.string() }).optional(),
    folded: z.number().int().optional(),
    pending: z.number().int().optional(),
  },
  'ledger publish': {
    status: z.enum(['published', 'up to date', 'empty']),
    remote: z.string(),
    ref: z.string().optional(),
    repoId: z.string().optional(),
    entries: z.number().int(),
    commit: sha.optional(),
    previous: sha.optional().describe('the published tip this publication extends'),
    publishedBefore: z.number().int().optional(),
    pending: z.looseObject({ published: z.array(z.string()), withdrawn: z.array(z.string()) }).optional().describe("this worktree's pending approval published, stale ones withdrawn"),
  },
  'ledger pending': {
    remote: z.string(),
    cards: z.array(
      z.looseObject({ repoId: z.string(), id: z.string(), ref: z.string(), commit: sha, worktree: z.string(), tree: sha, tier: z.string(), intent: z.string(), asker: z.looseObject({ kind: z.string(), id: z.string() }), files: z.array(z.looseObject({ path: z.string(), status: z.string() })), createdAt: iso, publishedAt: iso, ageS: z.number().int(), digest: z.string(), diff: z.string().optional() }),
    ),
    problems: z.array(z.looseObject({ ref: z.string(), problem: z.string() })),
  },
  'audit checkpoint': {
    note: z.string().optional(),
    origin: z.string().optional(),
    size: z.number().int().optional(),
    root: z.string().optional(),
    signedBy: z.array(z.string()).optional(),
    newest: z.boolean().optional(),
    stored: z.string().optional(),
    problem: z.looseObject({ reason: z.string(), message: z.string() }).optional().describe('with --verify: why the checkpoint was refused'),
  },
  'audit repair': { cut: z.number().int(), recorded: z.boolean(), headRebuilt: z.number().int().optional(), restarted: z.looseObject({ previous: z.string().nullable(), id: z.string() }).optional() },
  'lock acquire': { owner: z.string(), granted: z.array(granted), denied: z.array(holder), attempts: z.number().int(), remote: z.string().optional(), error: leaseError },
  'lock release': { owner: z.string(), released: z.array(z.looseObject({ path: z.string(), token: z.number().int() })), free: z.array(z.string()), denied: z.array(holder), remote: z.string().optional(), error: leaseError },
  'lock renew': { owner: z.string(), renewed: z.array(z.looseObject({ path: z.string(), token: z.number().int(), expires: iso })), free: z.array(z.string()), denied: z.array(holder), remote: z.string().optional(), error: leaseError },
  'lock status': { now: iso, identity: z.string().nullable(), handoff: z.array(z.string()), leases: z.array(leaseView), source: z.string().optional() },
  'lock break': { path: z.string(), broken: z.boolean(), previous: z.unknown(), by: z.string(), reason: z.string(), proof: z.unknown().optional(), aborted: z.string().optional() },
  'task start': {
    id: z.string(),
    owner: z.string(),
    branch: z.string(),
    worktree: z.string(),
    base: z.string(),
    progress: z.string(),
    lease: granted.optional(),
    denied: z.array(holder).optional(),
    hooks: worktreeHooks.optional(),
    next: z.array(z.string()),
    error: leaseError,
  },
  'task finish': { id: z.string(), owner: z.string(), released: z.array(z.string()), kept: z.array(holder), worktree: z.looseObject({ path: z.string(), existed: z.boolean(), removed: z.boolean(), dirty: z.array(z.string()) }), branch: z.string(), next: z.array(z.string()) },
  'task list': { tasks: z.array(z.looseObject({ id: z.string(), branch: z.string(), worktree: z.string().nullable(), head: z.string().nullable(), progress: z.string(), lease: leaseView })) },
  'adr new': { number: z.number().int(), path: z.string(), title: z.string(), supersedes: z.array(z.number().int()), deciders: z.array(z.string()), next: z.string() },
  'adr accept': { number: z.number().int(), path: z.string(), title: z.string(), supersedes: z.array(z.number().int()), deciders: z.array(z.string()), next: z.string() },
  'adr list': {
    dir: z.string(),
    records: z.array(z.looseObject({ number: z.number().int(), title: z.string(), status: z.string(), effective: z.string(), label: z.string(), supersededBy: z.array(z.number().int()), supersedes: z.array(z.number().int()), date: z.string(), deciders: z.array(z.string()), path: z.string() })),
    invalid: z.array(z.looseObject({ path: z.string(), problems: z.array(z.looseObject({ field: z.string(), message: z.string() })) })),
  },
  'adr check': { dir: z.string(), records: z.number().int(), findings: z.array(finding) },
  review: {
    // --out: what was written
    out: z.string().optional().describe('with --out: the file written (the report itself is in the file)'),
    format: z.string().optional(),
    recommendations: z.union([z.number().int(), z.array(z.looseObject({ kind: z.string(), title: z.string(), action: z.string(), evidence: z.array(z.string()) }))]).describe('the recommendations (their count with --out)'),
    trusted: z.boolean(),
    // the report
    tool: z.string().optional(),
    generatedAt: iso.optional(),
    repository: z.string().optional(),
    window: z.looseObject({ since: iso, until: iso, label: z.string() }).optional(),
    integrity: z.looseObject({ ok: z.boolean() }).optional(),
    ledger: z.looseObject({}).optional(),
    leaseRecords: z.looseObject({}).optional(),
    history: z.looseObject({}).optional(),
    adr: z.looseObject({}).optional(),
    health: z.looseObject({}).optional(),
    drift: z.looseObject({}).optional(),
    thresholds: z.record(z.string(), z.number()).optional(),
    team: z.looseObject({ remote: z.string(), ok: z.boolean(), entries: z.number().int(), clones: z.array(z.looseObject({ repoId: z.string() })), problems: z.array(z.looseObject({ repoId: z.string(), line: z.number().int() })) }).optional().describe("with --team: every clone's published ledger (the ledger figures cover them all)"),
  },
} satisfies Record<string, z.ZodRawShape>;

export type JsonCommand = keyof typeof payloads;

/** The full document each command prints: its payload in the envelope, or the error envelope. */
export const JSON_OUTPUTS: Record<string, z.ZodType> = Object.fromEntries(
  Object.entries(payloads).map(([cmd, shape]) => [cmd, z.union([z.strictObject({ ...envelope, ...shape }), errorEnvelope]).describe(`\`gate ${cmd} --json\``)]),
);

import { describe, expect, it } from 'vitest';
import { fidoKey, fidoSign, softKey } from '../../helpers/ssh.js';
import { checkSignedApprovals, type SignedApprovalFacts, type StoredApproval } from '../../../src/gates/signed-approval.js';
import { parsePayload, serializePayload, type ApprovalPayload } from '../../../src/signing/payload.js';
import { APPROVAL_NAMESPACE } from '../../../src/signing/sshsig.js';
import { approvalStrength } from '../../../src/signing/strength.js';
import { evaluateSignedPoints } from '../../../src/signing/signed-points.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';

const T = 'a'.repeat(40);
const ROOT = 'b'.repeat(40);
const PARENT = 'c'.repeat(40);
const BLOB = 'd'.repeat(40);
const DIGEST = 'e'.repeat(64);
const HEAD = 'f'.repeat(64);
const NOW = new Date('2026-11-21T06:00:00Z');
const alice = softKey();
const fido = fidoKey('ecdsa');

function payload(over: Partial<ApprovalPayload> = {}): ApprovalPayload {
  return {
    v: 1,
    type: 'agent-gates/approval',
    repo: { id: 'repo-1', root: ROOT },
    parent: PARENT,
    tree: T,
    tier: 'CONFIRM',
    step: 'confirm',
    files: [{ path: 'rules/a.md', status: 'M', blob: BLOB, old_blob: '0'.repeat(40) }],
    digest: DIGEST,
    ledger: { size: 3, head: HEAD },
    principal: 'alice@example.com',
    nonce: '1'.repeat(32),
    at: '2026-11-21T05:59:00.000Z',
    ...over,
  };
}

function approval(p: ApprovalPayload, sign: (ns: string, m: string) => string = alice.sign, tweak: (s: Record<string, unknown>) => void = () => {}): StoredApproval {
  const bytes = serializePayload(p);
  const signature: Record<string, unknown> = { format: 'sshsig', namespace: APPROVAL_NAMESPACE, payload: bytes, signature: sign(APPROVAL_NAMESPACE, bytes), principal: p.principal, key: 'x' };
  tweak(signature);
  return { step: p.step, tier: p.tier, method: 'ssh-signature', signature };
}

function facts(approvals: StoredApproval[], over: Partial<SignedApprovalFacts> = {}): SignedApprovalFacts {
  return {
    policy: { require: true, minStrength: 'software-key', maxAgeMs: 7 * 86_400_000 },
    allowedSigners: { path: '.agents/allowed_signers', at: 'HEAD', text: `alice@example.com ${alice.pubLine}\nalice@example.com ${fido.pubLine}\n` },
    expect: { repo: { id: 'repo-1', root: ROOT }, parent: PARENT, tree: T, tier: 'CONFIRM', files: payload().files, digest: DIGEST },
    approvals,
    requiredSteps: ['confirm'],
    now: NOW,
    ledgerHashAt: new Map([[3, HEAD]]),
    ...over,
  };
}

const codes = (f: SignedApprovalFacts) => checkSignedApprovals(f).map((x) => x.code);

describe('checkSignedApprovals', () => {
  it('a valid signed approval passes', () => expect(checkSignedApprovals(facts([approval(payload())]))).toEqual([]));
  it('not required → nothing to check', () => expect(codes(facts([], { policy: { require: false, minStrength: 'terminal', maxAgeMs: 1 } }))).toEqual([]));
  it('AUTO → nothing to check', () => expect(codes(facts([], { expect: { ...facts([]).expect, tier: 'AUTO' } }))).toEqual([]));
  it('CI: no repo id and no ledger → still verifies the rest', () =>
    expect(codes(facts([approval(payload())], { expect: { ...facts([]).expect, repo: { root: ROOT } }, ledgerHashAt: undefined }))).toEqual([]));

  const table: Array<[string, SignedApprovalFacts, string, RegExp?]> = [
    ['no approvals', facts([]), 'SIG_MISSING'],
    ['terminal approval only', facts([{ step: 'confirm', tier: 'CONFIRM', method: 'terminal' }]), 'SIG_MISSING'],
    ['allowed_signers not committed', facts([approval(payload())], { allowedSigners: { path: 'p', at: 'HEAD', text: undefined } }), 'SIG_NO_SIGNERS'],
    // a bad line is ignored as OpenSSH ignores it (allowed-signers.test.ts); only an unreadable file is invalid
    ['allowed_signers unparsable', facts([approval(payload())], { allowedSigners: { path: 'p', at: 'HEAD', text: `# ${'x'.repeat(1024 * 1024)}` } }), 'SIG_SIGNERS_INVALID'],
    ['wrong principal', facts([approval(payload({ principal: 'bob@example.com' }))]), 'SIG_PRINCIPAL', /not for principal "bob@example.com"/],
    ['unlisted key', facts([approval(payload(), softKey().sign)]), 'SIG_PRINCIPAL', /not listed/],
    ['other tree', facts([approval(payload({ tree: '9'.repeat(40) }))]), 'SIG_BINDING', /signed for tree/],
    ['other parent', facts([approval(payload({ parent: '9'.repeat(40) }))]), 'SIG_BINDING', /parent commit/],
    ['other repo id', facts([approval(payload({ repo: { id: 'repo-2', root: ROOT } }))]), 'SIG_BINDING', /repository repo-2/],
    ['other root', facts([approval(payload({ repo: { id: 'repo-1', root: null } }))]), 'SIG_BINDING', /root commit/],
    ['missing file', facts([approval(payload({ files: [] }))]), 'SIG_BINDING', /staged but not signed/],
    ['extra file', facts([approval(payload({ files: [...payload().files, { path: 'x', status: 'A', blob: BLOB, old_blob: BLOB }] }))]), 'SIG_BINDING', /signed but not staged/],
    ['lower tier', facts([approval(payload({ tier: 'CONFIRM' }))], { expect: { ...facts([]).expect, tier: 'DOUBLE_CONFIRM' }, requiredSteps: ['intent', 'diff'] }), 'SIG_BINDING'],
    ['digest', facts([approval(payload({ digest: '7'.repeat(64) }))]), 'SIG_BINDING', /digest/],
    ['expired', facts([approval(payload({ at: '2026-11-01T00:00:00.000Z' }))]), 'SIG_EXPIRED'],
    ['future', facts([approval(payload({ at: '2026-11-21T07:00:00.000Z' }))]), 'SIG_TIME'],
    ['ledger truncated', facts([approval(payload())], { ledgerHashAt: new Map([[3, undefined]]) }), 'SIG_LEDGER', /truncated/],
    ['ledger rewritten', facts([approval(payload())], { ledgerHashAt: new Map([[3, '0'.repeat(64)]]) }), 'SIG_LEDGER', /rewritten/],
    ['wrong namespace record', facts([approval(payload(), alice.sign, (s) => (s.namespace = 'git'))]), 'SIG_MALFORMED'],
    ['signature made in another namespace', facts([approval(payload(), (_ns, m) => alice.sign('git', m))]), 'SIG_INVALID', /namespace "git"/],
    ['payload edited under the signature', facts([approval(payload(), alice.sign, (s) => (s.payload = (s.payload as string).replace('rules/a.md', 'rules/b.md')))]), 'SIG_INVALID'],
    ['payload re-encoded (not canonical)', facts([approval(payload(), (ns, m) => alice.sign(ns, ' ' + m), (s) => (s.payload = ' ' + (s.payload as string)))]), 'SIG_PAYLOAD', /canonical/],
    ['unknown format', facts([approval(payload(), alice.sign, (s) => (s.format = 'gpg'))]), 'SIG_MALFORMED'],
    ['software key under fido-touch', facts([approval(payload())], { policy: { require: true, minStrength: 'fido-touch', maxAgeMs: 7 * 86_400_000 } }), 'SIG_STRENGTH', /software key/],
    ['FIDO without touch under fido-touch', facts([approval(payload(), (ns, m) => fidoSign(fido, ns, m, 0))], { policy: { require: true, minStrength: 'fido-touch', maxAgeMs: 7 * 86_400_000 } }), 'SIG_STRENGTH', /without user presence/],
  ];
  for (const [name, f, code, re] of table) {
    it(`blocks: ${name} → ${code}`, () => {
      const out = checkSignedApprovals(f);
      expect(out.map((x) => x.code)).toContain(code);
      expect(out.every((x) => x.severity === 'block' && x.gate === 'signature' && x.fix)).toBe(true);
      if (re) expect(out.map((x) => x.message).join('\n')).toMatch(re);
    });
  }

  it('FIDO with touch satisfies fido-touch; UV alone without UP does not', () => {
    const pol = { require: true, minStrength: 'fido-touch' as const, maxAgeMs: 7 * 86_400_000 };
    expect(codes(facts([approval(payload(), (ns, m) => fidoSign(fido, ns, m, 0x01))], { policy: pol }))).toEqual([]);
    expect(codes(facts([approval(payload(), (ns, m) => fidoSign(fido, ns, m, 0x04))], { policy: pol }))).toContain('SIG_STRENGTH');
  });

  it('DOUBLE_CONFIRM needs a signature per step; one signature cannot serve both', () => {
    const dc = { ...facts([]).expect, tier: 'DOUBLE_CONFIRM' as const };
    const intent = approval(payload({ tier: 'DOUBLE_CONFIRM', step: 'intent' }));
    const diff = approval(payload({ tier: 'DOUBLE_CONFIRM', step: 'diff', nonce: '2'.repeat(32) }));
    expect(codes(facts([intent, diff], { expect: dc, requiredSteps: ['intent', 'diff'] }))).toEqual([]);
    const onlyIntent = checkSignedApprovals(facts([intent], { expect: dc, requiredSteps: ['intent', 'diff'] }));
    expect(onlyIntent.map((x) => x.code)).toEqual(['SIG_MISSING']);
    expect(onlyIntent[0]!.message).toContain('"diff" step');
    // the intent signature relabelled as the diff step → binding failure
    const relabelled = { ...intent, step: 'diff' as const };
    expect(codes(facts([intent, relabelled], { expect: dc, requiredSteps: ['intent', 'diff'] }))).toEqual(['SIG_BINDING', 'SIG_MISSING']);
  });

  it('a bad signature blocks even when another approval for the step is good', () => {
    const good = approval(payload());
    const bad = approval(payload({ nonce: '3'.repeat(32) }), softKey().sign);
    expect(codes(facts([good, bad]))).toEqual(['SIG_PRINCIPAL']);
  });
});

describe('payload format', () => {
  it('round-trips and is canonical (sorted keys, files sorted by path)', () => {
    const p = payload({ files: [{ path: 'z', status: 'A', blob: BLOB, old_blob: BLOB }, { path: 'a', status: 'M', blob: BLOB, old_blob: BLOB }] });
    const s = serializePayload(p);
    expect(s.startsWith('{"at":')).toBe(true);
    const back = parsePayload(s);
    expect(typeof back).toBe('object');
    expect((back as ApprovalPayload).files.map((f) => f.path)).toEqual(['a', 'z']);
  });
  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['unknown field', serializePayload(payload()).replace('{"at"', '{"admin":true,"at"'), /unknown field "admin"/],
    ['pretty-printed', JSON.stringify(JSON.parse(serializePayload(payload())), null, 2), /canonical/],
    ['bad tree', serializePayload(payload({ tree: 'xyz' })), /tree/],
    ['negative size', serializePayload(payload({ ledger: { size: -1, head: HEAD } })), /ledger/],
  ])('refuses %s', (_n, text, re) => expect(parsePayload(text)).toMatch(re));
});

describe('approvalStrength (for gate doctor)', () => {
  const cfg = (approval: Partial<ReturnType<typeof defaultConfig>['approval']>) => {
    const c = defaultConfig();
    c.approval = { ...c.approval, ...approval };
    return c;
  };
  it('terminal by default, saying what it does not stop', () => {
    const r = approvalStrength(defaultConfig(), undefined);
    expect(r.level).toBe('terminal');
    expect(r.explanation).toMatch(/does NOT stop an agent that drives a pseudo-terminal/);
  });
  it('software-key with signers committed', () => {
    const r = approvalStrength(cfg({ require_signature: true }), `alice@x ${alice.pubLine}\n`);
    expect(r).toMatchObject({ level: 'software-key', signers: 1, fidoSigners: 0, problems: [] });
  });
  it('fido-touch; warns when no FIDO key is listed', () => {
    expect(approvalStrength(cfg({ require_signature: true, min_strength: 'fido-touch' }), `alice@x ${fido.pubLine}\n`)).toMatchObject({ level: 'fido-touch', fidoSigners: 1, problems: [] });
    expect(approvalStrength(cfg({ min_strength: 'fido-touch' }), `alice@x ${alice.pubLine}\n`).problems.join()).toMatch(/lists no FIDO/);
  });
  it('required but not committed → every gated commit blocks, and says so', () => {
    expect(approvalStrength(cfg({ require_signature: true }), undefined).problems.join()).toMatch(/not committed at HEAD/);
  });
});

describe('evaluateSignedPoints', () => {
  const pts = [
    { size: 2, head: 'h2', source: 'ledger #3', principal: 'alice' },
    { size: 5, head: 'h5', source: 'note on abc', principal: 'alice' },
  ];
  it('all hold → newest is the largest', () => expect(evaluateSignedPoints(pts, new Map([[2, 'h2'], [5, 'h5']]))).toMatchObject({ ok: true, newest: { size: 5 } }));
  it('rewrite between points → fails at the later point, bounded by the earlier', () => {
    const r = evaluateSignedPoints(pts, new Map([[2, 'h2'], [5, 'xx']]));
    expect(r).toMatchObject({ ok: false, newest: { size: 2 }, problem: { line: 5, reason: 'edited', holdsUpTo: 2 } });
    expect(r.problem!.message).toContain('lines 3..5 were rewritten');
  });
  it('rewrite before the first point → fails there', () => expect(evaluateSignedPoints(pts, new Map([[2, 'zz'], [5, 'h5']]))).toMatchObject({ ok: false, problem: { line: 2, reason: 'edited' } }));
  it('truncated below a point', () => expect(evaluateSignedPoints(pts, new Map([[2, 'h2'], [5, undefined]]))).toMatchObject({ ok: false, problem: { line: 5, reason: 'truncated' } }));
  it('no points → ok without newest', () => expect(evaluateSignedPoints([], new Map())).toEqual({ ok: true, checked: 0 }));
});

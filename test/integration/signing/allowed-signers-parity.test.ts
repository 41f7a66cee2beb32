/**
 * Parity with OpenSSH (issue 12, signers-file bullet): for every case of a corpus of allowed_signers
 * files × principals × signatures × verify times, in three time zones, our verifier (verifySshsig +
 * parseAllowedSigners + matchSigner, the path `gate check --range` and the pre-commit use) and
 * `ssh-keygen -Y verify -O verify-time=…` (OpenSSH 9.2 here) must give the same verdict.
 * Times without `Z` are local (TZ); glibc reads them as standard time (tm_isdst = 0), which the
 * America/Los_Angeles summer instants below pin down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, makeTempDir } from '../../helpers/repo.js';
import { keygen, sh, sshSign, type TestKey } from '../../helpers/ssh.js';
import { APPROVAL_NAMESPACE, verifySshsig } from '../../../src/signing/sshsig.js';
import { matchSigner, parseAllowedSigners } from '../../../src/signing/allowed-signers.js';

const NS = APPROVAL_NAMESPACE;
const MSG = Buffer.from('{"v":1,"type":"agent-gates/approval"}');
const ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata'];

let dir: string;
let env: NodeJS.ProcessEnv;
let k1: TestKey;
let k2: TestKey;
let sig1: string;
let sig1other: string;
let sig2: string;

beforeAll(() => {
  dir = makeTempDir('gate-parity-');
  env = cleanEnv(join(dir, 'home'));
  k1 = keygen(dir, 'k1', 'ed25519', undefined, env);
  k2 = keygen(dir, 'k2', 'ecdsa', undefined, env);
  sig1 = sshSign(k1.path, NS, MSG, env);
  sig1other = sshSign(k1.path, 'git', MSG, env);
  sig2 = sshSign(k2.path, NS, MSG, env);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const K1 = () => k1.pubLine;
const K2 = () => k2.pubLine;

/** Files whose verdict does not depend on time: checked at one instant, for several principals. */
const PLAIN: Array<() => string> = [
  () => `alice@example.com ${K1()}`,
  () => `*@example.com ${K1()}`,
  () => `*,!mallory@example.com ${K1()}`,
  () => `"alice@example.com,bob@example.com" ${K1()}`,
  () => `a?ice@example.com ${K1()}`,
  () => `ALICE@example.com ${K1()}`,
  () => `alice@example.com namespaces="other" ${K1()}`,
  () => `alice@example.com namespaces="agent-gates-*" ${K1()}`,
  () => `alice@example.com NAMESPACES="x,agent-gates-approval@v1" ${K1()}`,
  () => `alice@example.com namespaces="a\\"b,agent-gates-approval@v1" ${K1()}`,
  () => `alice@example.com namespaces="agent-gates-approval@v1,!agent-*" ${K1()}`,
  () => `alice@example.com cert-authority ${K1()}`,
  () => `alice@example.com cert-authority,namespaces="x" ${K1()}`,
  () => `alice@example.com namespaces=agent-gates-approval@v1 ${K1()}`,
  () => `alice@example.com bogus-option ${K1()}`,
  () => `alice@example.com namespaces="x",namespaces="y" ${K1()}`,
  () => `alice@example.com ${K2()}`,
  () => `# comment\n\n   alice@example.com\t${K1()} laptop key`,
  () => `alice@example.com\ngarbage "line\nalice@example.com ${K1()}`,
  () => `"alice@example.com ${K1()}`,
  () => `alice@example.com,mallory@example.com ssh-ed25519 AAAA!!\nbob@example.com ${K1()}`,
  () => `alice@example.com valid-before="19700101Z" ${K1()}`,
  () => `??@x ${K1()}`,
  () => `?@x ${K1()}`,
  () => `"alice@example.com" ${K1()}comment-glued`,
];
const PRINCIPALS = ['alice@example.com', 'bob@example.com', 'mallory@example.com', '\u00e9@x'];

/** Files with validity windows: checked at instants around their boundaries in each zone. */
const TIMED: Array<() => string> = [
  () => `alice@example.com valid-after="20260601" ${K1()}`,
  () => `alice@example.com valid-before="20260601120000" ${K1()}`,
  () => `alice@example.com valid-after="20260601Z" ${K1()}`,
  () => `alice@example.com valid-after="202606010800UTC" ${K1()}`,
  () => `alice@example.com valid-after="20260701",valid-before="20260702" ${K1()}`,
  () => `alice@example.com valid-after="20260631" ${K1()}`,
  () => `"alice@example.com" valid-after="202606011230" ${K1()} comment`,
  () => `alice@example.com valid-after="20260601Z",valid-after="20260101Z" ${K1()}`,
  () => `alice@example.com valid-after="2026060" ${K1()}`,
  () => `alice@example.com valid-after="20260601z" ${K1()}\nalice@example.com valid-before="20260101Z" ${K1()}`,
];
const INSTANTS = [
  '2026-05-31T18:29:59Z', '2026-05-31T18:30:00Z', '2026-05-31T23:59:59Z', '2026-06-01T00:00:00Z',
  '2026-06-01T06:59:59Z', '2026-06-01T07:00:00Z', '2026-06-01T07:59:59Z', '2026-06-01T08:00:00Z',
  '2026-06-01T12:00:00Z', '2026-06-01T12:00:01Z', '2026-06-01T19:00:00Z', '2026-06-01T20:00:01Z',
  '2026-06-30T23:00:00Z', '2026-07-01T06:59:59Z', '2026-07-01T07:00:00Z', '2026-07-01T08:00:00Z',
  '2026-07-02T07:00:00Z', '2026-07-02T08:00:00Z', '2026-07-02T08:00:01Z',
];

function sshTime(iso: string): string {
  return `${iso.replace(/[-:]/g, '').replace('T', '').replace(/Z$/, '')}Z`;
}

/** One verdict to ask OpenSSH for: `ssh-keygen -Y verify` of `signature` over MSG against `file`, as `principal`, at `at`, under TZ=`tz`. */
interface Query {
  tz: string;
  file: string;
  principal: string;
  signature: string;
  at: string;
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let n = 0;

/**
 * OpenSSH's verdicts for `queries`, in order: one real `ssh-keygen -Y verify -O verify-time=…`
 * process per query (its exit status is the verdict), started by one `sh` rather than one
 * spawnSync each (forking the test worker costs more CPU than ssh-keygen itself). Each query has
 * its own allowed_signers file, signature file and TZ, and reads MSG on stdin, as a single run would.
 */
function openssh(queries: readonly Query[]): boolean[] {
  const files = new Map<string, string>(); // file content, signature → the path written
  const written = (text: string, prefix: string) => {
    let f = files.get(`${prefix}\0${text}`);
    if (f === undefined) {
      f = join(dir, `${prefix}-${++n}`);
      writeFileSync(f, text);
      files.set(`${prefix}\0${text}`, f);
    }
    return f;
  };
  const msg = join(dir, `msg-${++n}`);
  writeFileSync(msg, MSG);
  const script = queries
    .map((q) => {
      const args = ['-Y', 'verify', '-f', written(`${q.file}\n`, 'as'), '-I', q.principal, '-n', NS, '-s', written(q.signature, 'sig'), '-O', `verify-time=${sshTime(q.at)}`];
      return `TZ=${shQuote(q.tz)} ssh-keygen ${args.map(shQuote).join(' ')} <${shQuote(msg)} >/dev/null 2>&1; echo $?`;
    })
    .join('\n');
  const scriptFile = join(dir, `verify-${++n}.sh`);
  writeFileSync(scriptFile, `${script}\n`);
  const r = sh('sh', [scriptFile], { env });
  expect(r.code, r.stderr).toBe(0);
  const codes = r.stdout.split('\n').filter(Boolean);
  expect(codes).toHaveLength(queries.length);
  return codes.map((c) => c === '0');
}

function ours(tz: string, file: string, principal: string, signature: string, at: string): boolean {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    const v = verifySshsig({ signature, message: MSG, namespace: NS });
    if (!v.ok) return false;
    const parsed = parseAllowedSigners(`${file}\n`);
    if (!parsed.ok) return false;
    return matchSigner(parsed.signers, { principal, key: v.publicKey, namespace: NS, at: new Date(at) }).ok;
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

describe('allowed_signers parity with ssh-keygen -Y verify: principals, options, keys (no time in play)', () => {
  it('plain files × principals × signatures agree', () => {
    const disagreements: string[] = [];
    let cases = 0;
    let accepted = 0;
    const queries: Array<Query & { name: string }> = [];
    PLAIN.forEach((mk, i) => {
      const file = mk();
      // every file with k1's signature for every principal; the other key and the other namespace on a sample
      const sigs: Array<[string, string]> = [['k1', sig1], ...(i % 5 === 0 ? ([['k1-other-namespace', sig1other], ['k2', sig2]] as Array<[string, string]>) : [])];
      for (const principal of PRINCIPALS) {
        for (const [name, signature] of sigs) queries.push({ tz: 'UTC', file, principal, signature, at: '2026-06-01T12:00:00Z', name });
      }
    });
    const verdicts = openssh(queries);
    queries.forEach((q, i) => {
      const a = verdicts[i]!;
      const b = ours(q.tz, q.file, q.principal, q.signature, q.at);
      cases += 1;
      if (a) accepted += 1;
      if (a !== b) disagreements.push(`${JSON.stringify(q.file.replace(/ssh-\S+ \S+|ecdsa-\S+ \S+/g, '<key>'))} principal=${q.principal} sig=${q.name}: ssh-keygen ${a}, ours ${b}`);
    });
    expect(disagreements).toEqual([]);
    expect(cases).toBeGreaterThan(PLAIN.length * PRINCIPALS.length);
    expect(accepted).toBeGreaterThan(10); // the corpus exercises acceptances, not only refusals
  });
});

describe.each(ZONES)('allowed_signers parity with ssh-keygen -Y verify, TZ=%s', (tz) => {
  it('validity windows (local time without Z) agree at every boundary instant', () => {
    const disagreements: string[] = [];
    let accepted = 0;
    const queries: Query[] = [];
    for (const mk of TIMED) {
      const file = mk();
      for (const at of INSTANTS) queries.push({ tz, file, principal: 'alice@example.com', signature: sig1, at });
    }
    const verdicts = openssh(queries);
    queries.forEach((q, i) => {
      const a = verdicts[i]!;
      const b = ours(tz, q.file, q.principal, q.signature, q.at);
      if (a) accepted += 1;
      if (a !== b) disagreements.push(`${JSON.stringify(q.file.replace(/ssh-\S+ \S+/g, '<key>'))} at ${q.at}: ssh-keygen ${a}, ours ${b}`);
    });
    expect(disagreements).toEqual([]);
    expect(accepted).toBeGreaterThan(20);
  });
});

import { describe, expect, it } from 'vitest';
import { fidoKey } from '../../helpers/ssh.js';
import { matchPattern, matchPatternList, matchSigner, parseAllowedSigners, parseSignerTime } from '../../../src/signing/allowed-signers.js';
import { APPROVAL_NAMESPACE, parsePublicKeyLine } from '../../../src/signing/sshsig.js';

const K1 = fidoKey('ed25519');
const K2 = fidoKey('ecdsa');
const NS = APPROVAL_NAMESPACE;
const AT = new Date('2026-06-01T00:00:00Z');

describe('patterns (OpenSSH match_pattern_list)', () => {
  const table: Array<[string, string, boolean]> = [
    ['alice@example.com', 'alice@example.com', true],
    ['alice@example.com', 'Alice@example.com', false],
    ['alice@example.com', '*@example.com', true],
    ['alice@example.com', 'a?ice@example.com', true],
    ['alice@example.com', '*@example.org', false],
    ['alice@example.com', 'bob@x,alice@example.com', true],
    ['alice@example.com', '*,!alice@example.com', false],
    ['alice@example.com', '!alice@example.com', false],
    ['alice@example.com', '!bob@x', false],
    ['a', '*', true],
    ['', '*', true],
    ['abc', 'a*c*', true],
    ['abc', 'a*d', false],
  ];
  for (const [s, p, want] of table) it(`${JSON.stringify(s)} vs ${JSON.stringify(p)} → ${want}`, () => expect(matchPatternList(s, p)).toBe(want));
  it('pattern with many stars is linear enough', () => expect(matchPattern('a'.repeat(2000), '*a*a*a*a*a*b')).toBe(false));
});

describe('times', () => {
  it.each([
    ['20260101Z', Date.UTC(2026, 0, 1)],
    ['20260101utc', Date.UTC(2026, 0, 1)],
    ['20250231Z', Date.UTC(2025, 2, 3)], // mktime normalises 31 February to 3 March
    ['202601011230', Date.UTC(2026, 0, 1, 12, 30)],
    ['20260101123059Z', Date.UTC(2026, 0, 1, 12, 30, 59)],
  ])('%s', (s, t) => expect(parseSignerTime(s)).toBe(t));
  it.each(['2026', '20261301Z', '20260132Z', '2026010112', '202601011260Z', '19700101Z', 'x'])('%s is refused', (s) => expect(parseSignerTime(s)).toBeUndefined());
  it('without Z it is local time (TZ of this process; the tests run with TZ=UTC unless set)', () => {
    const local = new Date(2026, 0, 1).getTime();
    expect(parseSignerTime('20260101')).toBe(local);
  });
});

describe('parseAllowedSigners', () => {
  it('parses principals, options, key, comment; skips comments and blank lines', () => {
    const text = [
      '# team',
      '',
      `alice@example.com,bob@example.com namespaces="git,${NS}",valid-after="20260101Z" ${K1.pubLine} alice laptop`,
      `"carol@example.com" ${K2.pubLine}`,
    ].join('\n');
    const r = parseAllowedSigners(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.signers).toHaveLength(2);
    expect(r.signers[0]).toMatchObject({ line: 3, principals: 'alice@example.com,bob@example.com', namespaces: `git,${NS}`, validAfter: Date.UTC(2026, 0, 1) });
    expect(r.signers[1]).toMatchObject({ line: 4, principals: 'carol@example.com' });
    expect(r.signers[1]!.key.blob.equals(K2.blob)).toBe(true);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['no key', 'alice@x', /no key/],
    ['unknown option', `alice@x bogus ${K1.pubLine}`, /unsupported option "bogus"/],
    ['unquoted option value', `alice@x namespaces=git ${K1.pubLine}`, /missing start quote/],
    ['bad time', `alice@x valid-after="yesterday" ${K1.pubLine}`, /valid-after/],
    ['twice', `alice@x valid-after="20200101Z",valid-after="20200101Z" ${K1.pubLine}`, /multiple "valid-after"/],
    ['bad base64', 'alice@x ssh-ed25519 AAAA!!!', /base64|invalid key/],
    ['type mismatch', `alice@x ssh-ed25519 ${K2.pubLine.split(' ')[1]}`, /says "ssh-ed25519"|invalid key/],
    ['key type without data', 'alice@x ssh-ed25519', /missing key|without key data/],
    ['unterminated quote', `"alice@x ${K1.pubLine}`, /principals/],
    ['NUL byte', `alice@x\0 ${K1.pubLine}`, /NUL/],
  ];
  for (const [name, text, re] of bad) {
    it(`a bad line grants nothing and is reported; the others still count (as in OpenSSH): ${name}`, () => {
      const r = parseAllowedSigners(`${K2.pubLine.replace(/^/, 'ok@x ')}\n${text}\n`);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.signers.map((x) => x.principals)).toEqual(['ok@x']);
      expect(r.warnings.join('\n')).toMatch(re);
    });
  }

  it('cert-authority and unsupported key types are left out with a warning, never trusted', () => {
    const r = parseAllowedSigners(`*@example.com cert-authority ${K1.pubLine}\nalice@x ssh-dss AAAAB3NzaC1kc3M=\nbob@x ${K2.pubLine}\n`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.signers.map((s) => s.principals)).toEqual(['bob@x']);
    expect(r.warnings.join('\n')).toMatch(/cert-authority/);
    expect(r.warnings.join('\n')).toMatch(/line 2: /);
  });
});

describe('matchSigner', () => {
  const file = [
    `alice@example.com ${K1.pubLine}`,
    `bob@example.com namespaces="git" ${K2.pubLine}`,
    `old@example.com valid-before="20250101Z" ${K2.pubLine}`,
  ].join('\n');
  const r = parseAllowedSigners(file);
  if (!r.ok) throw new Error('fixture');
  const k1 = parsePublicKeyLine(K1.pubLine);
  const k2 = parsePublicKeyLine(K2.pubLine);
  const table: Array<[string, string, typeof k1, boolean, RegExp?]> = [
    ['listed', 'alice@example.com', k1, true],
    ['other principal', 'mallory@example.com', k1, false, /not for principal "mallory@example.com"/],
    ['key of another signer', 'alice@example.com', k2, false, /not for principal/],
    ['namespace restricted', 'bob@example.com', k2, false, /namespace/],
    ['expired', 'old@example.com', k2, false, /expired/],
    ['unknown key', 'alice@example.com', parsePublicKeyLine(fidoKey('ed25519').pubLine), false, /not listed/],
  ];
  for (const [name, principal, key, want, re] of table) {
    it(name, () => {
      const m = matchSigner(r.signers, { principal, key, namespace: NS, at: AT });
      expect(m.ok).toBe(want);
      if (!m.ok && re) expect(m.reason).toMatch(re);
    });
  }
});

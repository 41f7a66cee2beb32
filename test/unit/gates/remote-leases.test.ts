/**
 * Remote leases (ADR 0023), the pure parts: expiry judged by this clone's observation, the lease
 * commit format, and the classification of git's push/fetch output (src/adapters/remote-refs.ts
 * exports its parsers as pure functions).
 */
import { describe, expect, it } from 'vitest';
import { decideRemoteAcquire, leaseTtlMs, remoteLeaseState, REMOTE_EXPIRY_MARGIN_MS } from '../../../src/gates/leases.js';
import { formatLeaseCommitMessage, parseLeaseCommit, parseLeaseMessage, type LeaseRecord } from '../../../src/schema/lease/schema.js';
import { classifyRemoteFailure, isTrackingRefRace, parsePorcelainPush } from '../../../src/adapters/remote-refs.js';
import { strictestOf } from '../../../src/gates/config-diff.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const rec = (o: Partial<LeaseRecord> = {}): LeaseRecord => ({
  v: 1, path: 'progress.md', owner: 'a', host: 'h', pid: 1, worktree: '/w', branch: 'main',
  acquired: new Date(T0).toISOString(), renewed: new Date(T0).toISOString(), expires: new Date(T0 + 60_000).toISOString(), reason: null, token: 3, ...o,
});

describe('remote lease expiry: judged by how long this clone has seen a version', () => {
  it.each([
    ['never seen: live, whatever the dates say', undefined, T0 + 10 * 3_600_000, 'held'],
    ['seen just now: live', T0 + 3_600_000, T0 + 3_600_000, 'held'],
    ['seen for the lifetime but not the margin: live', T0, T0 + 60_000 + REMOTE_EXPIRY_MARGIN_MS - 1, 'held'],
    ['seen for lifetime + margin: expired', T0, T0 + 60_000 + REMOTE_EXPIRY_MARGIN_MS, 'expired'],
    // the record's dates are an hour in the past by this clock: irrelevant
    ['a holder clock an hour behind does not shorten the lease', T0 + 3_600_000, T0 + 3_600_000 + 30_000, 'held'],
  ] as const)('%s', (_, seen, now, want) => {
    expect(remoteLeaseState(rec(), seen, now)).toBe(want);
  });

  it('the lifetime is expires − renewed (one clock), never negative', () => {
    expect(leaseTtlMs(rec())).toBe(60_000);
    expect(leaseTtlMs(rec({ expires: new Date(T0 - 5).toISOString() }))).toBe(0);
  });

  it('decisions: free → grant, own → extend, other live → deny, other seen long enough → takeover', () => {
    expect(decideRemoteAcquire(undefined, 'b', undefined, T0).kind).toBe('grant');
    expect(decideRemoteAcquire(rec(), 'a', undefined, T0).kind).toBe('extend');
    expect(decideRemoteAcquire(rec(), 'b', undefined, T0 + 86_400_000).kind).toBe('deny');
    expect(decideRemoteAcquire(rec(), 'b', T0, T0 + 62_000).kind).toBe('takeover');
  });
});

describe('lease commit format', () => {
  it('round-trips a record through a commit message and a commit body', () => {
    const msg = formatLeaseCommitMessage('grant', rec());
    expect(msg.split('\n')[0]).toBe('agent-gates lease grant: progress.md by a (token 3)');
    expect(parseLeaseMessage(msg)).toEqual({ rec: rec() });
    expect(parseLeaseCommit(`tree x\nauthor a\n\n${msg}`)).toEqual({ rec: rec() });
  });

  it.each([
    ['no message', 'tree x', 'not a commit with a message'],
    ['a foreign commit', 'tree x\n\nhello\n\n{}', 'not an agent-gates lease commit'],
    ['bad JSON', 'tree x\n\nagent-gates lease grant: x\n\n{', 'its record is not valid JSON'],
    ['a malformed record', 'tree x\n\nagent-gates lease grant: x\n\n{"v":1}', 'path: expected a non-empty string'],
  ])('%s is a problem, never a free lease', (_, body, problem) => {
    expect(parseLeaseCommit(body)).toEqual({ problem });
  });

  it('a path with a newline cannot forge the summary line', () => {
    expect(formatLeaseCommitMessage('renew', rec({ path: 'a\nb/progress.md' })).split('\n')[0]).toContain('a b/progress.md');
  });
});

describe('git output classification (remote-refs.ts)', () => {
  it('parses --porcelain push lines', () => {
    const out = 'To ../r.git\n*\tabc:refs/agent-gates/leases/x\t[new reference]\n!\tdef:refs/agent-gates/fence/x\t[rejected] (stale info)\n-\t:refs/agent-gates/leases/y\t[deleted]\nDone\n';
    expect(parsePorcelainPush(out)).toEqual([
      { flag: '*', src: 'abc', dst: 'refs/agent-gates/leases/x', summary: '[new reference]' },
      { flag: '!', src: 'def', dst: 'refs/agent-gates/fence/x', summary: '[rejected] (stale info)' },
      { flag: '-', src: '', dst: 'refs/agent-gates/leases/y', summary: '[deleted]' },
    ]);
  });

  it.each([
    [{ code: 124, stderr: '', timedOut: true }, 'timeout'],
    [{ code: 128, stderr: "fatal: '../x' does not appear to be a git repository\nfatal: Could not read from remote repository." }, 'unreachable'],
    [{ code: 128, stderr: 'fatal: unable to connect to 127.0.0.1:\nerrno=Connection refused' }, 'unreachable'],
    [{ code: 1, stderr: 'remote: error: hook declined to update refs/agent-gates/leases/x' }, 'refused'],
    [{ code: 1, stderr: "error: funny refname 'refs/agent-gates/x'" }, 'refused'],
  ] as const)('%o → %s', (r, want) => {
    expect(classifyRemoteFailure(r)).toBe(want);
  });

  it('tells a concurrent local fetch (a tracking-ref race) from a real failure', () => {
    expect(isTrackingRefRace("error: cannot lock ref 'refs/agent-gates/remotes/origin/fence/ab': is at 1 but expected 2")).toBe(true);
    expect(isTrackingRefRace("error: cannot lock ref 'refs/heads/main': is at 1 but expected 2")).toBe(false);
    expect(isTrackingRefRace('fatal: Could not read from remote repository.')).toBe(false);
    expect(isTrackingRefRace('')).toBe(false);
  });
});

describe('config in force: handoff.remote', () => {
  it('stays on while any side names a remote (no staged edit turns remote leases off)', () => {
    const off = defaultConfig();
    const on = { ...defaultConfig(), handoff: { ...defaultConfig().handoff, remote: 'origin' } };
    expect(strictestOf([off, on]).handoff.remote).toBe('origin');
    expect(strictestOf([on, off]).handoff.remote).toBe('origin');
    expect(strictestOf([off, off]).handoff.remote).toBeUndefined();
  });
});

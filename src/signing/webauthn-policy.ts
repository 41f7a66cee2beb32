/**
 * The WebAuthn rule every checker applies on top of OpenSSH's verification (pre-commit, the range
 * check, approveWithAssertion). Pure and small: it is what the commit path loads; the conversions
 * (COSE, DER, assertion → SSHSIG) live in webauthn.ts.
 */
import type { SshPublicKey } from './sshsig.js';

/**
 * Our policy on top of OpenSSH's checks (ssh-keygen accepts any origin that matches clientData):
 * the origin must be the rpId's own origin (http allowed only for localhost, any port), and the
 * client data must be a same-origin webauthn.get. Returns the refusal, or undefined.
 */
export function webauthnPolicyProblem(w: { origin: string; clientData: string }, rpId: string): { code: 'WEBAUTHN_ORIGIN' | 'WEBAUTHN_CLIENT_DATA'; reason: string } | undefined {
  let u: URL;
  try {
    u = new URL(w.origin);
  } catch {
    return { code: 'WEBAUTHN_ORIGIN', reason: `origin "${w.origin}" is not a URL origin` };
  }
  const scheme = rpId === 'localhost' ? /^https?:$/ : /^https:$/;
  if (!scheme.test(u.protocol) || u.hostname !== rpId || u.origin !== w.origin) {
    return { code: 'WEBAUTHN_ORIGIN', reason: `origin "${w.origin}" is not the origin of rpId "${rpId}" (${rpId === 'localhost' ? 'http(s)://localhost[:port]' : `https://${rpId}[:port]`})` };
  }
  let cd: Record<string, unknown>;
  try {
    cd = JSON.parse(w.clientData) as Record<string, unknown>;
  } catch {
    return { code: 'WEBAUTHN_CLIENT_DATA', reason: 'clientDataJSON is not JSON' };
  }
  if (typeof cd !== 'object' || cd === null || cd.type !== 'webauthn.get' || cd.origin !== w.origin) return { code: 'WEBAUTHN_CLIENT_DATA', reason: 'clientDataJSON is not a webauthn.get for this origin' };
  if (cd.crossOrigin === true || cd.topOrigin !== undefined) return { code: 'WEBAUTHN_CLIENT_DATA', reason: 'the assertion was made in a cross-origin frame' };
  return undefined;
}

/**
 * Why a verified signature that is a WebAuthn assertion still does not count, wherever it is
 * checked (approveWithAssertion, pre-commit, `gate check --range`): a browser approval needs user
 * presence and the rpId's own origin whatever the policy (docs/security.md, "Web approvals").
 * Undefined for a non-WebAuthn signature or a good one.
 */
export function webauthnProblem(v: { userPresent: boolean; publicKey: SshPublicKey; webauthn?: { origin: string; clientData: string } }): string | undefined {
  if (!v.webauthn) return undefined;
  if (!v.userPresent) return 'a browser (WebAuthn) assertion without user presence never counts';
  const p = webauthnPolicyProblem(v.webauthn, v.publicKey.application ?? '');
  return p ? `a browser (WebAuthn) assertion is refused: ${p.reason}` : undefined;
}


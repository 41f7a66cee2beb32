/**
 * Approval strength: what an accepted approval is guaranteed to have been made with.
 *   terminal      a person (or anything driving a pseudo-terminal) typed a challenge back
 *   software-key  a signature by a key listed in the committed allowed_signers
 *   fido-touch    a signature by a FIDO (sk-*) key with the user-presence flag set: a touch
 *   fido-verified a FIDO signature with user presence AND user verification (PIN or biometric),
 *                 e.g. a passkey in the browser with userVerification, or ssh-keygen -O verify-required
 * Pure.
 */
import type { ApprovalStrength, GatesConfig } from '../schema/config/defaults.js';
import { parseAllowedSigners } from './allowed-signers.js';
import type { VerifyOutcome } from './sshsig.js';

export const STRENGTH_RANK: Record<ApprovalStrength, number> = { terminal: 0, 'software-key': 1, 'fido-touch': 2, 'fido-verified': 3 };

/** Whether approvals must be signed: require_signature, or a min_strength above terminal. */
export function signatureRequired(approval: GatesConfig['approval']): boolean {
  return approval.require_signature || approval.min_strength !== 'terminal';
}

/** The strength a verified signature achieved. */
export function strengthOf(v: Extract<VerifyOutcome, { ok: true }>): ApprovalStrength {
  if (!v.publicKey.fido || !v.userPresent) return 'software-key';
  return v.userVerified ? 'fido-verified' : 'fido-touch';
}

export function strongest(a: ApprovalStrength, b: ApprovalStrength): ApprovalStrength {
  return STRENGTH_RANK[a] >= STRENGTH_RANK[b] ? a : b;
}

export interface StrengthReport {
  level: ApprovalStrength;
  /** One paragraph for `gate doctor`: what is in force and what it stops. */
  explanation: string;
  /** Conditions under which every gated commit will be blocked (fail closed), or advice. */
  problems: string[];
  signers: number;
  fidoSigners: number;
}

const STOPS: Record<ApprovalStrength, string> = {
  terminal: 'stops an agent that runs commands without a terminal and a piped "y"; it does NOT stop an agent that drives a pseudo-terminal, edits the sidecar and the ledger, or rewrites the ledger',
  'software-key': 'an approval needs a signature by a key in the committed allowed_signers: stops an agent that has no access to that key (passphrase it is never given, or an ssh-agent it cannot reach); it does NOT stop an agent that can use an unlocked key or the approver\'s ssh-agent socket',
  'fido-touch': 'an approval needs a FIDO security key signature with user presence: every approval step costs a physical touch, so even an agent that can reach the key or the ssh-agent cannot approve without the person',
  'fido-verified': 'an approval needs a FIDO signature with user presence and user verification (the authenticator checked a PIN or a biometric): a touch by whoever is near the key is not enough, the person the key knows must unlock it',
};

/**
 * The strength in force for `config`, given the allowed_signers text committed at HEAD
 * (undefined when the file is not committed). For `gate doctor`.
 */
export function approvalStrength(config: GatesConfig, committedAllowedSigners: string | undefined): StrengthReport {
  const a = config.approval;
  if (!signatureRequired(a)) {
    return {
      level: 'terminal',
      explanation: `approval strength: terminal only. The typed challenge ${STOPS.terminal}. Set approval.require_signature: true (and min_strength: fido-touch) and commit ${a.allowed_signers} for a boundary an agent cannot cross.`,
      problems: [],
      signers: 0,
      fidoSigners: 0,
    };
  }
  const level: ApprovalStrength = a.min_strength === 'fido-touch' || a.min_strength === 'fido-verified' ? a.min_strength : 'software-key';
  const problems: string[] = [];
  let signers = 0;
  let fidoSigners = 0;
  if (committedAllowedSigners === undefined) {
    problems.push(`${a.allowed_signers} is not committed at HEAD: every gated commit is blocked until it is (git add ${a.allowed_signers} && git commit)`);
  } else {
    const p = parseAllowedSigners(committedAllowedSigners);
    if (!p.ok) {
      problems.push(`${a.allowed_signers} at HEAD cannot be parsed (${p.problems.join('; ')}): every gated commit is blocked until it is fixed`);
    } else {
      signers = p.signers.length;
      fidoSigners = p.signers.filter((s) => s.key.fido).length;
      problems.push(...p.warnings.map((w) => `${a.allowed_signers}: ${w}`));
      if (signers === 0) problems.push(`${a.allowed_signers} at HEAD lists no usable key: every gated commit is blocked`);
      else if ((level === 'fido-touch' || level === 'fido-verified') && fidoSigners === 0) {
        problems.push(`min_strength is ${level} but ${a.allowed_signers} lists no FIDO (sk-*) key: every gated commit is blocked`);
      }
    }
  }
  return {
    level,
    explanation: `approval strength: ${level}. An approval ${STOPS[level]}.${level === 'software-key' ? ' Use a FIDO key and min_strength: fido-touch to require a touch.' : ''}`,
    problems,
    signers,
    fidoSigners,
  };
}

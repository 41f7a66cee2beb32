/**
 * How a person is named in leases, the ledger and the review, defined once: `human:<git email>`,
 * or `human:<fallback>` (the OS user, or what the caller knows) when git has no email. One
 * person's commits, approvals and leases group as one actor.
 */
export const HUMAN_PREFIX = 'human:';

export function humanId(email: string | undefined, fallback: string): string {
  return `${HUMAN_PREFIX}${email || fallback}`;
}

export function isHumanId(id: string): boolean {
  return id.startsWith(HUMAN_PREFIX);
}

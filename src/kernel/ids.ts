/**
 * Git object ids, defined once: SHA-1 repositories use 40 hex digits, SHA-256 ones 64.
 * ZERO_BLOB stands for "no content" (an added or deleted path), EMPTY_TREE is git's empty tree.
 */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isObjectId(s: string): boolean {
  return OBJECT_ID.test(s);
}

export const ZERO_BLOB = '0000000000000000000000000000000000000000';
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

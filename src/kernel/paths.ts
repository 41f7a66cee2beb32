/** Repository-relative names agent-gates owns, defined once. */
import { OBJECT_ID } from './ids.js';

/** Where `gate explain` writes sidecars (never committed: git ignores it). */
export const SIDECAR_DIR = '.agents/gate-b';
/** The ignore entry for SIDECAR_DIR (`gate init` adds it, `gate doctor` checks it). */
export const SIDECAR_IGNORE = `${SIDECAR_DIR}/`;
/** A sidecar's file name: explain-<tree id>.yaml. */
export const SIDECAR_NAME = new RegExp(`^explain-(${OBJECT_ID.source.slice(1, -1)})\\.yaml$`);

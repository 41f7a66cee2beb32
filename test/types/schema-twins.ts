/**
 * Compile-time equality between each zod schema and the hand-written (zod-free) type that twins
 * it on the hot path. `npm test` runs `tsc --noEmit` over test/, so a field added, removed or
 * retyped on one side only fails the typecheck here, naming the twin. Nothing runs this file.
 */
import type { z } from 'zod';
import type { configSchema } from '../../src/schema/config/schema.js';
import type { GatesConfig, Surface } from '../../src/schema/config/defaults.js';
import type { surfaceSchema } from '../../src/schema/config/schema.js';
import type { Explanation } from '../../src/schema/sidecar/fast.js';
import type { Sidecar } from '../../src/schema/sidecar/schema.js';

/** True only when A and B are the same type (not merely assignable either way). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile unless T is `true`. */
export type Expect<T extends true> = T;

// .agents/gates.yaml: the zod schema's output (less the editor's `$schema` hint) is GatesConfig
type ConfigOutput = Omit<z.output<typeof configSchema>, '$schema'>;
export type ConfigTwin = Expect<Equal<{ [K in keyof ConfigOutput]: ConfigOutput[K] }, GatesConfig>>;
export type SurfaceTwin = Expect<Equal<z.output<typeof surfaceSchema>, Surface>>;

// the explain sidecar: the digest's Explanation names exactly the explanation fields of the
// schema's Sidecar (everything but who wrote it, when, and the approvals/rejections added later),
// and every valid sidecar is one
type ExplanationKeys = Exclude<keyof Sidecar, 'created_at' | 'created_by' | 'approvals' | 'rejections'>;
export type ExplanationTwin = Expect<Equal<keyof Explanation, ExplanationKeys>>;
export type SidecarIsExplanation = Expect<Sidecar extends Explanation ? true : false>;

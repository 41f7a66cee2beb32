/**
 * Adapter: the checkpoints this clone has seen, under `<state dir>/checkpoints/`. One file per
 * accepted note (`<sha256(origin)[:16]>/<size>.note`), written atomically and never replaced,
 * so a rollback or an equivocating checkpoint cannot overwrite the evidence against it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { checkAgainstSeen, parseCheckpointText, type Checkpoint, type ConsistencyVerdict, type SeenCheckpoint } from '../signing/checkpoint.js';

export class CheckpointStore {
  readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, 'checkpoints');
  }

  private originDir(origin: string): string {
    return join(this.dir, createHash('sha256').update(origin).digest('hex').slice(0, 16));
  }

  /** Every checkpoint seen for an origin (text only; each was verified before it was stored). */
  seen(origin: string): Array<SeenCheckpoint & { note: string }> {
    const d = this.originDir(origin);
    if (!existsSync(d)) return [];
    const out: Array<SeenCheckpoint & { note: string }> = [];
    for (const f of readdirSync(d)) {
      if (!/^\d+\.note$/.test(f)) continue;
      const note = readFileSync(join(d, f), 'utf8');
      const split = note.lastIndexOf('\n\n');
      const cp = parseCheckpointText(split === -1 ? note : note.slice(0, split + 1));
      if (typeof cp === 'string' || cp.origin !== origin) continue;
      out.push({ origin, size: cp.size, root: cp.root.toString('base64'), note });
    }
    return out.sort((a, b) => a.size - b.size);
  }

  /**
   * Check a verified checkpoint against what was seen and store it. Returns the verdict; an
   * inconsistent checkpoint is kept aside as evidence (`<size>.<n>.note`) but never trusted.
   */
  record(cp: Checkpoint, note: string): ConsistencyVerdict {
    const verdict = checkAgainstSeen(this.seen(cp.origin), cp);
    const d = this.originDir(cp.origin);
    mkdirSync(d, { recursive: true });
    if (verdict.ok) {
      const p = join(d, `${cp.size}.note`);
      if (!existsSync(p)) writeFileAtomic(p, note);
    } else {
      const evidence = join(this.dir, 'rejected');
      mkdirSync(evidence, { recursive: true });
      let n = 1;
      while (existsSync(join(evidence, `${cp.size}.${n}.note`))) n++;
      writeFileAtomic(join(evidence, `${cp.size}.${n}.note`), note);
    }
    return verdict;
  }
}

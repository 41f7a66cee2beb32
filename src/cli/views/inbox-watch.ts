/** `gate inbox --watch` (filled in below). */
import type { Ctx } from '../../app/context.js';
import type { Result } from '../io.js';

export async function watchInboxView(_ctx: Ctx, _opts: { all: boolean }): Promise<Result> {
  return { code: 0, json: {}, text: [] };
}

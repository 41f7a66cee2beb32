/**
 * Target 2's fixture: a CONFIRM commit (10 files, one of them under rules/, the agent-rules
 * surface) with a valid approved sidecar, produced through the real flow: `gate explain` by the
 * agent, then `gate approve` by a person at a terminal (driven through a pseudo-terminal).
 */
import { makeRepo, stageEdits, gateHas } from './fixtures.mjs';

export async function confirmFixture(tmp, env, log) {
  if (!gateHas(env, 'explain') || !gateHas(env, 'approve')) return { missing: 'n/a (command missing: gate explain / gate approve)' };
  void tmp; void log; void makeRepo; void stageEdits;
  return { missing: 'n/a (approval flow not wired yet)' };
}

// Child process: append N events to the repository's ledger, one append per event.
import { openContext } from '../../../src/app/context.js';

const [cwd, who, nText] = process.argv.slice(2);
const ctx = openContext(cwd!);
const n = Number(nText);
for (let i = 1; i <= n; i++) {
  await ctx.record({ event: 'audit.checkpoint', actor: { kind: 'agent', id: who!, session: who! }, data: { i } });
}

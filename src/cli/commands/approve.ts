/** `gate approve` (Gate B). */
import { Option } from 'commander';
import { act, jsonOption, type Result } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../fast/style.js';

export const approveCommand: CommandGroup = {
  register(program) {
    program
      .command('approve')
      .summary("Gate B: approve the explained staged change (a person's command, interactive terminal only)")
      .description(
        'Show the explanation for the staged tree and approve it by typing back a fresh random challenge. CONFIRM takes one approval; DOUBLE_CONFIRM approves the intent, then shows the diff of the gated files (and every weakening of .agents/gates.yaml in plain words), then approves the diff. Refuses without an interactive terminal. Each approval is recorded in the ledger and the sidecar.',
      )
      .addOption(new Option('--key <file>', 'SSH key to sign each approval step with (private key file, or .pub with the key in ssh-agent); default: git config user.signingkey'))
      .addOption(new Option('--principal <name>', 'allowed_signers principal to sign as (default: git config user.email)'))
      .addOption(new Option('--pager', 'show the diff preview in $PAGER (default: less -R), to scroll a long change before approving it'))
      .addOption(new Option('--fetch [remote]', "fetch a decision given on another clone (gate inbox approve|reject <id> --remote) for this staged tree, verify its signatures against allowed_signers committed at HEAD and record it (ADR 0027); no terminal needed. Default remote: handoff.remote, else origin"))
      .addOption(jsonOption())
      .action(
        act(async (opts: { json?: boolean; key?: string; principal?: string; pager?: boolean; fetch?: string | boolean }): Promise<Result> => {
          if (opts.fetch !== undefined) {
            const [{ openContext }, { fetchDecision }] = await Promise.all([import('../../app/context.js'), import('../../app/approvals/remote-decision.js')]);
            const r = await fetchDecision(openContext(), typeof opts.fetch === 'string' ? { remote: opts.fetch } : {});
            const s = styleOut();
            const text: string[] = [];
            if (r.status === 'approved') text.push(s.green(`approved ${r.recorded.map((x) => `${x.step} by ${x.principal} (${x.key}, ledger #${x.seq})`).join(' + ')}: a signed decision from ${r.remote}, tree ${r.tree.slice(0, 12)} (${r.tier})`));
            else if (r.status === 'rejected') text.push(s.red(`rejected by ${r.rejecter} on another clone: ${r.reason}`));
            else if (r.status === 'already') text.push(`already recorded${r.reason ? ` (rejected: ${r.reason})` : ''}`);
            else if (r.status === 'nothing') text.push('nothing to approve: the staged changes are AUTO');
            else text.push(`no decision yet on ${r.remote}${r.id ? ` for card ${r.id}` : ''}`);
            text.push(`next: ${r.next}`);
            return { code: r.status === 'waiting' || r.status === 'rejected' ? 1 : 0, json: { ...r }, text };
          }
          const [{ openContext }, { approve }, { processTerminal }] = await Promise.all([import('../../app/context.js'), import('../../app/approvals/approve.js'), import('../views/terminal.js')]);
          const term = processTerminal(Boolean(opts.json), { pager: opts.pager });
          try {
            const r = await approve(openContext(), term, { signing: { ...(opts.key ? { key: opts.key } : {}), ...(opts.principal ? { principal: opts.principal } : {}) } });
            const s = styleOut();
            if (r.aborted) return { code: 1, json: { ...r }, errText: [`${styleErr().red('not approved')}: ${r.aborted}`, `next: ${r.next}`] };
            const text: string[] = [];
            if (r.recorded.length) text.push(s.green(`approved ${r.recorded.map((x) => x.step).join(' + ')} for tree ${r.tree.slice(0, 12)} (${r.tier})`));
            else if (r.tier === 'AUTO') text.push('nothing to approve: the staged changes are AUTO');
            else text.push(`already approved (${r.already.join(', ')})`);
            text.push(`next: ${r.next}`);
            return { code: 0, json: { ...r }, text };
          } finally {
            term.close();
          }
        }),
      );
  },
};

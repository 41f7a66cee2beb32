/** `gate inbox` (Gate B): every explanation waiting for a person, in every worktree of the clone. */
import { Option } from 'commander';
import { act, jsonOption, type Result } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../fast/style.js';
import { addWebOptions, runWeb, type WebFlags } from './inbox-web.js';

export const inboxCommands: CommandGroup = {
  register(program) {
    const inbox = program
      .command('inbox')
      .summary('Gate B: every explanation waiting for a person, in every worktree of this clone; approve or reject from here')
      .description(
        'List every pending explanation (.agents/gate-b/explain-<tree>.yaml) in every worktree of this clone (git worktree list), newest first: its id, who asks, the tier, the intent, the diff stat, the age, earlier rejections of the same paths (from the ledger), and whether it is still current (the worktree\'s staged tree is the explained one). `gate inbox approve <id>` and `gate inbox reject <id> --reason ...` decide on a card without changing directory, exactly as `gate approve` / `gate reject` in that worktree would. --watch redraws as explanations appear and go, and rings the terminal bell when a new one needs a person.',
      )
      .addOption(new Option('--all', 'also list explanations already approved (waiting for the commit) and rejected ones'))
      .addOption(new Option('--remote [remote]', "also list what agents on other clones wait for, as published on the shared git remote (`gate ledger publish`, ADR 0024), and which of them a decision waits on; decide one with gate inbox approve|reject <id> --remote (ADR 0027). Default remote: handoff.remote, else origin"))
      .addOption(new Option('--watch', 'keep the list on screen, redraw on every change, ring the bell when a new card needs a person (q or Ctrl-C quits; needs a terminal)'));
    addWebOptions(inbox)
      .addOption(jsonOption())
      .action(
        act(async (opts: { all?: boolean; watch?: boolean; json?: boolean; remote?: string | boolean } & WebFlags): Promise<Result> => {
          if (opts.web) return runWeb(opts);
          const [{ openContext }, { inboxListing }, { inboxLines }] = await Promise.all([import('../../app/context.js'), import('../../app/inbox/list.js'), import('../views/inbox.js')]);
          const ctx = openContext();
          if (opts.watch) {
            if (opts.json) {
              const { usage } = await import('../io.js');
              throw usage('--watch draws for a person at a terminal; it cannot be combined with --json.', 'gate inbox --watch  (or gate inbox --json, once)');
            }
            const { watchInboxView } = await import('../views/inbox-watch.js');
            return watchInboxView(ctx, { all: Boolean(opts.all) });
          }
          const r = await inboxListing(ctx, { all: Boolean(opts.all) });
          const text = inboxLines(r, styleOut(), ctx.paths.root);
          if (opts.remote === undefined) return { code: 0, json: { ...r }, text };
          const [{ teamPending }, { remoteCardLines }] = await Promise.all([import('../../app/review/team.js'), import('../views/inbox.js')]);
          const rc = await teamPending(ctx, typeof opts.remote === 'string' ? { remote: opts.remote } : {});
          return { code: 0, json: { ...r, remote: { name: rc.remote, cards: rc.cards, problems: rc.problems } }, text: [...text, '', ...remoteCardLines(rc, styleOut())] };
        }),
      );

    inbox
      .command('approve')
      .description(
        "Approve one card from anywhere in the clone: the same explanation, diff, typed challenge (DOUBLE_CONFIRM: intent, then the diff) and signing rules as `gate approve` run in the card's worktree. Needs an interactive terminal. A stale card (the staged tree moved on) is refused (STALE, exit 1).",
      )
      .argument('<id>', 'the card id from `gate inbox` (or a unique prefix of at least 4 characters)')
      .addOption(new Option('--key <file>', 'SSH key to sign each approval step with (as gate approve --key)'))
      .addOption(new Option('--principal <name>', 'allowed_signers principal to sign as (as gate approve --principal)'))
      .addOption(new Option('--pager', 'show the diff preview in $PAGER (as gate approve --pager)'))
      .addOption(new Option('--remote [remote]', "a card another clone published (gate inbox --remote): the same explanation, diff and challenges, always signed (--key), published on the remote for that clone's `gate approve --fetch` (ADR 0027). Default remote: handoff.remote, else origin"))
      .addOption(jsonOption())
      .action(
        act(async (id: string, opts: { json?: boolean; key?: string; principal?: string; pager?: boolean; remote?: string | boolean }, cmd: { optsWithGlobals(): { remote?: string | boolean } }): Promise<Result> => {
          const [{ openContext }, { inboxApprove }, { processTerminal }] = await Promise.all([import('../../app/context.js'), import('../../app/inbox/decide.js'), import('../views/terminal.js')]);
          const term = processTerminal(Boolean(opts.json), { pager: opts.pager });
          const remote = opts.remote ?? cmd.optsWithGlobals().remote;
          const signing = { ...(opts.key ? { key: opts.key } : {}), ...(opts.principal ? { principal: opts.principal } : {}) };
          try {
            if (remote !== undefined) return remoteDecisionResult(await (await import('../../app/approvals/remote-decision.js')).remoteDecide(openContext(), id, term, { ...(typeof remote === 'string' ? { remote } : {}), signing }));
            const r = await inboxApprove(openContext(), id, term, { signing: { ...(opts.key ? { key: opts.key } : {}), ...(opts.principal ? { principal: opts.principal } : {}) } });
            const s = styleOut();
            if (r.aborted) return { code: 1, json: { ...r }, errText: [`${styleErr().red('not approved')}: ${r.aborted}`, `next: gate inbox approve ${r.id}  (or gate inbox reject ${r.id} --reason "<why>")`] };
            const text: string[] = [];
            if (r.recorded.length) text.push(s.green(`approved ${r.recorded.map((x) => x.step).join(' + ')} for card ${r.id}, tree ${r.tree.slice(0, 12)} (${r.tier}) in ${r.worktree}`));
            else if (r.tier === 'AUTO') text.push('nothing to approve: the staged changes are AUTO');
            else text.push(`already approved (${r.already.join(', ')})`);
            text.push(`next: ${r.next}  (in ${r.worktree})`);
            return { code: 0, json: { ...r }, text };
          } finally {
            term.close();
          }
        }),
      );

    inbox
      .command('reject')
      .description("Reject one card from anywhere in the clone with a reason the agent reads at its next `gate explain` (as `gate reject` in the card's worktree). A stale card is refused (STALE, exit 1).")
      .argument('<id>', 'the card id from `gate inbox` (or a unique prefix of at least 4 characters)')
      .addOption(new Option('--reason <text>', 'what is wrong and what must change').makeOptionMandatory(true))
      .addOption(new Option('--remote [remote]', "a card another clone published: the rejection is signed (--key) and published for that clone's `gate approve --fetch` (ADR 0027)"))
      .addOption(new Option('--key <file>', 'SSH key to sign a --remote rejection with (default: git config user.signingkey)'))
      .addOption(new Option('--principal <name>', 'allowed_signers principal to sign as (default: git config user.email)'))
      .addOption(jsonOption())
      .action(
        act(async (id: string, opts: { reason: string; json?: boolean; remote?: string | boolean; key?: string; principal?: string }, cmd: { optsWithGlobals(): { remote?: string | boolean } }): Promise<Result> => {
          const [{ openContext }, { inboxReject }] = await Promise.all([import('../../app/context.js'), import('../../app/inbox/decide.js')]);
          const remote = opts.remote ?? cmd.optsWithGlobals().remote;
          if (remote !== undefined) {
            const { processTerminal } = await import('../views/terminal.js');
            const term = processTerminal(Boolean(opts.json), {});
            try {
              const signing = { ...(opts.key ? { key: opts.key } : {}), ...(opts.principal ? { principal: opts.principal } : {}) };
              return remoteDecisionResult(await (await import('../../app/approvals/remote-decision.js')).remoteDecide(openContext(), id, term, { ...(typeof remote === 'string' ? { remote } : {}), reject: opts.reason, signing }));
            } finally {
              term.close();
            }
          }
          const r = await inboxReject(openContext(), id, opts.reason);
          return {
            code: 0,
            json: { ...r },
            text: [`rejected card ${r.id}, tree ${r.tree.slice(0, 12)} (${r.tier}) in ${r.worktree}; ledger #${r.seq}`, `next: ${r.next}`],
          };
        }),
      );
  },
};

function remoteDecisionResult(r: import('../../app/approvals/remote-decision.js').RemoteDecideResult): Result {
  if (r.aborted) return { code: 1, json: { ...r }, errText: [`${styleErr().red('not approved')}: ${r.aborted}`, `next: ${r.next}`] };
  const s = styleOut();
  const what = r.decision === 'approve' ? s.green(`approved ${r.steps.join(' + ')} (signed)`) : s.red('rejected (signed)');
  return {
    code: 0,
    json: { ...r },
    text: [`${what} card ${r.id} of clone ${r.repoId}, tree ${r.tree.slice(0, 12)} (${r.tier}); published on ${r.remote} as ${r.ref}`, `next: ${r.next}`],
  };
}

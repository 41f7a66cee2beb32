import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../fast/style.js';

/** Progress on stderr when it is a terminal (long fetches and verifications). */
export function teamProgress(json: boolean | undefined): ((text: string) => void) | undefined {
  if (json || !process.stderr.isTTY) return undefined;
  return (text) => process.stderr.write(`\r\u001b[K${text}`);
}

export const remoteOption = (): Option => new Option('--remote <remote>', 'the shared git remote, by its name in this clone (git remote -v); default: handoff.remote in .agents/gates.yaml, else origin');

export const ledgerCommands: CommandGroup = {
  register(program) {
    const ledger = program.command('ledger').summary("the team's ledger on the shared git remote (ADR 0024)");
    ledger
      .command('publish')
      .description(
        "Publish this clone's ledger (verified first) under refs/agent-gates/ledger/<repo-id> on the remote, as a commit that extends the\npublished chain. Refused (exit 1) when the published ledger is not a prefix of this clone's: a published ledger is append-only.\nThe push carries a lease on the old tip (--force-with-lease), so concurrent publishers cannot overwrite each other.",
      )
      .addOption(remoteOption())
      .addOption(jsonOption())
      .action(
        act(async (opts: { remote?: string; json?: boolean }) => {
          const [{ openContext }, { publishLedger }] = await Promise.all([import('../../app/context.js'), import('../../app/review/team.js')]);
          const progress = teamProgress(opts.json);
          const r = await publishLedger(openContext(), { ...(opts.remote !== undefined ? { remote: opts.remote } : {}), ...(progress ? { onProgress: progress } : {}) });
          if (progress) process.stderr.write('\r\u001b[K');
          const so = styleOut();
          const text = [
            r.status === 'empty'
              ? `nothing to publish: this clone's ledger is empty`
              : r.status === 'up to date'
                ? `${r.ref} on ${r.remote} is up to date (${r.entries} entries)`
                : `${so.green('published')} ${r.entries} entries (${r.entries - (r.publishedBefore ?? 0)} new) to ${r.ref} on ${r.remote}`,
            ...(r.pending?.published ?? []).map((ref) => `published the pending approval ${ref}`),
            ...(r.pending?.withdrawn ?? []).map((ref) => `withdrew ${ref} (no longer waiting)`),
          ];
          return { code: 0, json: { ...r }, text };
        }),
      );
    ledger
      .command('pending')
      .description(
        "List what agents on other clones wait for: the explanations they published under refs/agent-gates/pending/ (with `gate ledger publish`).\nA published card shows what waits; it approves nothing. Decide it from any clone with `gate inbox approve|reject <id> --remote` (signed; ADR 0027); the waiting clone takes the decision with `gate approve --fetch`.",
      )
      .option('--diff', "include each card's staged diff, computed here from the objects its commit carries (parent and explained tree)")
      .option('--all', "include this clone's own cards")
      .addOption(remoteOption())
      .addOption(jsonOption())
      .action(
        act(async (opts: { remote?: string; json?: boolean; diff?: boolean; all?: boolean }) => {
          const [{ openContext }, { teamPending }] = await Promise.all([import('../../app/context.js'), import('../../app/review/team.js')]);
          const progress = teamProgress(opts.json);
          const r = await teamPending(openContext(), { ...(opts.remote !== undefined ? { remote: opts.remote } : {}), ...(progress ? { onProgress: progress } : {}), ...(opts.diff ? { diff: true } : {}), ...(opts.all ? { includeOwn: true } : {}) });
          if (progress) process.stderr.write('\r\u001b[K');
          const { visible } = await import('../../app/approvals/approve.js');
          // every string of a card is the other clone's words: terminal controls shown, not acted on
          const v = (t: string): string => visible(t).text;
          const text = r.cards.length === 0 ? [`nothing waits on ${r.remote}`] : [];
          for (const c of r.cards) {
            text.push(
              `${c.id}  ${v(c.tier)}  ${v(c.intent.split('\n')[0] ?? '')}`,
              `    clone ${v(c.repoId)}${c.branch ? `, branch ${v(c.branch)}` : ''}, asked by ${v(c.asker.id)}${c.asker.session ? ` (${v(c.asker.session)})` : ''} at ${v(c.created_at)}`,
              `    ${c.files.map((f) => v(f.path)).join(', ')}`,
            );
            if (c.diff !== undefined) {
              const shown = visible(c.diff);
              if (shown.escaped) text.push(`    WARNING: this diff contains terminal control characters (shown as \\xNN / \\u{...}): read it with care`);
              text.push(shown.text);
              if (c.diffCut) text.push('    (diff cut at 1 MiB: read the rest on that clone)');
            }
          }
          const errText = r.problems.map((p) => `warning: ${v(p.ref)}: ${v(p.problem)}`);
          return { code: 0, json: { ...r }, text, errText };
        }),
      );
  },
};

/** Text lines of a team verification (`gate audit verify --team`). */
export function teamVerifyLines(r: import('../../app/review/team.js').TeamReport): { text: string[]; errText: string[] } {
  const so = styleOut();
  const se = styleErr();
  const rows = r.clones.map((c) => `  ${c.ok ? so.green('ok  ') : se.red('FAIL')} ${c.repoId}${c.local ? ' (this clone)' : ''}: ${c.entries} entries${c.signed.newest ? `, signed up to ${c.signed.newest.size} (${c.signed.newest.principal})` : ''}`);
  const warnings = r.clones.flatMap((c) => c.warnings.map((w) => `  warning: clone ${c.repoId}: ${w}`));
  if (r.ok) return { text: [`${so.green('team ledger verifies')}: ${r.clones.length} clone${r.clones.length === 1 ? '' : 's'} on ${r.remote}, ${r.entries} entries`, ...rows, ...warnings], errText: [] };
  return {
    text: [],
    errText: [
      `${se.red('team ledger does not verify')} (${r.remote}):`,
      ...r.problems.map((p) => `  clone ${p.repoId} line ${p.line}: ${p.reason}: ${p.message}`),
      ...rows,
      ...warnings,
      'fix: ask the clone named above for its ledger (or restore it from a backup and publish again); the seen copy is kept under refs/agent-gates/seen/',
    ],
  };
}

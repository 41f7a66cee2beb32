import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';

const ownerOption = () => new Option('--owner <id>', 'lease owner (default: $GATE_SESSION; at a terminal: human:<git email>)');
const offlineOption = () => new Option('--offline', "with handoff.remote set: use this clone's lease directory only, without the remote (recorded in the ledger)");

export const lockCommands: CommandGroup = {
  register(program) {
    const lock = program
      .command('lock')
      .summary('leases on handoff documents (Gate A)')
      .description(
        'Leases on handoff documents (progress.md, todos.md, …), shared by every worktree of the clone.\n' +
          'A commit that changes a handoff document needs a live lease held by the committing identity.\n' +
          'Identity: --owner, else $GATE_SESSION, else (only at an interactive terminal) human:<git email>.',
      );

    lock
      .command('acquire')
      .description('Take leases on one or more handoff documents: all or nothing, in sorted order. Re-acquiring your own lease extends it.')
      .argument('<path...>', 'handoff documents (relative to the current directory)')
      .addOption(ownerOption())
      .option('--ttl <duration>', 'how long the lease lasts (default: handoff.lease_ttl, 30m)')
      .option('--wait <duration>', 'keep retrying for this long while another owner holds a path (e.g. 10s, 5m)')
      .option('--reason <text>', 'why you need it (shown to others in `gate lock status`)')
      .addOption(offlineOption())
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string; ttl?: string; wait?: string; reason?: string; offline?: boolean }) => (await import('../fast/lock.js')).lockAcquireResult(paths, opts)),
      );

    lock
      .command('release')
      .description('Release your leases. Releasing a free path is a no-op; a path held by someone else releases nothing (exit 1).')
      .argument('<path...>', 'handoff documents')
      .addOption(ownerOption())
      .addOption(offlineOption())
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string; offline?: boolean }) => (await import('../fast/lock.js')).lockReleaseResult(paths, opts)),
      );

    lock
      .command('renew')
      .description('Extend your leases (only the holder can).')
      .argument('<path...>', 'handoff documents')
      .addOption(ownerOption())
      .option('--ttl <duration>', 'new lifetime from now (default: handoff.lease_ttl)')
      .addOption(offlineOption())
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string; ttl?: string; offline?: boolean }) => (await import('../fast/lock.js')).lockRenewResult(paths, opts)),
      );

    lock
      .command('status')
      .description('Show leases: holder, worktree, branch, acquired, expires, expired? With a path, also says "free".')
      .argument('[path...]', 'handoff documents (default: every lease on record)')
      .addOption(ownerOption())
      .addOption(offlineOption())
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string; offline?: boolean }) => (await import('../fast/lock.js')).lockStatusResult(paths, opts)),
      );

    lock
      .command('break')
      .description(
        "Remove someone else's lease: a person at an interactive terminal (GATE_SESSION unset) types back a fresh challenge, and signs with a key in allowed_signers when approval.require_signature is true. Recorded in the ledger with who (the signer, or the claimed git identity) and why.",
      )
      .argument('<path>', 'handoff document')
      .requiredOption('--reason <text>', 'why (recorded in the ledger)')
      .addOption(new Option('--key <file>', 'SSH key to sign the break with (required when approval.require_signature is true; default: git config user.signingkey)'))
      .addOption(new Option('--principal <name>', 'allowed_signers principal to sign as (default: git config user.email)'))
      .addOption(jsonOption())
      .action(
        act(async (path: string, opts: { reason?: string; key?: string; principal?: string; json?: boolean }) => {
          const [{ openContext }, { breakLease }, { processTerminal }] = await Promise.all([import('../../app/context.js'), import('../../app/leases/lease.js'), import('../views/terminal.js')]);
          const term = processTerminal(Boolean(opts.json));
          try {
            const r = await breakLease(openContext(), {
              path,
              reason: opts.reason,
              term,
              signing: { ...(opts.key ? { key: opts.key } : {}), ...(opts.principal ? { principal: opts.principal } : {}), notice: (t: string) => term.write(t), interactive: term.interactive },
            });
            if (r.aborted) return { code: 1, json: { ...r }, errText: [`not broken: ${r.aborted}`, `next: gate lock break ${path} --reason "<why>" (and type the challenge shown)`] };
            return {
              code: 0,
              json: { ...r },
              text: r.broken
                ? `broke the lease on ${r.path}${r.previous && 'owner' in r.previous ? ` (held by ${r.previous.owner})` : ' (corrupt record)'}; recorded as ${r.by} (${r.proof?.method}): ${r.reason}`
                : `${r.path} was not leased; nothing to break`,
            };
          } finally {
            term.close();
          }
        }),
      );
  },
};

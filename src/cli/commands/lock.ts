import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../style.js';

const ownerOption = () => new Option('--owner <id>', 'lease owner (default: $GATE_SESSION; at a terminal: human:<git email>)');

function holderLines(denied: { path: string; owner: string; since: string; expires: string; worktree: string; branch: string | null }[]): string[] {
  return denied.map((h) => `  ${h.path}: held by ${h.owner} since ${h.since}, expires ${h.expires} (worktree ${h.worktree}${h.branch ? `, branch ${h.branch}` : ''})`);
}

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
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string; ttl?: string; wait?: string; reason?: string }) => {
          const [{ openContext }, { acquire }] = await Promise.all([import('../../app/context.js'), import('../../app/lock.js')]);
          const r = await acquire(openContext(), { paths, owner: opts.owner, ttl: opts.ttl, wait: opts.wait, reason: opts.reason });
          const json = { owner: r.owner, granted: r.granted, denied: r.denied, attempts: r.attempts };
          if (!r.ok) {
            const s = styleErr();
            return {
              code: 1,
              json: { ...json, error: { code: 'LEASE_HELD', message: 'another owner holds a live lease; nothing was acquired', fix: `gate lock acquire ${paths.join(' ')} --owner ${r.owner} --wait 10m` } },
              errText: [
                `${s.red('gate: denied:')} nothing acquired (all or nothing); held by someone else:`,
                ...holderLines(r.denied),
                `${s.bold('fix:')} wait for the holder to release it: gate lock acquire ${paths.join(' ')} --owner ${r.owner} --wait 10m   (status: gate lock status)`,
              ],
            };
          }
          const s = styleOut();
          return {
            code: 0,
            json,
            text: r.granted.map(
              (g) =>
                `${s.green(g.kind === 'extend' ? 'extended' : g.kind === 'takeover' ? 'took over' : 'acquired')} ${g.path} for ${r.owner} until ${g.expires} (token ${g.token})${g.previous ? `; the lease of ${g.previous.owner} had expired at ${g.previous.expires}` : ''}`,
            ),
          };
        }),
      );

    lock
      .command('release')
      .description('Release your leases. Releasing a free path is a no-op; a path held by someone else releases nothing (exit 1).')
      .argument('<path...>', 'handoff documents')
      .addOption(ownerOption())
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string }) => {
          const [{ openContext }, { release }] = await Promise.all([import('../../app/context.js'), import('../../app/lock.js')]);
          const r = await release(openContext(), { paths, owner: opts.owner });
          const json = { owner: r.owner, released: r.released, free: r.free, denied: r.denied };
          if (!r.ok) {
            return {
              code: 1,
              json: { ...json, error: { code: 'LEASE_HELD', message: 'you do not hold these leases; nothing was released' } },
              errText: [`${styleErr().red('gate: denied:')} nothing released; these are held by someone else:`, ...holderLines(r.denied)],
            };
          }
          return {
            code: 0,
            json,
            text: [...r.released.map((x) => `released ${x.path}`), ...r.free.map((p) => `${p} was not leased (nothing to release)`)],
          };
        }),
      );

    lock
      .command('renew')
      .description('Extend your leases (only the holder can).')
      .argument('<path...>', 'handoff documents')
      .addOption(ownerOption())
      .option('--ttl <duration>', 'new lifetime from now (default: handoff.lease_ttl)')
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string; ttl?: string }) => {
          const [{ openContext }, { renew }] = await Promise.all([import('../../app/context.js'), import('../../app/lock.js')]);
          const r = await renew(openContext(), { paths, owner: opts.owner, ttl: opts.ttl });
          const json = { owner: r.owner, renewed: r.renewed, free: r.free, denied: r.denied };
          if (!r.ok) {
            return {
              code: 1,
              json: { ...json, error: { code: 'LEASE_NOT_HELD', message: 'you do not hold every one of these leases; nothing was renewed', fix: `gate lock acquire ${paths.join(' ')} --owner ${r.owner}` } },
              errText: [
                `${styleErr().red('gate: denied:')} nothing renewed:`,
                ...holderLines(r.denied),
                ...r.free.map((p) => `  ${p}: not leased by anyone`),
                `fix: gate lock acquire ${paths.join(' ')} --owner ${r.owner}`,
              ],
            };
          }
          return { code: 0, json, text: r.renewed.map((x) => `renewed ${x.path} until ${x.expires}`) };
        }),
      );

    lock
      .command('status')
      .description('Show leases: holder, worktree, branch, acquired, expires, expired? With a path, also says "free".')
      .argument('[path...]', 'handoff documents (default: every lease on record)')
      .addOption(ownerOption())
      .addOption(jsonOption())
      .action(
        act(async (paths: string[], opts: { owner?: string }) => {
          const [{ openContext }, { status }] = await Promise.all([import('../../app/context.js'), import('../../app/lock.js')]);
          const r = await status(openContext(), { paths, owner: opts.owner });
          const s = styleOut();
          const text = r.leases.length
            ? r.leases.map((l) =>
                l.state === 'free'
                  ? `${l.path}: ${s.green('free')}  → ${l.next}`
                  : `${l.path}: ${l.state === 'held' ? s.yellow('held') : s.dim('expired')} by ${l.owner}${l.mine ? ' (you)' : ''}, worktree ${l.worktree}${l.branch ? ` [${l.branch}]` : ''}, acquired ${l.acquired}, expires ${l.expires}${l.reason ? `, reason: ${l.reason}` : ''}`,
              )
            : ['no leases on record'];
          return { code: 0, json: { ...r }, text };
        }),
      );

    lock
      .command('break')
      .description('Remove someone else\'s lease (a person at an interactive terminal only; recorded with who and why).')
      .argument('<path>', 'handoff document')
      .requiredOption('--reason <text>', 'why (recorded in the ledger)')
      .addOption(jsonOption())
      .action(
        act(async (path: string, opts: { reason?: string }) => {
          const [{ openContext }, { breakLease }] = await Promise.all([import('../../app/context.js'), import('../../app/lock.js')]);
          const r = await breakLease(openContext(), { path, reason: opts.reason });
          return {
            code: 0,
            json: { ...r },
            text: r.broken ? `broke the lease on ${r.path}${r.previous && 'owner' in r.previous ? ` (held by ${r.previous.owner})` : ' (corrupt record)'}; recorded as ${r.by}: ${r.reason}` : `${r.path} was not leased; nothing to break`,
          };
        }),
      );
  },
};

import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../fast/style.js';

export const taskCommands: CommandGroup = {
  register(program) {
    const task = program
      .command('task')
      .summary('start/finish a task in its own worktree, holding its progress document (Gate A)')
      .description(
        'A task gets branch task/<id>, a worktree (handoff.task_worktree, default ../<repo>.worktrees/<id>) with working\n' +
          'gate hooks, and the lease on its progress document (handoff.task_progress, default tasks/<id>/progress.md).',
      );
    task
      .command('start')
      .description('Lease the task\'s progress document, create branch task/<id> and its worktree, and make the hooks run there.')
      .argument('<id>', 'task id (letters, digits, ".", "_", "-")')
      .option('--base <ref>', 'commit to branch from (default: HEAD)')
      .addOption(new Option('--owner <id>', 'lease owner (default: $GATE_SESSION; at a terminal: human:<git email>)'))
      .option('--ttl <duration>', 'lease lifetime (default: handoff.lease_ttl)')
      .option('--reason <text>', 'why (default: "task <id>")')
      .addOption(jsonOption())
      .action(
        act(async (id: string, opts: { base?: string; owner?: string; ttl?: string; reason?: string }) => {
          const [{ openContext }, { taskStart }] = await Promise.all([import('../../app/context.js'), import('../../app/leases/task.js')]);
          const r = await taskStart(openContext(), { id, base: opts.base, owner: opts.owner, ttl: opts.ttl, reason: opts.reason });
          if (!r.ok) {
            return {
              code: 1,
              json: { ...r, error: { code: 'LEASE_HELD', message: `the progress document ${r.progress} is leased by someone else; nothing was created` } },
              errText: [
                `${styleErr().red('gate: denied:')} ${r.progress} is held by ${r.denied?.[0]?.owner} until ${r.denied?.[0]?.expires}; no branch or worktree was created.`,
                ...r.next.map((n) => `  ${n}`),
              ],
            };
          }
          const s = styleOut();
          return {
            code: 0,
            json: { ...r },
            text: [
              `${s.green('started')} task ${r.id}: branch ${r.branch}, worktree ${r.worktree}`,
              `  lease on ${r.progress} for ${r.owner} until ${r.lease?.expires} (token ${r.lease?.token})`,
              `  hooks: ${r.hooks?.actions.length ? r.hooks.actions.join('; ') : 'already active'}${r.hooks?.warning ? ` (warning: ${r.hooks.warning})` : ''}`,
              'next:',
              ...r.next.map((n) => `  ${n}`),
            ],
          };
        }),
      );
    task
      .command('finish')
      .description('Release the task\'s leases and remove its worktree if it is clean (the branch is kept).')
      .argument('<id>', 'task id')
      .addOption(new Option('--owner <id>', 'lease owner (default: $GATE_SESSION; at a terminal: human:<git email>)'))
      .addOption(jsonOption())
      .action(
        act(async (id: string, opts: { owner?: string }) => {
          const [{ openContext }, { taskFinish }] = await Promise.all([import('../../app/context.js'), import('../../app/leases/task.js')]);
          const r = await taskFinish(openContext(), { id, owner: opts.owner });
          const lines = [
            `released: ${r.released.length ? r.released.join(', ') : 'nothing'}`,
            ...r.kept.map((k) => `kept ${k.path}: held by ${k.owner}, not you`),
            r.worktree.removed
              ? `removed worktree ${r.worktree.path} (branch ${r.branch} kept)`
              : r.worktree.existed
                ? `kept worktree ${r.worktree.path}: it has uncommitted changes (${r.worktree.dirty.slice(0, 5).join(', ')}${r.worktree.dirty.length > 5 ? ', …' : ''})`
                : `no worktree at ${r.worktree.path}`,
            'next:',
            ...r.next.map((n) => `  ${n}`),
          ];
          return r.ok ? { code: 0, json: { ...r }, text: lines } : { code: 1, json: { ...r }, errText: lines };
        }),
      );
    task
      .command('list')
      .description('Tasks (branches task/*), their worktrees and the state of their progress leases.')
      .addOption(jsonOption())
      .action(
        act(async () => {
          const [{ openContext }, { taskList }] = await Promise.all([import('../../app/context.js'), import('../../app/leases/task.js')]);
          const r = await taskList(openContext());
          return {
            code: 0,
            json: { ...r },
            text: r.tasks.length
              ? r.tasks.map((t) => `${t.id}  ${t.branch}  ${t.worktree ?? '(no worktree)'}  ${t.progress}: ${t.lease.state}${t.lease.owner ? ` by ${t.lease.owner}` : ''}`)
              : ['no tasks (start one: gate task start <id>)'],
          };
        }),
      );
  },
};

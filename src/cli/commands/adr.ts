import { act, jsonOption, renderFindings, usage } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../fast/style.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function parseNumber(raw: string, what: string, example: string): number {
  const t = raw.trim();
  if (!/^\d{1,9}$/.test(t) || Number(t) < 1) throw usage(`${what} "${raw}" is not a record number (a positive whole number such as 7 or 0007).`, example);
  return Number(t);
}

function numbersFrom(values: readonly string[]): number[] {
  return values.flatMap((v) => v.split(',')).filter((s) => s.trim() !== '').map((s) => parseNumber(s, '--supersedes', 'gate adr new "<title>" --supersedes 3'));
}

export const adrCommands: CommandGroup = {
  register(program) {
    const adr = program
      .command('adr')
      .summary('architecture decision records: new, accept, list, check (accepted records never change)')
      .description(
        'ADRs live in adr/NNNN-kebab-title.md with YAML front matter. A proposed record is edited freely;\n' +
          'an accepted one is history: the pre-commit hook blocks any edit, rename or deletion of it.\n' +
          'Change a decision with a new record: gate adr new "<title>" --supersedes N.',
      );

    adr
      .command('new')
      .argument('<title>', 'the decision, as a short title')
      .description('Create the next free record (numbers are checked across every branch and worktree) from the template, status proposed.')
      .option('--supersedes <n>', 'an accepted record this one replaces (repeat or comma-separate)', collect, [] as string[])
      .option('--decider <name>', 'who decides (repeatable; default: git user.name)', collect, [] as string[])
      .addOption(jsonOption())
      .action(
        act(async (title: string, opts: { supersedes: string[]; decider: string[] }) => {
          const supersedes = numbersFrom(opts.supersedes);
          const [{ openContext }, { newAdr }] = await Promise.all([import('../../app/context.js'), import('../../app/adr/records.js')]);
          const r = await newAdr(openContext(), { title, supersedes, deciders: opts.decider });
          const s = styleOut();
          return {
            code: 0,
            json: { ...r },
            text: [
              `${s.green('created')} ${r.path} (ADR ${String(r.number).padStart(4, '0')}, proposed${r.supersedes.length ? `, supersedes ${r.supersedes.join(', ')}` : ''})`,
              `next: ${r.next}`,
            ],
          };
        }),
      );

    adr
      .command('accept')
      .argument('<number>', 'the record to accept')
      .description(
        'Mark a proposed record accepted in the working tree (status and date). Committing it changes adr/**,\n' +
          'which Gate B classifies DOUBLE_CONFIRM: a human approves the acceptance.',
      )
      .option('--decider <name>', 'add a decider (repeatable)', collect, [] as string[])
      .addOption(jsonOption())
      .action(
        act(async (num: string, opts: { decider: string[] }) => {
          const n = parseNumber(num, 'record number', 'gate adr accept 7');
          const [{ openContext }, { acceptAdr }] = await Promise.all([import('../../app/context.js'), import('../../app/adr/records.js')]);
          const r = await acceptAdr(openContext(), n, { deciders: opts.decider });
          const s = styleOut();
          return { code: 0, json: { ...r }, text: [`${s.green('accepted')} ${r.path} in the working tree (deciders: ${r.deciders.join(', ')})`, `next: ${r.next}`] };
        }),
      );

    adr
      .command('list')
      .description('Number, title, effective status (accepted, superseded by M, proposed, rejected) and date of every record.')
      .addOption(jsonOption())
      .action(
        act(async () => {
          const [{ openContext }, { listAdrs }] = await Promise.all([import('../../app/context.js'), import('../../app/adr/records.js')]);
          const r = await listAdrs(openContext());
          const s = styleOut();
          const text: string[] = [];
          if (r.records.length === 0 && r.invalid.length === 0) text.push(`no records in ${r.dir}/ yet: gate adr new "<title>"`);
          const w = Math.max(6, ...r.records.map((x) => x.label.length));
          for (const x of r.records) {
            const label = x.effective === 'accepted' ? s.green(x.label.padEnd(w)) : x.effective === 'superseded' ? s.yellow(x.label.padEnd(w)) : x.label.padEnd(w);
            text.push(`${String(x.number).padStart(4, '0')}  ${label}  ${x.date}  ${x.title}`);
          }
          const errText = r.invalid.map((x) => `invalid: ${x.path}: ${x.problems.map((p) => `${p.field}: ${p.message}`).join('; ')} (run \`gate adr check\`)`);
          return { code: 0, json: { ...r }, text, errText };
        }),
      );

    adr
      .command('check')
      .description(
        'Every rule (front matter, unique numbers across branches and worktrees, supersedes targets, no cycles),\n' +
          'and history: each accepted record still equals its first accepted version (catches --no-verify edits).',
      )
      .addOption(jsonOption())
      .action(
        act(async () => {
          const [{ openContext }, { checkAdrs }] = await Promise.all([import('../../app/context.js'), import('../../app/adr/records.js')]);
          const r = await checkAdrs(openContext());
          const n = r.findings.filter((f) => f.severity === 'block').length;
          const so = styleOut();
          const se = styleErr();
          return {
            code: r.ok ? 0 : 1,
            json: { ...r },
            text: r.ok ? [`${so.green('ADRs check out')}: ${r.records} record${r.records === 1 ? '' : 's'} in ${r.dir}/`] : [],
            errText: [...(r.ok ? [] : [se.red(`ADR check failed (${n} problem${n === 1 ? '' : 's'})`)]), ...renderFindings(r.findings)],
          };
        }),
      );
  },
};

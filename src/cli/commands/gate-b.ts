import { spawnSync } from 'node:child_process';
import { Option } from 'commander';
import { act, jsonOption, renderFindings, type Result } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../style.js';

function fileLine(f: { path: string; old_path?: string; status: string; tier: string; surfaces: string[] }): string {
  return `  ${f.status} ${f.old_path ? `${f.old_path} → ` : ''}${f.path}  [${f.surfaces.join(', ')}] ${f.tier}`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const gateBCommands: CommandGroup = {
  register(program) {
    program
      .command('status')
      .summary('Gate B: how the staged changes are classified and what they still need')
      .description(
        'Show the staged tree, its tier (AUTO, CONFIRM, DOUBLE_CONFIRM), each gated file with its surfaces, the doc-only carve-out decision and why, and whether an explanation and its approvals exist. Runs the same evaluation as the pre-commit check and records nothing.',
      )
      .addOption(jsonOption())
      .action(
        act(async (): Promise<Result> => {
          const [{ openContext }, { status }] = await Promise.all([import('../../app/context.js'), import('../../app/status.js')]);
          const r = await status(openContext());
          const s = styleOut();
          const text: string[] = [];
          text.push(`staged tree ${r.tree.slice(0, 12)}  (${r.staged_files} staged file${r.staged_files === 1 ? '' : 's'})`);
          text.push(`tier: ${s.bold(r.tier)}${r.classified_tier !== r.tier ? ` (classified ${r.classified_tier})` : ''}`);
          if (r.files.length) {
            text.push('gated files:');
            for (const f of r.files) text.push(fileLine(f));
          }
          if (r.carve_out.considered || r.carve_out.applied) text.push(r.carve_out.reason);
          if (r.tier !== 'AUTO') {
            text.push(`explanation: ${r.sidecar.state}${r.sidecar.path ? ` (${r.sidecar.path})` : ''}`);
            for (const p of r.sidecar.problems ?? []) text.push(`  - ${p}`);
            text.push(`approvals required: ${r.approvals.required.join(', ')}; present: ${r.approvals.present.map((a) => `${a.step} by ${a.approver} (#${a.seq})`).join(', ') || 'none'}`);
            for (const x of r.approvals.rejections) text.push(`  rejected: ${x}`);
          }
          text.push(r.would_commit ? s.green('a commit now would pass Gate B') : s.red('a commit now would be blocked:'));
          // status is a report (exit 0): what would block goes to stdout with the rest, in order.
          if (r.findings.length) text.push(...renderFindings(r.findings, false));
          return { code: 0, json: { ...r }, text };
        }),
      );

    program
      .command('explain')
      .summary("Gate B: explain the staged change (the agent's command)")
      .description(
        'Write .agents/gate-b/explain-<tree>.yaml for the current staged tree: intent, alternatives and risk, with the gated files filled in from the staged diff. Missing required fields are listed by name and nothing is written. Prints the tier, the path, the command a person runs next, and earlier rejections of the same paths.\n\nDocument for --from (YAML or JSON):\n  intent: why this change\n  alternatives: [what else was considered]\n  risk: {blast_radius: ..., reversibility: ..., rollback: ...}',
      )
      .option('--intent <text>', 'why this change is needed')
      .option('--alternative <text>', 'an alternative considered (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--blast-radius <text>', 'what the change can affect')
      .option('--reversibility <text>', 'how reversible it is')
      .option('--rollback <text>', 'how to undo it')
      .option('--from <file>', 'read the explanation from a YAML/JSON file, or "-" for stdin')
      .addOption(jsonOption())
      .action(
        act(async (opts: { intent?: string; alternative?: string[]; blastRadius?: string; reversibility?: string; rollback?: string; from?: string }): Promise<Result> => {
          const [{ openContext }, { explain, parseExplainDoc }] = await Promise.all([import('../../app/context.js'), import('../../app/explain.js')]);
          let input = {};
          if (opts.from !== undefined) {
            let text: string;
            if (opts.from === '-') text = await readAll(process.stdin);
            else {
              const { readFileSync } = await import('node:fs');
              try {
                text = readFileSync(opts.from, 'utf8');
              } catch (e) {
                const { usage } = await import('../io.js');
                throw usage(`cannot read ${opts.from}: ${(e as Error).message}`, 'gate explain --from <existing file>  (or --from - to read stdin)');
              }
            }
            input = await parseExplainDoc(text, opts.from === '-' ? 'stdin' : opts.from);
          }
          const merged = {
            ...input,
            ...(opts.intent ? { intent: opts.intent } : {}),
            ...(opts.alternative?.length ? { alternatives: opts.alternative } : {}),
            ...(opts.blastRadius ? { blast_radius: opts.blastRadius } : {}),
            ...(opts.reversibility ? { reversibility: opts.reversibility } : {}),
            ...(opts.rollback ? { rollback: opts.rollback } : {}),
          };
          const r = await explain(openContext(), merged);
          const s = styleOut();
          const text: string[] = [];
          text.push(`tier: ${s.bold(r.tier)}  tree ${r.tree.slice(0, 12)}`);
          for (const f of r.files) text.push(fileLine(f));
          if (r.carve_out.considered) text.push(r.carve_out.reason);
          if (r.written) text.push(`wrote ${r.path}${r.replaced_approvals ? ` (replacing ${r.replaced_approvals} approval(s), which no longer count)` : ''}`);
          if (r.prior_rejections.length) {
            text.push(s.yellow(`earlier rejections of these paths (address them, do not repeat them):`));
            for (const x of r.prior_rejections) text.push(`  #${x.seq} ${x.ts} by ${x.by} [${x.paths.join(', ')}]: ${x.reason}`);
          }
          text.push(`next: ${r.next}`);
          return { code: 0, json: { ...r }, text };
        }),
      );

    program
      .command('approve')
      .summary("Gate B: approve the explained staged change (a person's command, interactive terminal only)")
      .description(
        'Show the explanation for the staged tree and approve it by typing back a fresh random challenge. CONFIRM takes one approval; DOUBLE_CONFIRM approves the intent, then shows the diff of the gated files (and every weakening of .agents/gates.yaml in plain words), then approves the diff. Refuses without an interactive terminal. Each approval is recorded in the ledger and the sidecar.',
      )
      .addOption(new Option('--key <file>', 'SSH key to sign each approval step with (private key file, or .pub with the key in ssh-agent); default: git config user.signingkey'))
      .addOption(new Option('--principal <name>', 'allowed_signers principal to sign as (default: git config user.email)'))
      .addOption(new Option('--pager', 'show the diff preview in $PAGER (default: less -R), to scroll a long change before approving it'))
      .addOption(jsonOption())
      .action(
        act(async (opts: { json?: boolean; key?: string; principal?: string; pager?: boolean }): Promise<Result> => {
          const [{ openContext }, { approve }] = await Promise.all([import('../../app/context.js'), import('../../app/approve.js')]);
          const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
          const out = opts.json ? process.stderr : process.stdout;
          let rl: import('node:readline').Interface | undefined;
          let closed = false;
          const term = {
            interactive,
            page: (text: string): boolean => {
              if (!opts.pager || !interactive) return false;
              return pageText(text, rl);
            },
            color: (opts.json ? styleErr() : styleOut()).on,
            write: (t: string) => void out.write(t),
            ask: async (prompt: string): Promise<string | undefined> => {
              if (!rl) {
                const { createInterface } = await import('node:readline');
                rl = createInterface({ input: process.stdin, output: out, terminal: true });
                rl.on('close', () => (closed = true));
                rl.on('SIGINT', () => rl!.close()); // Ctrl-C aborts: nothing is approved, exit 1
              }
              if (closed) return undefined;
              return new Promise((resolve) => {
                const onClose = () => resolve(undefined);
                rl!.once('close', onClose);
                rl!.question(prompt, (a) => {
                  rl!.off('close', onClose);
                  resolve(a);
                });
              });
            },
          };
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
            rl?.close();
          }
        }),
      );

    program
      .command('reject')
      .summary("Gate B: reject the staged change with a reason (a person's command)")
      .description('Record a rejection of the staged tree in the ledger and the sidecar. A rejected tree can never be approved; the agent must change something and explain again, and `gate explain` shows it this reason.')
      .addOption(new Option('--reason <text>', 'what is wrong and what must change').makeOptionMandatory(true))
      .addOption(jsonOption())
      .action(
        act(async (opts: { reason: string }): Promise<Result> => {
          const [{ openContext }, { reject }] = await Promise.all([import('../../app/context.js'), import('../../app/approve.js')]);
          const r = await reject(openContext(), opts.reason);
          return {
            code: 0,
            json: { ...r },
            text: [`rejected tree ${r.tree.slice(0, 12)} (${r.tier}); ledger #${r.seq}${r.sidecar_updated ? `; recorded in ${r.path}` : ''}`, `next: ${r.next}`],
          };
        }),
      );
  },
};

/**
 * Run the person's pager on `text` (stdin a pipe, the terminal for everything else); the pager reads
 * keys from /dev/tty itself. readline is paused meanwhile. False when no pager could run.
 */
function pageText(text: string, rl: import('node:readline').Interface | undefined): boolean {
  const pager = (process.env.PAGER ?? '').trim() || 'less -R';
  rl?.pause();
  try {
    const r = spawnSync('sh', ['-c', pager], {
      input: text,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { LESS: 'FRX', ...process.env },
    });
    return !r.error && r.status === 0;
  } finally {
    rl?.resume();
  }
}

import { join } from 'node:path';
import { Option } from 'commander';
import { act, jsonOption, usage } from '../io.js';
import { remoteOption } from './ledger.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../fast/style.js';

export const auditCommands: CommandGroup = {
  register(program) {
    const audit = program.command('audit').summary('verify (or minimally repair) the hash-chained ledger');
    audit
      .command('verify')
      .description('Check the whole ledger chain and name the first bad line and why. Changes nothing, except that a ledger that verifies first takes in the deferred commit records waiting in pending/ (ADR 0009), and is then verified again.\n--team fetches every clone\'s published ledger from the remote and names the clone and line of any tamper (ADR 0024).')
      .option('--team', "verify every clone's ledger published on the shared remote (refs/agent-gates/ledger/*)")
      .addOption(remoteOption())
      .addOption(new Option('--trust <rev>', "trust the keys in allowed_signers as committed at <rev> (default HEAD, which an agent can move; in CI pass the range's base)"))
      .addOption(jsonOption())
      .action(
        act(async (opts: { json?: boolean; team?: boolean; remote?: string; trust?: string }) => {
          const trust = opts.trust !== undefined ? { trust: opts.trust } : {};
          if (opts.team) {
            const [{ openContext }, { teamAuditVerify }, { teamProgress, teamVerifyLines }] = await Promise.all([import('../../app/context.js'), import('../../app/review/team.js'), import('./ledger.js')]);
            const progress = teamProgress(opts.json);
            const r = await teamAuditVerify(openContext(), { ...trust, ...(opts.remote !== undefined ? { remote: opts.remote } : {}), ...(progress ? { onProgress: progress } : {}) });
            if (progress) process.stderr.write('\r\u001b[K');
            return { code: r.ok ? 0 : 3, json: { ...r }, ...teamVerifyLines(r) };
          }
          if (opts.remote !== undefined) throw usage('--remote goes with --team.', 'gate audit verify --team --remote ' + opts.remote);
          const [{ openContext }, { auditVerify }] = await Promise.all([import('../../app/context.js'), import('../../app/review/audit.js')]);
          const showProgress = !opts.json && process.stderr.isTTY;
          let last = 0;
          const r = await auditVerify(openContext(), showProgress ? (done, total) => {
            const pct = Math.floor((done / Math.max(total, 1)) * 100);
            if (pct !== last) { last = pct; process.stderr.write(`\rverifying ledger… ${pct}%`); }
          } : undefined, trust);
          if (showProgress) process.stderr.write('\r\u001b[K');
          const so = styleOut();
          const se = styleErr();
          if (r.ok) {
            return {
              code: 0,
              json: { ...r },
              text: [
                `${so.green('ledger verifies')}: ${r.entries} entries, ${r.size} bytes, head ${r.tip.slice(0, 12)}`,
                r.signed?.newest ? `newest signed point: ${r.signed.newest.size} entries, head ${r.signed.newest.head.slice(0, 12)}, signed by ${r.signed.newest.principal} (${r.signed.newest.source})` : `no signed point${r.signed?.note ? `: ${r.signed.note}` : ' (no signed approval or checkpoint yet): a full rewrite with recomputed hashes would go unnoticed'}`,
                ...untrustedLines(r.signed),
                ...r.warnings.map((w) => `warning: ${w}`),
                ...(r.folded ? [`folded ${r.folded} deferred commit record${r.folded === 1 ? '' : 's'} into the ledger first`] : []),
                ...(r.pending ? [`warning: ${r.pending} pending commit record${r.pending === 1 ? ' is' : 's are'} not in the ledger yet (${join(r.path, '..', 'pending')})`] : []),
              ],
            };
          }
          return {
            code: 3,
            json: { ...r },
            errText: [
              `${se.red('ledger does not verify')}: line ${r.problem!.line}: ${r.problem!.reason}`,
              `  ${r.problem!.message}`,
              `  file: ${r.path}`,
              r.problem!.reason === 'torn' || r.problem!.reason === 'head_missing' ? 'fix: gate audit repair' : 'fix: restore the ledger from a backup; every gate that needs it fails closed until then',
              ...(r.pending ? [`  ${r.pending} pending commit record${r.pending === 1 ? ' was' : 's were'} left unfolded (nothing is appended to a ledger that does not verify): ${join(r.path, '..', 'pending')}`] : []),
            ],
          };
        }),
      );
    // issue 7: signed checkpoints of the ledger
    audit
      .command('checkpoint')
      .description(
        "Sign the ledger's current state as a C2SP tlog-checkpoint-style note (origin, size, root) with an SSH key\n(--key, ssh-agent, FIDO) or an Ed25519 PEM key (--ed25519-key), listed in the committed allowed_signers under --name.\nThe note is printed (publish it somewhere the agent cannot write) and remembered. --verify FILE checks a note:\ntrusted signature, no rollback or equivocation against notes already seen, and the ledger still passes through it.",
      )
      .addOption(new Option('--key <file>', 'SSH key (private, or .pub with the key in ssh-agent); default: git config user.signingkey'))
      .addOption(new Option('--ed25519-key <pem>', 'Ed25519 PKCS#8 PEM private key (C2SP signature type 0x01)'))
      .addOption(new Option('--name <principal>', 'signer name: a principal allowed_signers lists for the key (default: git config user.email)'))
      .addOption(new Option('--verify <file>', 'verify a checkpoint note instead of signing one'))
      .addOption(jsonOption())
      .action(
        act(async (opts: { key?: string; ed25519Key?: string; name?: string; verify?: string }) => {
          const [{ openContext }, cp] = await Promise.all([import('../../app/context.js'), import('../../app/review/checkpoint.js')]);
          const ctx = openContext();
          if (opts.verify) {
            const { readFileSync } = await import('node:fs');
            const r = await cp.auditCheckpointVerify(ctx, readFileSync(opts.verify, 'utf8'));
            if (r.ok) return { code: 0, json: { ...r }, text: `checkpoint verifies: ${r.size} entries, signed by ${r.signedBy!.join(', ')}; consistent with the checkpoints seen and with the ledger` };
            return { code: 1, json: { ...r }, errText: [`checkpoint refused (${r.problem!.reason}): ${r.problem!.message}`, 'fix: gate audit verify; restore the ledger from a backup if it was rolled back or rewritten'] };
          }
          const r = await cp.auditCheckpoint(ctx, { ...(opts.key ? { key: opts.key } : {}), ...(opts.ed25519Key ? { ed25519Key: opts.ed25519Key } : {}), ...(opts.name ? { name: opts.name } : {}) });
          return { code: 0, json: { ...r }, text: [r.note.trimEnd(), '', `checkpoint of ${r.size} entries signed by ${r.signedBy.join(', ')}; kept under ${r.stored}. Publish the note where the agent cannot write.`] };
        }),
      );
    audit
      .command('repair')
      .description('Restore a ledger an interrupted write left behind: cut a torn last line, rebuild a missing head from the chain, roll a lagging head forward. Never drops a complete line; every repair is recorded in the ledger.')
      .option('--new-ledger', 'start a new ledger in a clone whose state directory was lost (the loss is recorded)')
      .addOption(jsonOption())
      .action(
        act(async (opts: { newLedger?: boolean }) => {
          const [{ openContext }, { auditRepair }] = await Promise.all([import('../../app/context.js'), import('../../app/review/audit.js')]);
          const r = await auditRepair(openContext(), { newLedger: opts.newLedger === true });
          const parts: string[] = [];
          if (r.restarted) parts.push(`started a new ledger (repository id ${r.restarted.id}; the lost one was ${r.restarted.previous ?? 'unknown'}); the loss is recorded as its first entry`);
          if (r.cut) parts.push(`cut a torn last line of ${r.cut} bytes`);
          if (r.headRebuilt !== undefined) parts.push(`rebuilt the missing head from the chain (${r.headRebuilt} entries)`);
          if (r.recorded && !r.restarted) parts.push('the head is current; the repair is recorded in the ledger');
          return {
            code: 0,
            json: { ...r },
            text: parts.length ? parts.join('\n') : 'nothing to repair: the ledger ends with a complete line and its head is current',
          };
        }),
      );
  },
};

/** "N signed points are not trusted by <signers> at <rev>", with the first reason: dropped points are said, never silent. */
function untrustedLines(signed: { untrusted: string[]; trusted_by?: string } | undefined): string[] {
  const n = signed?.untrusted.length ?? 0;
  if (!signed || n === 0) return [];
  return [
    `warning: ${n} signed point${n === 1 ? ' is' : 's are'} not trusted by ${signed.trusted_by ?? 'the committed allowed_signers'} and ${n === 1 ? 'was' : 'were'} not checked (first: ${signed.untrusted[0]})`,
    '  if the keys changed since, verify against the commit you trust: gate audit verify --trust <rev>',
  ];
}

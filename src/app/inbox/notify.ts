/**
 * `gate notify --sidecar <file>` (hidden; started detached by `gate explain` when the per-user
 * notify config exists): tell the person an explanation waits. Reads only the per-user config
 * (never the repository's files: a repository cannot say where notifications about it go), builds
 * the card's summary, queues it, and, when this process is the batch's sender, waits the batch
 * window and sends every queued summary as one message: a desktop notification where the
 * platform has one, and the optional webhook. The summary carries no diff content, no
 * environment and no tokens. Every failure goes to notify.log under the user config dir, never
 * to the agent.
 */
import { basename, dirname, join } from 'node:path';
import { openContext } from '../context.js';
import { listInbox, type InboxCard } from './list.js';
import { realPath } from '../../adapters/files.js';
import { logNotify, notifyConfigPath, readNotifyConfigText, userConfigDir } from '../../adapters/user-config.js';
import { asSender, desktopNotifier, drain, enqueue, postJson, sendDesktop } from '../../adapters/notify-out.js';
import { checkNotifyConfig, type NotifyConfig } from '../../schema/notify/config.js';
import { SIDECAR_DIR, SIDECAR_NAME } from '../../kernel/paths.js';
import { TIER_RANK } from '../../schema/config/defaults.js';

/** What a notification says about one card: enough to find and decide it, nothing secret. */
export interface CardSummary {
  id: string;
  repo: string;
  worktree: string;
  branch?: string;
  tier: string;
  intent: string;
  paths: string[];
  diffstat: { files: number; added: number; removed: number };
  asker: { kind: string; id: string };
  created_at: string;
  approve: string;
}

export function summarize(card: InboxCard, repo: string): CardSummary {
  return {
    id: card.id,
    repo,
    worktree: card.worktree,
    ...(card.branch ? { branch: card.branch } : {}),
    tier: card.tier,
    intent: card.intent.length > 500 ? `${card.intent.slice(0, 499)}…` : card.intent,
    paths: card.files.map((f) => f.path),
    diffstat: { files: card.files.length, added: card.files.reduce((n, f) => n + f.added, 0), removed: card.files.reduce((n, f) => n + f.removed, 0) },
    asker: { kind: card.asker.kind, id: card.asker.id },
    created_at: card.created_at,
    approve: `gate inbox approve ${card.id}  (or: cd ${card.worktree} && gate approve)`,
  };
}

/** The one message for a batch: a chat-friendly `text` plus the structured cards. */
export function message(cards: readonly CardSummary[]): { title: string; text: string; body: Record<string, unknown> } {
  const title = cards.length === 1 ? `agent-gates: ${cards[0]!.tier} approval waits in ${cards[0]!.repo}` : `agent-gates: ${cards.length} approvals wait`;
  const lines = cards.map((c) => `${c.tier} ${c.repo}${c.branch ? `@${c.branch}` : ''}: ${c.intent.split('\n')[0]} (${c.diffstat.files} file${c.diffstat.files === 1 ? '' : 's'}, +${c.diffstat.added} -${c.diffstat.removed}; asked by ${c.asker.id}) → gate inbox approve ${c.id}`);
  const text = `${title}\n${lines.join('\n')}`;
  return { title, text, body: { source: 'agent-gates', event: 'approval-requested', count: cards.length, text, cards } };
}

async function parseConfig(text: string): Promise<{ config?: NotifyConfig; problems?: string[] }> {
  const { parseYaml } = await import('../../schema/yaml.js');
  const y = parseYaml(text);
  if (!y.ok) return { problems: y.problems };
  const c = checkNotifyConfig(y.value);
  return c.ok ? { config: c.config } : { problems: c.problems };
}

/** The per-user config, parsed; problems when it is invalid; nothing when it is absent. */
export async function userNotifyConfig(): Promise<{ present: boolean; config?: NotifyConfig; problems?: string[] }> {
  const text = readNotifyConfigText();
  if (text === undefined) return { present: false };
  return { present: true, ...(await parseConfig(text)) };
}

export interface NotifyOutcome {
  queued: boolean;
  sender: boolean;
  sent?: number;
  skipped?: string;
}

export async function notifySidecar(sidecarAbs: string, opts: { sleep?: (ms: number) => Promise<void> } = {}): Promise<NotifyOutcome> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const cfg = await userNotifyConfig();
  if (!cfg.present) return { queued: false, sender: false, skipped: 'no notify config' };
  if (!cfg.config) {
    logNotify(`notify.yaml is invalid, nothing sent: ${(cfg.problems ?? []).join('; ')}`);
    return { queued: false, sender: false, skipped: 'invalid notify config' };
  }
  const config = cfg.config;
  const m = SIDECAR_NAME.exec(basename(sidecarAbs));
  const root = dirname(dirname(dirname(sidecarAbs)));
  if (!m || join(root, SIDECAR_DIR) !== dirname(sidecarAbs)) {
    logNotify(`not an explanation file: ${sidecarAbs}`);
    return { queued: false, sender: false, skipped: 'not a sidecar' };
  }
  const ctx = openContext(root);
  const wt = realPath(ctx.paths.root);
  const card = (await listInbox(ctx, { all: true })).find((c) => c.worktree === wt && c.tree === m[1]);
  if (!card) return { queued: false, sender: false, skipped: 'no such card' };
  if (card.state !== 'pending' || !card.current) return { queued: false, sender: false, skipped: `card is ${card.current ? card.state : 'stale'}` };
  if (TIER_RANK[card.tier] < TIER_RANK[config.min_tier]) {
    logNotify(`card ${card.id} (${card.tier}) not sent: below min_tier ${config.min_tier}`);
    return { queued: false, sender: false, skipped: `below min_tier ${config.min_tier}` };
  }
  const main = ctx.git.worktrees()[0]?.path ?? ctx.paths.root;
  const sender = await enqueue(summarize(card, basename(main)));
  if (!sender) return { queued: true, sender: false };
  await sleep(config.batch_seconds * 1000);
  const cards = (await drain()) as CardSummary[];
  if (cards.length === 0) return { queued: true, sender: true, sent: 0 };
  await asSender(() => send(config, cards));
  return { queued: true, sender: true, sent: cards.length };
}

async function send(config: NotifyConfig, cards: readonly CardSummary[]): Promise<void> {
  const msg = message(cards);
  if (config.desktop) {
    const why = sendDesktop(msg.title, msg.text.split('\n').slice(1).join('\n'));
    if (why) logNotify(`desktop notification failed: ${why}`);
  }
  if (config.webhook) {
    const r = await postJson(config.webhook.url, msg.body, config.webhook.headers);
    if (!r.ok) logNotify(`webhook ${new URL(config.webhook.url).origin} failed: ${r.error ?? `HTTP ${r.status}`} (${cards.length} card${cards.length === 1 ? '' : 's'}: ${cards.map((c) => c.id).join(', ')})`);
  }
}

/** The `gate doctor` row: where notifications go for this user, and whether the desktop can show them. */
export async function notifyCheck(): Promise<{ id: string; title: string; status: 'ok' | 'warn' | 'problem'; message: string; details?: string[]; fix?: string }> {
  const cfg = await userNotifyConfig();
  const path = notifyConfigPath();
  const d = desktopNotifier();
  const desktopLine = d ? `desktop notifications via ${d.name}` : 'no desktop notifier on this machine (notify-send / osascript): desktop notifications are skipped';
  if (!cfg.present) return { id: 'notify', title: 'notifications', status: 'ok', message: `off (no ${path}); gate inbox --watch rings the bell instead`, details: [desktopLine] };
  if (!cfg.config) return { id: 'notify', title: 'notifications', status: 'warn', message: `${path} is invalid, so no notification is sent`, details: cfg.problems ?? [], fix: `fix ${path} (docs/inbox.md)` };
  const c = cfg.config;
  const parts = [`min_tier ${c.min_tier}`, `batch ${c.batch_seconds}s`, c.webhook ? `webhook to ${new URL(c.webhook.url).origin}` : 'no webhook', c.desktop ? (d ? `desktop via ${d.name}` : 'desktop: no notifier here (skipped)') : 'desktop off'];
  return { id: 'notify', title: 'notifications', status: c.desktop && !d ? 'warn' : 'ok', message: parts.join(', '), details: [desktopLine, `failures are logged to ${join(userConfigDir(), 'notify.log')}`] };
}

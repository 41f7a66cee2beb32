/**
 * The per-user notification config (issue 17): `$XDG_CONFIG_HOME/agent-gates/notify.yaml`
 * (default `~/.config/agent-gates/notify.yaml`). It lives outside every repository on purpose: a
 * repository's own files can never say where notifications about it go. Hand-written validation
 * (no zod: `gate notify` runs detached after `gate explain` and should load little).
 *
 *   desktop: true                 # a desktop notification (notify-send / osascript) when present
 *   webhook:                      # optional: POST a JSON summary (no diff, no secrets)
 *     url: https://chat.example/hooks/T0/B0
 *     headers: {Authorization: "Bearer ..."}
 *   min_tier: CONFIRM             # CONFIRM (default) or DOUBLE_CONFIRM
 *   batch_seconds: 10             # explanations within this window go out as one message (default 10)
 */
export interface NotifyConfig {
  desktop: boolean;
  webhook?: { url: string; headers: Record<string, string> };
  min_tier: 'CONFIRM' | 'DOUBLE_CONFIRM';
  batch_seconds: number;
}

export const NOTIFY_DEFAULTS = { desktop: false, min_tier: 'CONFIRM', batch_seconds: 10 } as const;
/** The longest batch window accepted (one hour). */
export const MAX_BATCH_SECONDS = 3600;

export type NotifyConfigCheck = { ok: true; config: NotifyConfig } | { ok: false; problems: string[] };

const KNOWN = new Set(['desktop', 'webhook', 'min_tier', 'batch_seconds']);

export function checkNotifyConfig(value: unknown): NotifyConfigCheck {
  if (value === null || value === undefined) return { ok: true, config: { ...NOTIFY_DEFAULTS } };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, problems: ['(top level): expected a mapping'] };
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(v)) if (!KNOWN.has(k)) problems.push(`${k}: unknown key (known: ${[...KNOWN].join(', ')})`);
  const config: NotifyConfig = { ...NOTIFY_DEFAULTS };
  if (v.desktop !== undefined) {
    if (typeof v.desktop === 'boolean') config.desktop = v.desktop;
    else problems.push('desktop: expected true or false');
  }
  if (v.min_tier !== undefined) {
    if (v.min_tier === 'CONFIRM' || v.min_tier === 'DOUBLE_CONFIRM') config.min_tier = v.min_tier;
    else problems.push('min_tier: expected CONFIRM or DOUBLE_CONFIRM');
  }
  if (v.batch_seconds !== undefined) {
    const n = v.batch_seconds;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_BATCH_SECONDS) config.batch_seconds = n;
    else problems.push(`batch_seconds: expected a number of seconds from 0 to ${MAX_BATCH_SECONDS}`);
  }
  if (v.webhook !== undefined && v.webhook !== null) {
    const w = v.webhook as Record<string, unknown>;
    if (typeof w !== 'object' || Array.isArray(w)) problems.push('webhook: expected a mapping with url (and headers)');
    else {
      let url: URL | undefined;
      try {
        url = typeof w.url === 'string' ? new URL(w.url) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) problems.push('webhook.url: expected an http:// or https:// URL');
      const headers: Record<string, string> = {};
      if (w.headers !== undefined) {
        if (typeof w.headers !== 'object' || w.headers === null || Array.isArray(w.headers)) problems.push('webhook.headers: expected a mapping of header names to strings');
        else {
          for (const [k, x] of Object.entries(w.headers as Record<string, unknown>)) {
            if (typeof x !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n]/.test(x)) problems.push(`webhook.headers.${k}: expected a header name with a one-line string value`);
            else headers[k] = x;
          }
        }
      }
      for (const k of Object.keys(w)) if (k !== 'url' && k !== 'headers') problems.push(`webhook.${k}: unknown key (known: url, headers)`);
      if (url) config.webhook = { url: url.toString(), headers };
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, config };
}

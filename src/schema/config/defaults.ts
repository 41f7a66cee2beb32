/**
 * Built-in configuration, as plain data (no zod here: this module is on the commit hot path).
 * `schema/config/schema.ts` validates user files against the same shape.
 */
export type Tier = 'AUTO' | 'CONFIRM' | 'DOUBLE_CONFIRM';
export const TIERS: readonly Tier[] = ['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM'];
export const TIER_RANK: Record<Tier, number> = { AUTO: 0, CONFIRM: 1, DOUBLE_CONFIRM: 2 };

export type ApprovalStrength = 'terminal' | 'software-key' | 'fido-touch' | 'fido-verified';

export interface Surface {
  name: string;
  paths: string[];
  tier: Tier;
  self_reinforcing: boolean;
}

export interface GatesConfig {
  version: 1;
  handoff: {
    paths: string[];
    lease_ttl: string;
    task_progress: string;
    task_worktree: string;
  };
  surfaces: Surface[];
  doc_only: {
    enabled: boolean;
    max_changed_lines: number;
    /** Whether agent-instruction files (AGENTS.md, CLAUDE.md, rules, prompts, …) may be carved out at all (default false; absent = false). */
    agent_instructions: boolean;
  };
  approval: {
    require_signature: boolean;
    min_strength: ApprovalStrength;
    allowed_signers: string;
    max_age: string;
  };
  adr: {
    dir: string;
  };
  review: {
    since: string;
    min_samples: number;
    noisy_surface_share: number;
    rubber_stamp_rate: number;
    double_confirm_share: number;
    recurring_rejections: number;
  };
}

/**
 * Bounds on a config (issue 13 item 8): beyond them the file is refused (CONFIG_INVALID naming the
 * field) before it can cost minutes or gigabytes on every commit and in CI. `maxBytes` is checked
 * before the YAML parser runs.
 */
export const CONFIG_LIMITS = {
  maxBytes: 512 * 1024,
  maxSurfaces: 1000,
  maxGlobsPerList: 1000,
  maxGlobsTotal: 5000,
} as const;

const surface = (name: string, paths: string[], tier: Tier, selfReinforcing = false): Surface => ({
  name,
  paths,
  tier,
  self_reinforcing: selfReinforcing,
});

export function defaultConfig(): GatesConfig {
  return {
    version: 1,
    handoff: {
      paths: ['**/progress.md', '**/todos.md', '.agents/buffer.md', '.agents/status/**'],
      lease_ttl: '30m',
      task_progress: 'tasks/{id}/progress.md',
      task_worktree: '../{repo}.worktrees/{id}',
    },
    surfaces: [
      surface('agent-rules', ['rules/**'], 'CONFIRM'),
      surface('skills', ['skills/**'], 'CONFIRM'),
      surface('prompts', ['prompts/**'], 'CONFIRM'),
      surface('agent-personas', ['.agents/agents/**'], 'CONFIRM'),
      surface('agent-instructions', ['AGENTS.md', 'CLAUDE.md', '.github/copilot-instructions.md'], 'CONFIRM'),
      surface('claude', ['.claude/**'], 'CONFIRM'),
      surface('cursor-rules', ['.cursor/rules/**'], 'CONFIRM'),
      surface('policies', ['policies/**/*.json'], 'CONFIRM'),
      surface('adr', ['adr/**'], 'DOUBLE_CONFIRM'),
      surface(
        'gate-control',
        [
          '.agents/gates.yaml',
          '.husky/**',
          // the hook scripts and hook-manager configs that run the gates (gate init --hooks <manager>)
          '.agents/hooks/**',
          'lefthook.yml',
          '.lefthook.yml',
          'lefthook.yaml',
          '.lefthook.yaml',
          '.pre-commit-config.yaml',
          'rules/gate-*.md',
          '.agents/allowed_signers',
          '.claude/settings*.json',
        ],
        'DOUBLE_CONFIRM',
        true,
      ),
      // The agent runtimes' hook settings (`gate init --agent`, issue 16) decide whether the agent
      // hooks run at all: they govern the gates, so a change to them is self-reinforcing.
      surface('agent-hooks', ['.cursor/hooks.json', '.gemini/settings.json', '.codex/hooks.json', '.codex/config.toml', '.aider.conf.yml'], 'DOUBLE_CONFIRM', true),
      // The project's MCP server lists decide which tools an agent gets (`gate init --agent` adds
      // `gate mcp` there): a change needs a person, like an agent rule.
      surface('agent-tools', ['.mcp.json', '.cursor/mcp.json', '.vscode/mcp.json'], 'CONFIRM'),
      // CI configuration runs the range check; .gitattributes can route files through filters and
      // merge drivers: both govern the gates, so a change to them is self-reinforcing (issue 12)
      surface('ci-config', ['.github/workflows/**', '.github/actions/**', '.gitlab-ci.yml', '.gitattributes'], 'DOUBLE_CONFIRM', true),
    ],
    doc_only: { enabled: true, max_changed_lines: 20, agent_instructions: false },
    approval: {
      require_signature: false,
      min_strength: 'terminal',
      allowed_signers: '.agents/allowed_signers',
      max_age: '7d',
    },
    adr: { dir: 'adr' },
    review: {
      since: '30d',
      min_samples: 5,
      noisy_surface_share: 0.5,
      rubber_stamp_rate: 0.95,
      double_confirm_share: 0.5,
      recurring_rejections: 2,
    },
  };
}

/** "30m", "10s", "2h", "7d", "500ms" → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,12})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/** Bounds of each duration (ms): below `min` or above `max` is refused with a message naming both. */
export const DURATION_BOUNDS = {
  lease_ttl: { min: 1_000, max: 30 * 86_400_000 },
  wait: { min: 0, max: 86_400_000 },
  max_age: { min: 1_000, max: 3650 * 86_400_000 },
  since: { min: 1_000, max: 3650 * 86_400_000 },
} as const;

function human(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** Why a duration text is not acceptable (undefined when it is). Never repeats the field name. */
export function durationProblem(text: string, bounds: { min: number; max: number }): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return `a duration like "30s", "30m", "2h" or "7d" (got ${JSON.stringify(text).slice(0, 60)})`;
  if (ms < bounds.min) return `at least ${human(bounds.min)} (got ${text}${ms === 0 ? ': a zero duration would expire at once' : ''})`;
  if (ms > bounds.max) return `at most ${human(bounds.max)} (got ${text})`;
  return undefined;
}

export function maxTier(a: Tier, b: Tier): Tier {
  return TIER_RANK[a] >= TIER_RANK[b] ? a : b;
}

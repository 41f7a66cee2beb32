/**
 * SHA-256 of every earlier version of the hook scripts agent-gates shipped (templates/hooks/*).
 * A hook that is byte for byte one of these was written by an earlier `gate init` and never
 * changed, so `gate init` may replace it with this version's script (it does the same job; the
 * current one starts node once per commit, ADR 0009) without touching anything a person wrote.
 * A hook that matches none is someone's script and is only replaced with --force.
 * Add the old hash here whenever a template changes: test/integration/hook-history.test.ts checks
 * this list against the templates' git history.
 */
export const EARLIER_HOOK_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  'pre-commit': [
    'a67ee1cf381df2ae1ab64f400bb5020c2ea2b2e2dc26d182bf012f470dedfc8f', // f728add: first version
    '994af85581434d66b0c172cde9f1f6107e4f13c8d7b824edea38b55ca2ee7b65', // db8c50d: lint-staged detection without node
    '73953de13980ba3a381ad60c9954b6b6803ca3bf52b8c432a2dc6c93c531f1dd', // before --after-lint-staged (hook managers)
  ],
  'post-commit': [
    '37f9ecc59b0dc85cf28a1021ef1f664af57c96ad1f0efa21c4ffe9751d6ede5a', // f728add: node on every commit
  ],
};

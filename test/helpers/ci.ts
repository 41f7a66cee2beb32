/**
 * Running the CI recipes `gate init --ci github|gitlab` writes, as the hosts would: the workflow's
 * run steps executed as one shell script with the variables the host sets for an event.
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { makeTempDir, run, type RunResult } from './repo.js';

export type GithubEvent = { kind: 'pull_request'; base: string; head: string; number: number; headRepo: string } | { kind: 'push'; before: string; sha: string; ref: string };

/**
 * The job's env as GitHub evaluates its expressions for one event (every expression the template
 * uses must be known here: an unknown one fails the test).
 */
export function githubJobEnv(job: { env: Record<string, string> }, ev: GithubEvent): Record<string, string> {
  const pr = ev.kind === 'pull_request';
  const known: Record<string, string> = {
    '${{ github.event.pull_request.base.sha || github.event.before }}': pr ? ev.base : ev.before,
    '${{ github.event.pull_request.head.sha || github.sha }}': pr ? ev.head : ev.sha,
    "${{ github.event.pull_request && format('refs/pull/{0}/head', github.event.pull_request.number) || github.ref }}": pr ? `refs/pull/${ev.number}/head` : ev.ref,
    "${{ github.event.pull_request.head.repo.clone_url || '' }}": pr ? ev.headRepo : '',
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(job.env)) {
    out[k] = v.replace(/\$\{\{.*?\}\}/g, (m) => {
      if (!(m in known)) throw new Error(`unknown expression in the workflow: ${m}`);
      return known[m]!;
    });
  }
  return out;
}


/**
 * The GitHub job `workflow` (YAML text, as committed at the base) for one event, against `origin`:
 * actions/checkout of the base (fetch-depth 0), then every run step in order. Returns the script's result.
 */
export function runGithubJob(workflow: string, origin: string, ev: GithubEvent, env: NodeJS.ProcessEnv): RunResult {
  const job = parse(workflow).jobs['range-check'];
  const base = ev.kind === 'pull_request' ? ev.base : ev.before;
  const dir = join(makeTempDir('gate-ci-gh-'), 'checkout');
  run('git', ['clone', '-q', origin, dir], { env });
  run('git', ['checkout', '-q', '--detach', base], { cwd: dir, env });
  const steps = job.steps as Array<{ run?: string }>;
  const script = steps.filter((s) => s.run).map((s) => `(\n${s.run}\n) || exit $?`).join('\n');
  return run('sh', ['-c', script], { cwd: dir, env: { ...env, ...githubJobEnv(job, ev) } });
}

/** The GitLab job (YAML text, as the protected project holds it) with the variables of one pipeline. */
export function runGitlabJob(ciYaml: string, vars: Record<string, string>, env: NodeJS.ProcessEnv): RunResult {
  const job = parse(ciYaml)['agent-gates'];
  return run('sh', ['-c', (job.script as string[]).join('\n')], { cwd: makeTempDir('gate-ci-gl-'), env: { ...env, ...vars } });
}

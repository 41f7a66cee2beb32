/**
 * Running the CI recipes `gate init --ci github|gitlab` writes, as the hosts would: the workflow's
 * run steps executed as one shell script with the variables the host sets for an event.
 *
 * A test that runs the same recipe many times against bases with one package-lock.json may pass
 * `reuse`, a directory holding a real `npm ci` of that lockfile (the `installDir` of an earlier run,
 * or a clone that ran it): the recipe's `npm ci` is then the only line replaced, by a copy of that
 * node_modules after `cmp` found the base's lockfile byte-identical (so the checker is still the one
 * the base pins). ci-workflow.test.ts runs each recipe's own `npm ci` for real (it checks the install).
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { makeTempDir, run, type RunResult } from './repo.js';

export interface CiRun extends RunResult {
  /** The directory the recipe ran `npm ci` in (its package-lock.json and node_modules): `reuse` for a later run. */
  installDir: string;
}

const NPM_CI = /^([ \t]*)npm ci --ignore-scripts --no-audit --no-fund$/m;

/** The script with its one `npm ci` line replaced by a copy of `reuse`'s install (lockfiles compared first). */
function reusingInstall(script: string, reuse: string | undefined): string {
  if (reuse === undefined) return script;
  if (script.match(new RegExp(NPM_CI.source, 'gm'))?.length !== 1) throw new Error('the recipe no longer has exactly one `npm ci --ignore-scripts --no-audit --no-fund` line');
  const q = (p: string) => `'${p.replaceAll("'", "'\\''")}'`;
  return script.replace(NPM_CI, (_m, indent: string) => `${indent}cmp package-lock.json ${q(join(reuse, 'package-lock.json'))} && cp -R ${q(join(reuse, 'node_modules'))} node_modules`);
}

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
export function runGithubJob(workflow: string, origin: string, ev: GithubEvent, env: NodeJS.ProcessEnv, reuse?: string): CiRun {
  const job = parse(workflow).jobs['range-check'];
  const base = ev.kind === 'pull_request' ? ev.base : ev.before;
  const dir = join(makeTempDir('gate-ci-gh-'), 'checkout');
  run('git', ['clone', '-q', origin, dir], { env });
  run('git', ['checkout', '-q', '--detach', base], { cwd: dir, env });
  const steps = job.steps as Array<{ run?: string }>;
  const script = reusingInstall(steps.filter((s) => s.run).map((s) => `(\n${s.run}\n) || exit $?`).join('\n'), reuse);
  return { ...run('sh', ['-c', script], { cwd: dir, env: { ...env, ...githubJobEnv(job, ev) } }), installDir: dir };
}

/** The GitLab job (YAML text, as the protected project holds it) with the variables of one pipeline. */
export function runGitlabJob(ciYaml: string, vars: Record<string, string>, env: NodeJS.ProcessEnv, reuse?: string): CiRun {
  const job = parse(ciYaml)['agent-gates'];
  const cwd = makeTempDir('gate-ci-gl-');
  const script = reusingInstall((job.script as string[]).join('\n'), reuse);
  return { ...run('sh', ['-c', script], { cwd, env: { ...env, ...vars } }), installDir: join(cwd, 'agent-gates-base') };
}

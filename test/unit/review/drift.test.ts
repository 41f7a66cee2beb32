import { describe, expect, it } from 'vitest';
import { computeDrift, controlPlaneFiles, pathReferences } from '../../../src/review/drift.js';
import { defaultConfig, type GatesConfig } from '../../../src/schema/config/defaults.js';

const CFG: GatesConfig = {
  ...defaultConfig(),
  handoff: { ...defaultConfig().handoff, paths: ['**/progress.md', '.agents/buffer.md'] },
  surfaces: [
    { name: 'agent-rules', paths: ['rules/**'], tier: 'CONFIRM', self_reinforcing: false },
    { name: 'prompts', paths: ['prompts/**'], tier: 'CONFIRM', self_reinforcing: false },
    { name: 'instructions', paths: ['AGENTS.md', 'CLAUDE.md'], tier: 'CONFIRM', self_reinforcing: false },
  ],
};
const FILES = ['AGENTS.md', 'rules/review.md', 'src/app/x.ts', 'src/lib/y.ts', 'tasks/1/progress.md', 'docs/guide.md'];

describe('drift', () => {
  const texts = [
    {
      path: 'AGENTS.md',
      text: [
        'Read `src/app/x.ts` and `src/app/gone.ts` first.',
        'See [the guide](docs/guide.md) and [old docs](docs/old.md#intro), [site](https://example.com/a.md).',
        'Globs like `src/**/*.ts` and commands like `npm test` are not paths; neither is `node_modules/x/y.js`.',
        '```',
        'src/app/in-a-fence.ts is ignored: `src/nope.ts`',
        '```',
      ].join('\n'),
    },
    { path: 'rules/review.md', text: 'Relative: [sibling](./missing.md), [up](../src/lib/y.ts), [dir](../src/).' },
  ];
  const d = computeDrift({ files: FILES, config: CFG, texts });
  it('names surfaces whose globs match no tracked file, and dead globs of live surfaces', () => {
    expect(d.surfaces).toEqual([
      { surface: 'agent-rules', tier: 'CONFIRM', deadGlobs: [], dead: false },
      { surface: 'prompts', tier: 'CONFIRM', deadGlobs: ['prompts/**'], dead: true },
      { surface: 'instructions', tier: 'CONFIRM', deadGlobs: ['CLAUDE.md'], dead: false },
    ]);
  });
  it('names handoff globs that match nothing', () => {
    expect(d.handoffGlobs).toEqual(['.agents/buffer.md']);
  });
  it('names control-plane references to missing paths, with file and line', () => {
    expect(d.danglingRefs).toEqual([
      { file: 'AGENTS.md', line: 1, ref: 'src/app/gone.ts' },
      { file: 'AGENTS.md', line: 2, ref: 'docs/old.md#intro' },
      { file: 'rules/review.md', line: 1, ref: './missing.md' },
    ]);
    expect(d.truncated).toBe(false);
    expect(d.trackedFiles).toBe(6);
  });
  it('nothing drifts when everything matches', () => {
    const ok = computeDrift({ files: [...FILES, 'prompts/p.md', 'CLAUDE.md', '.agents/buffer.md'], config: CFG, texts: [{ path: 'AGENTS.md', text: 'see `src/app/x.ts`' }] });
    expect(ok.surfaces.every((s) => s.deadGlobs.length === 0)).toBe(true);
    expect(ok.handoffGlobs).toEqual([]);
    expect(ok.danglingRefs).toEqual([]);
  });
  it('control-plane files are text files on a surface, ADRs excluded', () => {
    expect(controlPlaneFiles(['AGENTS.md', 'rules/a.md', 'rules/img.png', 'adr/0001-x.md', 'src/a.ts'], { ...CFG, surfaces: [...CFG.surfaces, { name: 'adr', paths: ['adr/**'], tier: 'DOUBLE_CONFIRM', self_reinforcing: false }] })).toEqual(['AGENTS.md', 'rules/a.md']);
  });
  it('pathReferences finds backticked and linked references outside code fences', () => {
    expect(pathReferences('a `x/y.md` b [l](z.md)\n```\n`no/no.md`\n```\n`p/q.ts`')).toEqual([
      { ref: 'x/y.md', line: 1, kind: 'code' },
      { ref: 'z.md', line: 1, kind: 'link' },
      { ref: 'p/q.ts', line: 5, kind: 'code' },
    ]);
  });
});

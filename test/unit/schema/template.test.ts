import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/schema/yaml.js';
import { validateConfig } from '../../../src/schema/config/schema.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import { PKG_ROOT } from '../../helpers/repo.js';

const text = readFileSync(join(PKG_ROOT, 'templates', 'gates.yaml'), 'utf8');

describe('templates/gates.yaml', () => {
  it('spells out every built-in default explicitly (raw YAML equals defaultConfig())', () => {
    const y = parseYaml(text);
    expect(y.ok).toBe(true);
    if (y.ok) expect(y.value).toEqual(defaultConfig());
  });

  it('validates against the schema and yields exactly the defaults', () => {
    const y = parseYaml(text);
    if (!y.ok) throw new Error(y.problems.join('\n'));
    const r = validateConfig(y.value);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config).toEqual(defaultConfig());
  });

  it('carries a yaml-language-server modeline pointing at the packaged JSON Schema', () => {
    const first = text.split('\n')[0]!;
    expect(first).toMatch(/^# yaml-language-server: \$schema=\S+\/schema\/gates\.schema\.json$/);
    const rel = first.split('$schema=')[1]!;
    // relative to .agents/gates.yaml in a consumer repo: ../node_modules/agent-gates/schema/gates.schema.json
    expect(rel).toBe('../node_modules/agent-gates/schema/gates.schema.json');
    const schema = JSON.parse(readFileSync(join(PKG_ROOT, 'schema', 'gates.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    for (const key of Object.keys(defaultConfig())) expect(schema.properties).toHaveProperty(key);
  });
});

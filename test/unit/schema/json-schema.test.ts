import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemaText } from '../../../src/schema/config/schema.js';

describe('schema/gates.schema.json', () => {
  it('is what the zod schema gives (run `npm run build` after changing src/schema/config/schema.ts)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', '..', 'schema', 'gates.schema.json'), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });
});

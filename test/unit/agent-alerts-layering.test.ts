import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = process.cwd();

describe('the agent’s alerts stand alone', () => {
  const eslint = new ESLint({ cwd: root });
  const refused = async (file: string, imp: string): Promise<boolean> => {
    const [r] = await eslint.lintText(`import * as x from '${imp}';\nexport const a = x;\n`, {
      filePath: join(root, file),
    });
    return (r?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
  };

  it('src/agent/alerts imports node: built-ins, its own modules and the shared agent types only', async () => {
    for (const imp of ['node:fs', './rules', '../../shared/agent/alerts', '../../shared/agent/protocol'])
      expect(await refused('src/agent/alerts/x.ts', imp), imp).toBe(false);
    for (const imp of ['fs', 'zod', '../containers', '../../shared/contract', '../../main/core/errors'])
      expect(await refused('src/agent/alerts/x.ts', imp), imp).toBe(true);
  });

  it('the agent’s own files may import the shared alert types and its alerts folder', async () => {
    for (const imp of ['../shared/agent/alerts', './alerts/rules', '../shared/agent/protocol'])
      expect(await refused('src/agent/x.ts', imp), imp).toBe(false);
    for (const imp of ['zod', '../shared/contract'])
      expect(await refused('src/agent/x.ts', imp), imp).toBe(true);
  });
});

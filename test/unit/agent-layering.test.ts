import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = process.cwd();

describe('the agent stands alone', () => {
  it('the lint rule lets src/agent import node: built-ins, its own modules and the protocol only', async () => {
    const eslint = new ESLint({ cwd: root });
    const refused = async (imp: string): Promise<boolean> => {
      const [r] = await eslint.lintText(`import * as x from '${imp}';\nexport const a = x;\n`, {
        filePath: join(root, 'src/agent/x.ts'),
      });
      return (r?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
    };
    for (const imp of ['node:fs', 'node:fs/promises', './stats', '../shared/agent/protocol']) {
      expect(await refused(imp), imp).toBe(false);
    }
    for (const imp of [
      'fs',
      'dockerode',
      'zod',
      '../main/core/errors',
      '../shared/contract',
      '../../src/main/x',
    ]) {
      expect(await refused(imp), imp).toBe(true);
    }
  });
});

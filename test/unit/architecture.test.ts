import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = process.cwd();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('layering', () => {
  it('the lint rule refuses electron in the core, the CLI, the web server and the contract', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const file of ['src/main/core/x.ts', 'src/main/cli/x.ts', 'src/main/web/x.ts', 'src/shared/x.ts']) {
      const [result] = await eslint.lintText("import { app } from 'electron';\nexport const a = app;\n", {
        filePath: join(root, file),
      });
      expect(
        result?.messages.map((m) => m.ruleId),
        file,
      ).toContain('no-restricted-imports');
    }
    const [glue] = await eslint.lintText("import { app } from 'electron';\nexport const a = app;\n", {
      filePath: join(root, 'src/main/electron/x.ts'),
    });
    expect(glue?.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });

  it('the lint rule refuses Node and main-process imports in the renderer', async () => {
    const eslint = new ESLint({ cwd: root });
    const [r] = await eslint.lintText(
      "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n",
      { filePath: join(root, 'src/renderer/src/x.ts') },
    );
    expect(r?.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });

  it('no file of the core imports electron today', () => {
    const offenders = ['src/main/core', 'src/main/cli', 'src/main/web', 'src/shared']
      .flatMap((d) => filesUnder(join(root, d)))
      .filter((f) => /from ['"]electron['"]|require\(['"]electron['"]\)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

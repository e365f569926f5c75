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

  it('the lint rule refuses a service in the CLI: it enters the core only through core.call', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const imp of [
      '../core/tenants/service',
      '../core/backups/keys',
      '../core/hosts/service',
      '../core/dispatch',
    ]) {
      const text = `import { X } from '${imp}';\nexport const a = X;\n`;
      const [r] = await eslint.lintText(text, { filePath: join(root, 'src/main/cli/x.ts') });
      expect(
        r?.messages.map((m) => m.ruleId),
        imp,
      ).toContain('no-restricted-imports');
    }
    for (const imp of [
      '../core/core',
      '../core/errors',
      '../core/secrets/provider',
      '../../shared/contract',
    ]) {
      const text = `import { X } from '${imp}';\nexport const a = X;\n`;
      const [r] = await eslint.lintText(text, { filePath: join(root, 'src/main/cli/x.ts') });
      expect(
        r?.messages.filter((m) => m.ruleId === 'no-restricted-imports'),
        imp,
      ).toEqual([]);
    }
  });

  it('the lint rule keeps the core’s layers: kernel ← infrastructure ← features', async () => {
    const eslint = new ESLint({ cwd: root });
    const refused = async (file: string, imp: string, typeOnly = false): Promise<boolean> => {
      const text = typeOnly
        ? `import type { X } from '${imp}';\nexport type A = X;\n`
        : `import { X } from '${imp}';\nexport const a = X;\n`;
      const [r] = await eslint.lintText(text, { filePath: join(root, file) });
      return (r?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
    };
    // The kernel knows no infrastructure and no feature.
    for (const imp of [
      './ssh/connection',
      './store/store',
      './tenants/service',
      './hosts/transport',
      './features',
      './core',
    ])
      expect(await refused('src/main/core/dispatch.ts', imp), `dispatch ← ${imp}`).toBe(true);
    expect(await refused('src/main/core/events.ts', './backups/service'), 'events ← backups').toBe(true);
    expect(await refused('src/main/core/dispatch.ts', './errors')).toBe(false);
    expect(await refused('src/main/core/dispatch.ts', './audit', true)).toBe(false);
    expect(await refused('src/main/core/dispatch.ts', './audit')).toBe(true);
    // Infrastructure knows no feature; it reaches a host only through the transport's type.
    for (const [file, imp] of [
      ['src/main/core/ssh/connection.ts', '../tenants/service'],
      ['src/main/core/store/store.ts', '../backups/keys'],
      ['src/main/core/tenantdata/postgres.ts', '../hosts/service'],
      ['src/main/core/secrets/provider.ts', '../features'],
      ['src/main/core/tenantdata/qdrant.ts', '../hosts/transport'],
    ] as const)
      expect(await refused(file, imp), `${file} ← ${imp}`).toBe(true);
    expect(await refused('src/main/core/tenantdata/postgres.ts', '../hosts/transport', true)).toBe(false);
    expect(await refused('src/main/core/ssh/connection.ts', '../errors')).toBe(false);
    // Features may use infrastructure and the kernel.
    expect(await refused('src/main/core/backups/service.ts', '../ssh/quote')).toBe(false);
  });

  it('tenants and backups do not import each other’s services: fleet-level operations own both', () => {
    const importsOf = (dir: string): string[] =>
      filesUnder(join(root, 'src/main/core', dir)).flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/from '([^']+)'/g)].map(
          (m) => `${f.slice(root.length + 1)} ← ${m[1]}`,
        ),
      );
    expect(importsOf('tenants').filter((x) => /\/(backups|fleet)\//.test(x))).toEqual([]);
    expect(importsOf('backups').filter((x) => /tenants\/service'?$/.test(x) || /\/fleet\//.test(x))).toEqual(
      [],
    );
  });

  it('no CLI file calls a service of the core directly today', () => {
    const offenders = filesUnder(join(root, 'src/main/cli')).filter((f) =>
      /\b(getCore\(\)|core|c)\.(hosts|tenants|backups|backupKeys|fleet|edge|images|store)\.[a-zA-Z]+\(/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });

  it('no file of the core imports electron today', () => {
    const offenders = ['src/main/core', 'src/main/cli', 'src/main/web', 'src/shared']
      .flatMap((d) => filesUnder(join(root, d)))
      .filter((f) => /from ['"]electron['"]|require\(['"]electron['"]\)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

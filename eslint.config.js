// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [
    { name: 'electron', message: 'The core runs in plain Node: Electron belongs in src/main/electron only.' },
  ],
  patterns: [
    { group: ['**/electron/*', '**/electron'], message: 'The core must not depend on the Electron glue.' },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core, the CLI, the browser-mode server and the shared contract never import Electron.
    files: ['src/main/core/**/*.ts', 'src/main/cli/**/*.ts', 'src/main/web/**/*.ts', 'src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', noElectron] },
  },
  // Layers of the core: kernel ← infrastructure ← features. The kernel (the door, errors, events,
  // operations, the scheduler, paths, the feature machinery) knows no infrastructure and no feature;
  // the infrastructure (ssh, the local store, secrets, tunnels, the tenant data adapters) knows no
  // feature, except the host transport's type (hosts/transport), which is how it reaches a host.
  {
    files: ['src/main/core/{dispatch,errors,events,operations,scheduler,paths,version,feature}.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noElectron.paths,
          patterns: [
            ...noElectron.patterns,
            {
              group: [
                './ssh/*',
                './store/*',
                './secrets/*',
                './tenantdata/*',
                './hosts/*',
                './tenants/*',
                './backups/*',
                './edge/*',
                './images/*',
                './fleet/*',
                './app/*',
                './tunnel',
                './core',
                './features',
              ],
              message:
                'The kernel (door, errors, events, operations, scheduler) knows no infrastructure and no feature.',
            },
            {
              group: ['./audit'],
              allowTypeImports: true,
              message: 'The kernel knows the audit writer only by its type.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/core/{ssh,store,secrets,tenantdata}/**/*.ts', 'src/main/core/tunnel.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noElectron.paths,
          patterns: [
            ...noElectron.patterns,
            {
              group: [
                '**/tenants/*',
                '**/backups/*',
                '**/edge/*',
                '**/images/*',
                '**/fleet/*',
                '**/app/*',
                '../core',
                '../features',
                '../audit',
              ],
              message: 'Infrastructure (ssh, store, secrets, tunnels, tenant data) knows no feature.',
            },
            {
              group: ['**/hosts/*', '!**/hosts/transport'],
              message: 'Infrastructure reaches a host only through the host transport (hosts/transport).',
            },
            {
              group: ['**/hosts/transport'],
              allowTypeImports: true,
              message: 'Infrastructure uses the host transport by its type only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI enters the core only through its one door (Core.call → dispatch): never a service.
    files: ['src/main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noElectron.paths,
          patterns: [
            ...noElectron.patterns,
            {
              group: [
                '**/core/**',
                '!**/core/core',
                '!**/core/errors',
                '!**/core/paths',
                '!**/core/version',
                '!**/core/secrets',
                '!**/core/secrets/provider',
              ],
              message:
                'The CLI reaches features only through core.call (the one door: validation, policy); it may import core/core, core/errors, core/paths, core/version and core/secrets/provider.',
            },
          ],
        },
      ],
    },
  },
  {
    // The host agent (src/agent) is bundled alone and runs on every host: Node's built-ins, its own
    // modules, the protocol's types, the shared cost arithmetic, the redactor and the audit trail's
    // writer, nothing else (nothing of the console). Only its cost folder uses packages: pg (the
    // tenants' databases) and decimal.js.
    files: ['src/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!node:|\\./|\\.\\./shared/agent/(protocol|alerts|cost)$|\\.\\./shared/cost/(prices|view)$|\\.\\./shared/redact$|\\.\\./shared/audit/writer$|\\.\\./shared/access/keys$)',
              message:
                'The agent imports only node: built-ins, ./ modules, ../shared/agent/protocol, alerts or cost, ../shared/cost/prices or view, ../shared/redact, ../shared/audit/writer and ../shared/access/keys.',
            },
          ],
        },
      ],
    },
  },
  {
    // The agent's cost views (src/agent/cost): the same, plus pg and decimal.js and the agent's
    // docker, server, tenant env and durable files.
    files: ['src/agent/cost/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!node:|pg$|decimal\\.js$|\\./|\\.\\./(alerts/files|alerts/observations|docker|server|tenantenv)$|\\.\\./\\.\\./shared/agent/(protocol|cost)$|\\.\\./\\.\\./shared/cost/(prices|view)$)',
              message:
                "The agent's cost views import node: built-ins, pg, decimal.js, ./ modules, the agent's docker, server, tenantenv and durable files, and the shared cost and protocol types.",
            },
          ],
        },
      ],
    },
  },
  {
    // Its alerts (src/agent/alerts): the same, one folder down; never the agent's other modules.
    files: ['src/agent/alerts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!node:|\\./|\\.\\./\\.\\./shared/agent/(protocol|alerts)$|\\.\\./\\.\\./shared/redact$)',
              message:
                "The agent's alerts import only node: built-ins, ./ modules, ../../shared/agent/protocol or alerts and ../../shared/redact.",
            },
          ],
        },
      ],
    },
  },
  {
    // The knowledge-base worker (src/kbworker) is bundled alone and runs on the host: Node's built-ins, its own
    // modules, the shared agent and kb protocols, the agent's door server and Docker client, and only the
    // packages it is bundled with — nothing of the console.
    files: ['src/kbworker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!node:|\\./|(\\.\\./)+shared/(agent|kb)/[a-z]+$|\\.\\./agent/(docker|server|tenantenv)$|(unpdf|mammoth|iconv-lite|chardet|marked|pg)$|js-tiktoken(/lite|/ranks/(cl100k|o200k)_base)?$)',
              message:
                'The KB worker imports only node: built-ins, ./ modules, ../shared/agent/* and ../shared/kb/*, ../agent/docker, server and tenantenv, and unpdf, mammoth, iconv-lite, chardet, js-tiktoken, marked, pg.',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer talks to the core only through the typed API: no Node, no Electron.
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Use the typed API (window.truffles) instead.' }],
          patterns: [
            {
              group: ['node:*', '**/main/**', '**/preload/**'],
              message: 'The renderer reaches the core only through the contract.',
            },
          ],
        },
      ],
    },
  },
);

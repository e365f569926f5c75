import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandName } from '../../src/shared/contract';
import { CommandJournal, commandHost, outcomeRecord, startRecord } from '../../src/main/core/audit/journal';
import { Core } from '../../src/main/core/core';
import { dispatch, allowAll, type Caller, type Handler } from '../../src/main/core/dispatch';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { tempDir } from '../helpers/tmp';

/** Issue 12 item 2: the door audits every non-read command, start and outcome, through one writer. */
const owner: Caller = { role: 'owner', via: 'cli' };

describe('what the door records', () => {
  it('names the command and its subject, never its input', () => {
    const r = startRecord(
      { name: 'tenants.create', effect: 'write' },
      { slug: 'acme', host: 'h1', plan: 'starter', env: { OPENAI_API_KEY: 'sk-secret' }, modules: [] },
      owner,
      'id-1',
    );
    expect(r).toEqual({
      action: 'command.start',
      subject: 'tenant:acme',
      details: {
        id: 'id-1',
        command: 'tenants.create',
        effect: 'write',
        via: 'cli',
        role: 'owner',
        slug: 'acme',
        host: 'h1',
        plan: 'starter',
      },
    });
    expect(JSON.stringify(r)).not.toContain('sk-secret');
    const add = startRecord(
      { name: 'hosts.add', effect: 'write' },
      { name: 'h2', auth: { passphrase: 'pw-secret' } },
      owner,
      'id-2',
    );
    expect(add.subject).toBe('host:h2');
    expect(JSON.stringify(add)).not.toContain('pw-secret');
    expect(
      startRecord({ name: 'settings.update', effect: 'write' }, { language: 'ru' }, owner, 'x').subject,
    ).toBe('command:settings.update');
  });

  it('the host a command names: its host, or a host command’s name', () => {
    expect(commandHost('tenants.delete', { slug: 's', host: 'h' })).toBe('h');
    expect(commandHost('hosts.forget', { name: 'h3' })).toBe('h3');
    expect(commandHost('backups.keyInit', { replace: false })).toBeNull();
    expect(commandHost('images.set' as CommandName, { name: 'x' })).toBeNull();
  });

  it('an outcome carries the id, the time and, for a failure, the error’s code', () => {
    const start = startRecord({ name: 'tenants.suspend', effect: 'write' }, { slug: 'a' }, owner, 'id-3');
    expect(outcomeRecord(start, { ok: true }, 12)).toEqual({
      action: 'command.ok',
      subject: 'tenant:a',
      details: { id: 'id-3', command: 'tenants.suspend', ms: 12 },
    });
    expect(
      outcomeRecord(start, { ok: false, error: { code: 'tenant.locked', message: 'busy', hint: '' } }, 5),
    ).toMatchObject({
      action: 'command.failed',
      details: { id: 'id-3', code: 'tenant.locked', message: 'busy' },
    });
  });
});

describe('the door calls the one writer', () => {
  const ran: string[] = [];
  const handlers = new Proxy({} as Record<CommandName, Handler>, {
    get: (_t, name: string) => async () => {
      ran.push(name);
      if (name === 'tenants.suspend') throw Object.assign(new Error('no'), { code: 'tenant.unknown' });
      return { ran: name };
    },
  });
  const records: string[] = [];
  const audit = {
    begin: (cmd: { name: CommandName }) => {
      records.push(`start ${cmd.name}`);
      return async (o: { ok: boolean }) => {
        records.push(`${o.ok ? 'ok' : 'failed'} ${cmd.name} after ${ran.at(-1) ?? ''}`);
      };
    },
  };

  it('for writes and dangers, start before and outcome after the handler; failures too; never for reads', async () => {
    await dispatch({ handlers, policy: allowAll, audit }, 'tenants.list', {}, owner);
    await dispatch({ handlers, policy: allowAll, audit }, 'hosts.forget', { name: 'h1' }, owner);
    await dispatch({ handlers, policy: allowAll, audit }, 'tenants.suspend', { slug: 'acme' }, owner);
    await dispatch(
      { handlers, policy: allowAll, audit },
      'tenants.delete',
      { slug: 'acme', confirm: 'acme' },
      owner,
    );
    expect(records).toEqual([
      'start hosts.forget',
      'ok hosts.forget after hosts.forget',
      'start tenants.suspend',
      'failed tenants.suspend after tenants.suspend',
      'start tenants.delete',
      'ok tenants.delete after tenants.delete',
    ]);
  });

  it('a refused input or policy writes nothing (nothing ran)', async () => {
    records.length = 0;
    await dispatch({ handlers, policy: allowAll, audit }, 'hosts.forget', { name: '-bad' }, owner);
    await dispatch(
      { handlers, policy: () => ({ code: 'policy.denied', message: 'no', hint: '' }), audit },
      'hosts.forget',
      { name: 'h1' },
      owner,
    );
    expect(records).toEqual([]);
  });
});

describe('the core’s journal', () => {
  let t: ReturnType<typeof tempDir>;
  let core: Core;
  beforeAll(() => {
    t = tempDir();
    core = new Core({
      home: join(t.dir, 'home'),
      secrets: new PassphraseProvider(async () => 'x'),
      mode: 'cli',
    });
  });
  afterAll(async () => {
    await core.close();
    t.cleanup();
  });

  it('a command that names no host, or one not in the inventory, is journalled locally, start and outcome', async () => {
    await core.call('settings.update', { language: 'ru' });
    await core.dispatch('hosts.forget', { name: 'nowhere' });
    const lines = readFileSync(join(t.dir, 'home', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; subject: string; details: Record<string, unknown> });
    expect(lines.map((l) => `${l.action} ${l.subject}`)).toEqual([
      'command.start command:settings.update',
      'command.ok command:settings.update',
      'command.start host:nowhere',
      expect.stringMatching(/^command\.(ok|failed) host:nowhere$/),
    ]);
    expect(lines[0]!.details.id).toBe(lines[1]!.details.id);
    expect(lines[2]!.details).toMatchObject({ command: 'hosts.forget', via: 'cli', host: 'nowhere' });
    // Reads leave nothing.
    await core.call('settings.get', {});
    expect(
      readFileSync(join(t.dir, 'home', 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(4);
  });

  it('a host the journal cannot reach falls back to the local file and never fails the command', async () => {
    const local = join(t.dir, 'j2.jsonl');
    const j = new CommandJournal({
      localFile: local,
      host: async () => {
        throw new Error('unreachable');
      },
    });
    const end = j.begin({ name: 'tenants.suspend', effect: 'write' }, { slug: 'a', host: 'far' }, owner);
    await end({ ok: true });
    const lines = readFileSync(local, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual([
      'command.start',
      'command.ok',
    ]);
    expect((JSON.parse(lines[1]!) as { details: { host: string } }).details.host).toBe('far');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent, LogLine, Result } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import { createLogsStore, LIVE_TAIL, SINCE_TAIL } from '../../src/renderer/src/features/logs/logsStore';
import { fail, fakeApi, ok } from '../helpers/fakeApi';

afterEach(() => setApi(null));

const line = (n: number, service = 'redis'): LogLine => ({
  t: `2026-12-06T07:00:0${n % 10}.000000001Z`,
  service,
  stream: 'stdout',
  text: `line ${n}`,
});
const lines = (streamId: string, ...ls: LogLine[]): AppEvent => ({ type: 'logs.lines', streamId, lines: ls });

/** A store whose frames run when the test says so. */
function setup(answers: Parameters<typeof fakeApi>[0]) {
  const f = fakeApi(answers);
  setApi(f.api);
  const frames: (() => void)[] = [];
  const store = createLogsStore((run) => {
    frames.push(run);
    return () => {
      const i = frames.indexOf(run);
      if (i >= 0) frames.splice(i, 1);
    };
  });
  const frame = (): void => {
    for (const run of frames.splice(0)) run();
  };
  const texts = (): string[] =>
    store
      .getState()
      .buffer.toArray()
      .map((e) => e.notice ?? e.text);
  return { ...f, store, frame, texts };
}

const target = { host: 'sb', slug: 'acme', service: null, since: null };

describe('the log pane’s store', () => {
  it('follows the tenant’s services from the last 200 lines, taking lines once a frame', async () => {
    let n = 0;
    const s = setup({
      'logs.follow': () => ok({ streamId: `s${++n}`, services: ['n8n', 'postgres', 'redis'] }),
      'logs.stop': () => ok({ stopped: true }),
    });
    await s.store.getState().start(target);
    expect(s.calls[0]).toEqual({
      name: 'logs.follow',
      input: { host: 'sb', slug: 'acme', tail: LIVE_TAIL, follow: true },
    });
    expect(s.store.getState()).toMatchObject({
      streamId: 's1',
      phase: 'following',
      services: ['n8n', 'postgres', 'redis'],
    });
    const before = s.store.getState().version;
    s.emit(lines('s1', line(1), line(2, 'n8n')));
    s.emit(lines('other', line(99)));
    s.emit(lines('s1', line(3)));
    expect(s.texts()).toEqual([]);
    s.frame();
    expect(s.texts()).toEqual(['line 1', 'line 2', 'line 3']);
    expect(s.store.getState().version).toBe(before + 1);
  });

  it('keeps lines that come before logs.follow answers, and only its own', async () => {
    let release: (r: Result<unknown>) => void = () => undefined;
    const s = setup({
      'logs.follow': () => new Promise<Result<unknown>>((r) => (release = r)),
      'logs.stop': () => ok({ stopped: true }),
    });
    const started = s.store.getState().start(target);
    await Promise.resolve();
    s.emit(lines('old', line(0)));
    s.emit(lines('s7', line(1)));
    release(ok({ streamId: 's7', services: ['redis'] }));
    await started;
    s.emit(lines('s7', line(2)));
    s.frame();
    expect(s.texts()).toEqual(['line 1', 'line 2']);
  });

  it('restarts with since and for one service, stopping the previous follow; stops on leaving', async () => {
    let n = 0;
    const s = setup({
      'logs.follow': () => ok({ streamId: `s${++n}`, services: n === 1 ? ['n8n', 'redis'] : ['redis'] }),
      'logs.stop': () => ok({ stopped: true }),
    });
    await s.store.getState().start(target);
    s.emit(lines('s1', line(1)));
    s.frame();
    await s.store.getState().start({ ...target, service: 'redis', since: '1h' });
    expect(s.calls.map((c) => c.name)).toEqual(['logs.follow', 'logs.stop', 'logs.follow']);
    expect(s.calls[1]!.input).toEqual({ streamId: 's1' });
    expect(s.calls[2]!.input).toEqual({
      host: 'sb',
      slug: 'acme',
      service: 'redis',
      since: '1h',
      tail: SINCE_TAIL,
      follow: true,
    });
    // A fresh buffer; the services of the tenant stay known for the chips.
    expect(s.texts()).toEqual([]);
    expect(s.store.getState().services).toEqual(['n8n', 'redis']);
    // The same choice again changes nothing.
    await s.store.getState().start({ ...target, service: 'redis', since: '1h' });
    expect(s.calls).toHaveLength(3);
    await s.store.getState().stop();
    expect(s.calls.at(-1)).toEqual({ name: 'logs.stop', input: { streamId: 's2' } });
    expect(s.store.getState().phase).toBe('idle');
    s.emit(lines('s2', line(5)));
    s.frame();
    expect(s.texts()).toEqual([]);
  });

  it('notes a resume inline, and the end with its error', async () => {
    const s = setup({
      'logs.follow': () => ok({ streamId: 's1', services: ['redis'] }),
      'logs.stop': () => ok({ stopped: true }),
    });
    await s.store.getState().start(target);
    s.emit(lines('s1', line(1)));
    s.emit({ type: 'logs.lines', streamId: 's1', lines: [line(2)], resumed: true });
    s.emit({
      type: 'logs.lines',
      streamId: 's1',
      lines: [],
      ended: true,
      error: { code: 'ssh.closed', message: 'The connection closed.' },
    });
    s.frame();
    expect(s.texts()).toEqual(['line 1', 'resumed', 'line 2', 'failed']);
    expect(s.store.getState().buffer.at(3)!.text).toBe('The connection closed.');
    expect(s.store.getState()).toMatchObject({ phase: 'failed', error: { code: 'ssh.closed' } });
  });

  it('keeps a refused follow’s error without throwing', async () => {
    const s = setup({ 'logs.follow': () => fail('agent.missing', 'No agent on sb.') });
    await expect(s.store.getState().start(target)).resolves.toBeUndefined();
    expect(s.store.getState()).toMatchObject({ phase: 'failed', error: { code: 'agent.missing' } });
  });
});

import { describe, expect, it } from 'vitest';
import { Operations } from '../../src/main/core/operations';

describe('Operations', () => {
  it('lists a running operation, refuses its id twice, and forgets it when it ends either way', async () => {
    const ops = new Operations();
    let release!: () => void;
    const running = ops.run(
      'op-1',
      'backups.create',
      'acme',
      () => new Promise<string>((r) => (release = () => r('done'))),
    );
    expect(ops.list()).toMatchObject([
      { opId: 'op-1', kind: 'backups.create', subject: 'acme', cancelled: false },
    ]);
    await expect(ops.run('op-1', 'x', 'y', async () => 1)).rejects.toMatchObject({ code: 'op.duplicate' });
    release();
    expect(await running).toBe('done');
    expect(ops.list()).toEqual([]);
    await expect(ops.run('op-2', 'x', 'y', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(ops.list()).toEqual([]);
  });

  it('cancel aborts the signal the work was given; the failure becomes op.cancelled', async () => {
    const ops = new Operations();
    const running = ops.run(
      undefined,
      'images.ship',
      'h1',
      (op) =>
        new Promise((_, reject) =>
          op.signal.addEventListener('abort', () => reject(new Error('exec.cancelled'))),
        ),
    );
    const [view] = ops.list();
    expect(view?.opId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ops.cancel(view!.opId)).toBe(true);
    await expect(running).rejects.toMatchObject({ code: 'op.cancelled', details: { opId: view!.opId } });
    expect(ops.cancel(view!.opId)).toBe(false);
  });
});

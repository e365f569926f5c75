import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import type { Caller, Policy } from '../../src/main/core/dispatch';
import { Scheduler } from '../../src/main/core/scheduler';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { tempDir } from '../helpers/tmp';

/** Issue 12, item 5: background work is the core's, through its one door. */
describe('Scheduler', () => {
  it('never runs a job twice at once, records a failure and keeps the next run', async () => {
    const s = new Scheduler();
    let release!: () => void;
    let calls = 0;
    let fail = false;
    s.add({
      name: 'job',
      everyMs: 3600_000,
      run: () => {
        calls += 1;
        if (fail) return Promise.reject(new Error('host unreachable'));
        return new Promise<void>((r) => (release = r));
      },
    });
    const first = s.runNow('job');
    expect(await s.runNow('job')).toBe(false); // still running
    expect(s.list()[0]).toMatchObject({ name: 'job', running: true, runs: 1 });
    release();
    expect(await first).toBe(true);
    fail = true;
    expect(await s.runNow('job')).toBe(true);
    expect(s.list()[0]).toMatchObject({ running: false, runs: 2, lastError: 'host unreachable' });
    expect(calls).toBe(2);
    s.stop();
    expect(await s.runNow('job')).toBe(false);
    expect(s.list()).toEqual([]);
  });

  it('runs on its clock', async () => {
    const s = new Scheduler();
    let n = 0;
    s.add({ name: 'tick', everyMs: 20, firstMs: 5, run: async () => void (n += 1) });
    for (let i = 0; i < 250 && n < 3; i++) await new Promise((r) => setTimeout(r, 20));
    s.stop();
    expect(n).toBeGreaterThanOrEqual(3);
    const after = n;
    await new Promise((r) => setTimeout(r, 60));
    expect(n).toBe(after); // stopped: no more runs
  });

  it('the console’s drills job enters the core through the door as the scheduler', async () => {
    const t = tempDir();
    const seen: { name: string; caller: Caller }[] = [];
    const recording: Policy = ({ name }, caller) => {
      seen.push({ name, caller });
      return null;
    };
    const core = new Core({
      home: join(t.dir, 'home'),
      secrets: new PassphraseProvider(async () => 'x'),
      mode: 'web',
      policy: recording,
    });
    try {
      core.startBackground();
      expect(core.scheduler.list().map((j) => j.name)).toEqual(['drills']);
      expect(await core.scheduler.runNow('drills')).toBe(true);
      expect(seen).toEqual([{ name: 'backups.runDueDrills', caller: { role: 'owner', via: 'scheduler' } }]);
      expect(core.scheduler.list()[0]?.lastError).toBeNull(); // no hosts: nothing due, no error
    } finally {
      await core.close();
      t.cleanup();
    }
  });
});

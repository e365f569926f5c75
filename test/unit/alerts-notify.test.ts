import { describe, expect, it } from 'vitest';
import { notificationsFor } from '../../src/main/electron/notices';
import type { AppEvent } from '../../src/shared/contract';
import { record, T0 } from '../helpers/alerts-fixtures';

type Notice = NonNullable<Extract<AppEvent, { type: 'alerts.changed' }>['notices']>[number];

function notice(type: Notice['type'], over: Partial<Notice> = {}): Notice {
  return { id: `h1/42/${type}`, type, at: T0, silent: false, alert: record(), ...over };
}

describe('desktop notifications for alerts (the Electron shell)', () => {
  it('shows fires and escalations, silent for warnings; never repeats or resolves', () => {
    const shown = notificationsFor({
      type: 'alerts.changed',
      host: 'h1',
      active: 2,
      notices: [
        notice('fire'),
        notice('fire', {
          silent: true,
          alert: record({ id: 7, severity: 'warning', ruleId: 'disk', subjectKey: 'mount=/' }),
        }),
        notice('escalate', { alert: record({ id: 7, ruleId: 'disk', subjectKey: 'mount=/' }) }),
        notice('repeat'),
        notice('resolve', { silent: true }),
      ],
    });
    expect(shown).toEqual([
      { title: 'Critical on h1: service-down', body: 'tenant=acme,service=postgres (#a42)', silent: false },
      { title: 'Warning on h1: disk', body: 'mount=/ (#a7)', silent: true },
      { title: 'Now critical on h1: disk', body: 'mount=/ (#a7)', silent: false },
    ]);
    expect(notificationsFor({ type: 'alerts.changed', host: 'h1', notices: [notice('resolve')] })).toEqual(
      [],
    );
  });

  it('a storm is one notification; the console’s unreachable rule fires one, its resolve none', () => {
    const storm = notificationsFor({
      type: 'alerts.changed',
      host: 'h1',
      notices: [1, 2, 3, 4].map((id) =>
        notice('fire', { alert: record({ id, ruleId: id % 2 ? 'disk' : 'load' }) }),
      ),
    });
    expect(storm).toEqual([{ title: '4 alerts on h1', body: 'disk, load', silent: false }]);
    expect(
      notificationsFor({
        type: 'alerts.changed',
        host: 'far',
        unreachable: {
          since: '2026-12-06T10:00:00.000Z',
          minutes: 5,
          error: { code: 'ssh.timeout', message: 'No answer.' },
        },
      }),
    ).toEqual([
      {
        title: 'Host unreachable for 5 min: far',
        body: 'The console cannot follow its agent, so its alerts cannot reach this screen: No answer.',
      },
    ]);
    expect(notificationsFor({ type: 'alerts.changed', host: 'far', unreachable: null })).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { offsiteState } from '../../src/renderer/src/features/backups/backups';
import { i18n, initI18n } from '../../src/renderer/src/i18n';

/** Issue 11, item 9: a run's offsite copy is shown on the Backups screen — red with its reason when it failed. */
describe('the offsite state of a backup run', () => {
  it('failed: red, with the reason; made: green; none set up: nothing; both languages name it', () => {
    const failed = offsiteState({
      offsite: { ok: false, error: 'ssh: connect to host reserve port 22: Connection refused' },
    });
    expect(failed).toEqual({
      tone: 'error',
      label: 'backups.run.offsiteFailed',
      error: 'ssh: connect to host reserve port 22: Connection refused',
    });
    expect(offsiteState({ offsite: { ok: true, error: null } })).toMatchObject({ tone: 'ok', error: null });
    expect(offsiteState({ offsite: null })).toBeNull();
    expect(offsiteState({})).toBeNull();
    expect(offsiteState(null)).toBeNull();
    initI18n('en');
    expect(i18n.t('backups.run.offsiteFailed', { lng: 'en' })).toBe('Offsite copy failed');
    expect(i18n.t('backups.run.offsiteOk', { lng: 'en' })).toBe('Offsite copy made');
    expect(i18n.t('backups.run.offsiteFailed', { lng: 'ru' })).toBe('Копия на резервный сервер не удалась');
    expect(i18n.t('backups.run.offsiteOk', { lng: 'ru' })).toBe('Копия на резервном сервере');
  });
});

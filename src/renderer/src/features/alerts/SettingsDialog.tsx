/**
 * A host's alert settings: its Telegram chats (each with an optional forum topic and language),
 * the bot token — write-only: the form says whether one is set and takes a new one, it never
 * shows one — the messages' language and time zone, and quiet hours for warnings. Saved with
 * `alerts.configure`; the contract's messages are worded in the UI language.
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertLanguage, AlertsView } from '../../../../shared/agent/alerts';
import type { ErrorInfo } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import { CheckboxRow } from '../../kit/CheckboxRow';
import { ErrorBox } from '../../kit/ErrorBanner';
import { FormField } from '../../kit/FormField';
import { Modal } from '../../kit/Modal';
import { useLng } from '../../kit/useLocale';
import { useAlerts } from './alertsStore';
import { useProblem } from './AlertText';
import { MAX_CHATS, configureInput, settingsDraft, timeZoneChoices } from './forms';
import type { ChatDraft, FieldErrors, SettingsDraft } from './forms';

function ChatRow({
  i,
  chat,
  problem,
  onChange,
  onRemove,
}: {
  i: number;
  chat: ChatDraft;
  problem: (field: string) => string | undefined;
  onChange: (patch: Partial<ChatDraft>) => void;
  onRemove: () => void;
}): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="alert-chat-row" data-testid={`alerts-settings-chat-row-${i}`}>
      <FormField
        id={`${id}-chat`}
        label={t('alerts.settings.chatId')}
        error={problem(`telegram.${i}.chatId`)}
        testId={`alerts-settings-chat-${i}`}
      >
        {(aria) => (
          <input
            {...aria}
            type="text"
            className="mono"
            autoComplete="off"
            spellCheck={false}
            maxLength={64}
            value={chat.chatId}
            placeholder="-1001234567890"
            data-testid={`alerts-settings-chat-${i}`}
            onChange={(e) => onChange({ chatId: e.target.value })}
          />
        )}
      </FormField>
      <FormField
        id={`${id}-thread`}
        label={t('alerts.settings.thread')}
        error={problem(`telegram.${i}.threadId`)}
        testId={`alerts-settings-thread-${i}`}
      >
        {(aria) => (
          <input
            {...aria}
            type="text"
            inputMode="numeric"
            className="mono alert-minutes"
            value={chat.threadId}
            data-testid={`alerts-settings-thread-${i}`}
            onChange={(e) => onChange({ threadId: e.target.value })}
          />
        )}
      </FormField>
      <FormField
        id={`${id}-lang`}
        label={t('alerts.settings.chatLanguage')}
        testId={`alerts-settings-chatlang-${i}`}
      >
        {(aria) => (
          <select
            {...aria}
            value={chat.language}
            data-testid={`alerts-settings-chatlang-${i}`}
            onChange={(e) => onChange({ language: e.target.value as ChatDraft['language'] })}
          >
            <option value="">{t('alerts.settings.chatLanguageDefault')}</option>
            <option value="en">English</option>
            <option value="ru">Русский</option>
          </select>
        )}
      </FormField>
      <Button
        small
        testId={`alerts-settings-remove-chat-${i}`}
        aria-label={t('alerts.settings.removeChatLabel', { n: i + 1 })}
        onClick={onRemove}
      >
        {t('alerts.settings.removeChat')}
      </Button>
    </div>
  );
}

export function SettingsDialog({
  host,
  view,
  onClose,
}: {
  host: string;
  view: AlertsView | null;
  onClose: () => void;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const configure = useAlerts((s) => s.configure);
  const [draft, setDraft] = useState<SettingsDraft>(() => settingsDraft(view, lng));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [zones] = useState(timeZoneChoices);
  const problem = useProblem(errors);
  const change = (patch: Partial<SettingsDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const setChat = (i: number, patch: Partial<ChatDraft>): void =>
    setDraft((d) => ({ ...d, chats: d.chats.map((c, j) => (j === i ? { ...c, ...patch } : c)) }));
  const tokenSet = view?.telegramToken ?? false;

  function save(e: FormEvent): void {
    e.preventDefault();
    if (busy) return;
    const r = configureInput(host, draft);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setError(null);
    setBusy(true);
    void configure(r.input).then((out) => {
      setBusy(false);
      if (out?.ok) onClose();
      else if (out) setError(out.error);
    });
  }

  return (
    <Modal
      labelledBy={`${id}-title`}
      onCancel={onClose}
      busy={busy}
      testId="alerts-settings-dialog"
      size="wide"
    >
      <form noValidate onSubmit={save}>
        <h2 id={`${id}-title`} className="modal-title">
          {t('alerts.settings.title', { host })}
        </h2>
        <div className="modal-body">
          <p className="muted">{t('alerts.settings.intro')}</p>

          <fieldset className="form-section">
            <legend>{t('alerts.settings.telegram')}</legend>
            <p className="field-help">{t('alerts.settings.chatIdHelp')}</p>
            {draft.chats.map((c, i) => (
              <ChatRow
                key={i}
                i={i}
                chat={c}
                problem={problem}
                onChange={(patch) => setChat(i, patch)}
                onRemove={() => setDraft((d) => ({ ...d, chats: d.chats.filter((_, j) => j !== i) }))}
              />
            ))}
            <Button
              small
              testId="alerts-settings-add-chat"
              disabled={draft.chats.length >= MAX_CHATS}
              onClick={() =>
                setDraft((d) => ({ ...d, chats: [...d.chats, { chatId: '', threadId: '', language: '' }] }))
              }
            >
              {t('alerts.settings.addChat')}
            </Button>
          </fieldset>

          <fieldset className="form-section">
            <legend>{t('alerts.settings.token')}</legend>
            <p data-testid="alerts-settings-token-state" data-set={tokenSet}>
              {t('alerts.settings.tokenState', {
                state: tokenSet ? t('alerts.host.tokenSet') : t('alerts.host.tokenNotSet'),
              })}
            </p>
            <FormField
              id={`${id}-token`}
              label={t('alerts.settings.tokenNew')}
              help={t('alerts.settings.tokenHelp')}
              error={problem('token')}
              testId="alerts-settings-token"
            >
              {(aria) => (
                <input
                  {...aria}
                  type="password"
                  className="mono"
                  autoComplete="new-password"
                  spellCheck={false}
                  maxLength={128}
                  value={draft.token}
                  disabled={draft.removeToken}
                  data-testid="alerts-settings-token"
                  onChange={(e) => change({ token: e.target.value })}
                />
              )}
            </FormField>
            {tokenSet ? (
              <CheckboxRow
                testId="alerts-settings-token-remove"
                checked={draft.removeToken}
                onChange={(removeToken) => change({ removeToken, token: '' })}
                label={t('alerts.settings.tokenRemove')}
              />
            ) : null}
          </fieldset>

          <div className="form-grid">
            <FormField
              id={`${id}-language`}
              label={t('alerts.settings.language')}
              testId="alerts-settings-language"
            >
              {(aria) => (
                <select
                  {...aria}
                  value={draft.language}
                  data-testid="alerts-settings-language"
                  onChange={(e) => change({ language: e.target.value as AlertLanguage })}
                >
                  <option value="en">English</option>
                  <option value="ru">Русский</option>
                </select>
              )}
            </FormField>
            <FormField
              id={`${id}-tz`}
              label={t('alerts.settings.timeZone')}
              help={t('alerts.settings.timeZoneHelp')}
              error={problem('timeZone')}
              testId="alerts-settings-timezone"
            >
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  className="mono"
                  list={`${id}-zones`}
                  autoComplete="off"
                  spellCheck={false}
                  maxLength={64}
                  value={draft.timeZone}
                  data-testid="alerts-settings-timezone"
                  onChange={(e) => change({ timeZone: e.target.value })}
                />
              )}
            </FormField>
          </div>
          <datalist id={`${id}-zones`}>
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>

          <fieldset className="form-section">
            <legend>{t('alerts.settings.quiet')}</legend>
            <CheckboxRow
              testId="alerts-settings-quiet"
              checked={draft.quiet}
              onChange={(quiet) => change({ quiet })}
              label={t('alerts.settings.quietOn')}
            >
              <p className="field-help">{t('alerts.settings.quietHelp')}</p>
            </CheckboxRow>
            {draft.quiet ? (
              <div className="form-grid">
                <FormField
                  id={`${id}-from`}
                  label={t('alerts.settings.from')}
                  error={problem('quietHours.from')}
                  testId="alerts-settings-quiet-from"
                >
                  {(aria) => (
                    <input
                      {...aria}
                      type="time"
                      value={draft.quietFrom}
                      data-testid="alerts-settings-quiet-from"
                      onChange={(e) => change({ quietFrom: e.target.value })}
                    />
                  )}
                </FormField>
                <FormField
                  id={`${id}-to`}
                  label={t('alerts.settings.to')}
                  error={problem('quietHours.to')}
                  testId="alerts-settings-quiet-to"
                >
                  {(aria) => (
                    <input
                      {...aria}
                      type="time"
                      value={draft.quietTo}
                      data-testid="alerts-settings-quiet-to"
                      onChange={(e) => change({ quietTo: e.target.value })}
                    />
                  )}
                </FormField>
                <FormField
                  id={`${id}-qz`}
                  label={t('alerts.settings.quietZone')}
                  error={problem('quietHours.timeZone')}
                  testId="alerts-settings-quiet-zone"
                >
                  {(aria) => (
                    <input
                      {...aria}
                      type="text"
                      className="mono"
                      list={`${id}-zones`}
                      autoComplete="off"
                      spellCheck={false}
                      maxLength={64}
                      value={draft.quietZone}
                      data-testid="alerts-settings-quiet-zone"
                      onChange={(e) => change({ quietZone: e.target.value })}
                    />
                  )}
                </FormField>
              </div>
            ) : null}
          </fieldset>

          {Object.keys(errors).length > 0 ? (
            <p className="field-error" role="status" data-testid="alerts-settings-invalid">
              {t('alerts.settings.invalid')}
            </p>
          ) : null}
          {error ? <ErrorBox error={error} /> : null}
        </div>
        <div className="modal-actions">
          <Button onClick={onClose} disabled={busy} testId="alerts-settings-cancel">
            {t('common.cancel')}
          </Button>
          <Button tone="primary" submit disabled={busy} busy={busy} testId="alerts-settings-save">
            {busy ? t('alerts.settings.saving') : t('alerts.settings.save')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * One tenant's monthly budget: what it is, what is spent this month, whether its router was
 * switched to the cheapest models; a form to set it (amount, currency, what happens on reaching
 * it) and to remove it.
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { BudgetSchema } from '../../../../shared/contract';
import type { Budget } from '../../../../shared/contract';
import { schemaMessage } from '../../i18n';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { ErrorBox } from '../../kit/ErrorBanner';
import { Fact } from '../../kit/Fact';
import { formatDateTime } from '../../kit/format';
import { CodeInput, FormField } from '../../kit/FormField';
import { WarningIcon } from '../../kit/Icons';
import { LoadingLine } from '../../kit/States';
import { useLng } from '../../kit/useLocale';
import { BudgetMeter } from './CostParts';
import { formatMoney, moneyIn } from './costs';
import type { BudgetView } from './costsStore';
import { useCosts } from './costsStore';

/** "December 2026" / "декабрь 2026 г." for `2026-12`; anything else as it is. */
function monthName(month: string, lng: 'en' | 'ru'): string {
  const m = /^(\d{4})-(\d{2})/.exec(month);
  if (!m) return month;
  return new Intl.DateTimeFormat(lng === 'ru' ? 'ru-RU' : 'en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)));
}

function BudgetForm({ current, tenant }: { current: Budget | null; tenant: string }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const saveBudget = useCosts((s) => s.saveBudget);
  const saving = useCosts((s) => Boolean(s.busy['budgetSave']));
  const saveError = useCosts((s) => s.budget?.saveError ?? null);
  const [amount, setAmount] = useState(current?.amount ?? '');
  const [currency, setCurrency] = useState<Budget['currency']>(current?.currency ?? 'KZT');
  const [action, setAction] = useState<Budget['action']>(current?.action ?? 'notify');
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState<'saved' | 'removed' | null>(null);
  const [askRemove, setAskRemove] = useState(false);

  function submit(e: FormEvent): void {
    e.preventDefault();
    setSaved(null);
    const parsed = BudgetSchema.safeParse({ amount: amount.trim(), currency, action });
    if (!parsed.success) {
      setError(schemaMessage(parsed.error.issues[0]?.message ?? '', lng));
      return;
    }
    setError(undefined);
    void saveBudget(parsed.data).then((ok) => setSaved(ok ? 'saved' : null));
  }

  return (
    <form
      data-write=""
      className="cost-budget-form"
      onSubmit={submit}
      noValidate
      aria-label={t('costs.budget.formLabel', { tenant })}
    >
      <div className="cost-form-row">
        <FormField
          id={`${id}-amount`}
          label={t('costs.budget.amount')}
          error={error}
          testId="cost-budget-amount"
        >
          {(aria) => (
            <CodeInput
              {...aria}
              inputMode="decimal"
              value={amount}
              placeholder={currency === 'KZT' ? '50000' : '99.50'}
              data-testid="cost-budget-amount"
              onChange={(e) => setAmount(e.target.value)}
            />
          )}
        </FormField>
        <div className="field">
          <label htmlFor={`${id}-currency`}>{t('costs.budget.currency')}</label>
          <select
            id={`${id}-currency`}
            value={currency}
            data-testid="cost-budget-currency"
            onChange={(e) => setCurrency(e.target.value === 'USD' ? 'USD' : 'KZT')}
          >
            <option value="KZT">{t('costs.currency.KZT')}</option>
            <option value="USD">{t('costs.currency.USD')}</option>
          </select>
        </div>
      </div>
      <fieldset className="cost-budget-actions">
        <legend>{t('costs.budget.onReach')}</legend>
        {(['notify', 'cheapest'] as const).map((a) => (
          <label key={a} className={`cost-choice${action === a ? ' cost-choice-selected' : ''}`}>
            <input
              type="radio"
              name={`${id}-action`}
              value={a}
              checked={action === a}
              onChange={() => setAction(a)}
              data-testid={`cost-budget-action-${a}`}
            />
            <span className="cost-choice-name">{t(`costs.budget.action.${a}`)}</span>
            <span className="muted small">{t(`costs.budget.actionHelp.${a}`)}</span>
          </label>
        ))}
      </fieldset>
      {saveError ? <ErrorBox error={saveError} /> : null}
      {saved ? (
        <p className="field-note" role="status" data-testid="cost-budget-saved">
          {t(saved === 'saved' ? 'costs.budget.saved' : 'costs.budget.removed')}
        </p>
      ) : null}
      <div className="form-actions">
        <Button submit tone="primary" busy={saving} disabled={saving} testId="cost-budget-save">
          {saving ? t('costs.budget.saving') : t('costs.budget.save')}
        </Button>
        {current ? (
          <Button
            tone="danger-outline"
            disabled={saving}
            onClick={() => setAskRemove(true)}
            testId="cost-budget-remove"
          >
            {t('costs.budget.remove')}
          </Button>
        ) : null}
      </div>
      {askRemove ? (
        <ConfirmDialog
          title={t('costs.budget.removeTitle', { tenant })}
          body={<p>{t('costs.budget.removeBody')}</p>}
          confirmLabel={t('costs.budget.remove')}
          busy={saving}
          testId="cost-budget-remove-dialog"
          onCancel={() => setAskRemove(false)}
          onConfirm={() => {
            void saveBudget(null).then((ok) => {
              setAskRemove(false);
              if (ok) {
                setSaved('removed');
                setAmount('');
              }
            });
          }}
        />
      ) : null}
    </form>
  );
}

function BudgetFacts({ value }: { value: BudgetView }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const b = value.budget;
  if (!b)
    return (
      <p className="muted" data-testid="cost-budget-none">
        {t('costs.budget.noneYet')}
      </p>
    );
  const spent = moneyIn(value.spent, b.currency);
  return (
    <>
      <dl className="facts cost-budget-facts">
        <Fact label={t('costs.budget.amount')} testId="cost-budget-value">
          {formatMoney(b.amount, b.currency, lng, { whole: true })}
        </Fact>
        <Fact label={t('costs.budget.spent')} testId="cost-budget-spent">
          {formatMoney(spent.value, spent.currency, lng)}
          {spent.fellBack ? <span className="muted small"> ({t('costs.noRateFigure')})</span> : null}
        </Fact>
        <Fact label={t('costs.budget.onReach')}>{t(`costs.budget.action.${b.action}`)}</Fact>
      </dl>
      <BudgetMeter
        pct={value.pct}
        amount={b.amount}
        currency={b.currency}
        label={t('costs.budget.meterLabel', { tenant: value.tenant })}
        testId="cost-budget-meter"
      />
    </>
  );
}

export function BudgetPanel({ host, tenant }: { host: string; tenant: string }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const budget = useCosts((s) => s.budget);
  const loading = useCosts((s) => Boolean(s.busy['budget']));
  const mine = budget && budget.host === host && budget.tenant === tenant ? budget : null;
  const value = mine?.value ?? null;
  return (
    <section className="card cost-budget" data-testid="cost-budget" aria-labelledby="cost-budget-title">
      <h2 id="cost-budget-title" className="cost-card-title">
        {t('costs.budget.title', { tenant })}
        {value ? (
          <span className="muted small cost-budget-month"> · {monthName(value.month, lng)}</span>
        ) : null}
      </h2>
      {!value && mine?.error ? <ErrorBox error={mine.error} /> : null}
      {!value && !mine?.error && loading ? <LoadingLine text={t('costs.budget.loading')} /> : null}
      {value ? (
        <>
          <BudgetFacts value={value} />
          {value.downgraded ? (
            <Callout tone="warning" testId="cost-budget-downgraded">
              <WarningIcon />
              <div>
                <p>{t('costs.budget.downgraded', { at: formatDateTime(value.downgraded.at, lng) })}</p>
                {Object.keys(value.downgraded.previous).length > 0 ? (
                  <p className="small">
                    {t('costs.budget.previous')}{' '}
                    {Object.entries(value.downgraded.previous)
                      .map(([k, v]) => `${k}: ${v}`)
                      .join(', ')}
                  </p>
                ) : null}
              </div>
            </Callout>
          ) : null}
          <BudgetForm key={`${host}/${tenant}`} current={value.budget} tenant={tenant} />
        </>
      ) : null}
    </section>
  );
}

/**
 * Re-pricing a tenant's calls of a period with the price table in force (`cost.reprice`, a danger):
 * a dry run first shows the rows, how many change and the old and new dollars (by model); Apply
 * sends the dry run's very inputs, after a confirmation that shows the difference again.
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { RepriceView } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { ErrorBox } from '../../kit/ErrorBanner';
import { Fact } from '../../kit/Fact';
import { FormField } from '../../kit/FormField';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { useTenants } from '../tenants/tenantsStore';
import { useCostFormat } from './CostParts';
import { almatyToday, difference, formatDay, formatMoney, isDay } from './costs';
import type { RepriceInput } from './costsStore';
import { useCosts } from './costsStore';

/** The dollars before and after, and the difference: "$12.40 → $13.10 (+$0.70)". */
export function useRepriceText(): (r: Pick<RepriceView, 'oldUsd' | 'newUsd'>) => string {
  const { t } = useTranslation();
  const lng = useLng();
  return (r) =>
    t('costs.reprice.change', {
      old: formatMoney(r.oldUsd, 'USD', lng),
      new: formatMoney(r.newUsd, 'USD', lng),
      diff: formatMoney(difference(r.oldUsd, r.newUsd), 'USD', lng, { signed: true }),
    });
}

/** What a re-price did or would do; the confirmation shows it again. */
export function RepriceResult({ r }: { r: RepriceView }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const change = useRepriceText();
  const usd = (v: string): string => formatMoney(v, 'USD', lng);
  return (
    <div
      className={`cost-reprice-result${r.applied ? ' cost-reprice-applied' : ''}`}
      data-testid="cost-reprice"
      data-applied={r.applied}
      data-changed={r.changed}
    >
      <p className="cost-reprice-head">
        <span className={`tag ${r.applied ? 'tag-ok' : 'tag-info'}`}>
          {r.applied ? t('costs.reprice.applied') : t('costs.reprice.dry')}
        </span>{' '}
        {t('costs.reprice.of', {
          tenant: r.tenant,
          host: r.host,
          from: formatDay(r.from, lng, true),
          to: formatDay(r.to, lng, true),
          version: r.priceVersion,
        })}
      </p>
      <dl className="facts">
        <Fact label={t('costs.reprice.rows')}>{f.count(r.rows)}</Fact>
        <Fact label={t('costs.reprice.changed')} testId="cost-reprice-changed">
          {f.count(r.changed)}
        </Fact>
        <Fact label={t('costs.reprice.cost')} testId="cost-reprice-change" wide>
          {change(r)}
        </Fact>
        <Fact label={t('costs.reprice.unpriced')}>
          {t('costs.reprice.unpricedValue', {
            before: f.count(r.unpricedBefore),
            after: f.count(r.unpricedAfter),
          })}
        </Fact>
      </dl>
      {r.byModel.length > 0 ? (
        <table className="table cost-table" aria-label={t('costs.reprice.byModel')}>
          <TableHead
            columns={[
              t('costs.col.model'),
              { label: t('costs.reprice.changed'), className: 'num' },
              { label: t('costs.reprice.old'), className: 'num' },
              { label: t('costs.reprice.new'), className: 'num' },
              { label: t('costs.reprice.diff'), className: 'num' },
            ]}
          />
          <tbody>
            {r.byModel.map((m) => (
              <tr key={m.model} data-model={m.model}>
                <th scope="row" className="mono">
                  {m.model}
                </th>
                <td className="num">{f.count(m.changed)}</td>
                <td className="num">{usd(m.oldUsd)}</td>
                <td className="num">{usd(m.newUsd)}</td>
                <td className="num">
                  {formatMoney(difference(m.oldUsd, m.newUsd), 'USD', lng, { signed: true })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

/** The confirmation's words: how many rows change, and the dollars before and after again. */
export function RepriceConfirmBody({ dry }: { dry: RepriceView }): ReactElement {
  const { t } = useTranslation();
  const f = useCostFormat();
  const change = useRepriceText();
  return (
    <div data-testid="cost-reprice-confirm-body">
      <p>
        {t('costs.reprice.confirmBody', {
          changed: f.count(dry.changed),
          rows: f.count(dry.rows),
          tenant: dry.tenant,
          from: dry.from,
          to: dry.to,
          version: dry.priceVersion,
        })}
      </p>
      <p className="cost-reprice-diff">{change(dry)}</p>
      <p className="muted small">{t('costs.reprice.confirmNote')}</p>
    </div>
  );
}

export function RepricePanel(): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const scope = useCosts((s) => s.scope);
  const view = useCosts((s) => s.view);
  const reprice = useCosts((s) => s.reprice);
  const busy = useCosts((s) => s.busy);
  const dryRun = useCosts((s) => s.repriceDryRun);
  const ask = useCosts((s) => s.askApplyReprice);
  const cancel = useCosts((s) => s.cancelApplyReprice);
  const apply = useCosts((s) => s.applyReprice);
  const clear = useCosts((s) => s.clearReprice);
  const tenants = useTenants((s) => s.tenants);
  const options = [...tenants]
    .filter((x) => !scope.host || x.host === scope.host)
    .sort((a, b) => a.slug.localeCompare(b.slug) || a.host.localeCompare(b.host));
  const first = options[0];
  const today = almatyToday();
  const [tenant, setTenant] = useState(
    scope.host && scope.tenant ? `${scope.host}/${scope.tenant}` : first ? `${first.host}/${first.slug}` : '',
  );
  const [from, setFrom] = useState(view?.from ?? `${today.slice(0, 8)}01`);
  const [to, setTo] = useState(view?.to ?? today);
  const [errors, setErrors] = useState<{ tenant?: string; from?: string; to?: string }>({});

  const edit =
    (setter: (v: string) => void) =>
    (v: string): void => {
      setter(v);
      // A dry run belongs to its inputs: changed inputs need a new one.
      if (reprice && !reprice.applied) clear();
    };

  function submit(e: FormEvent): void {
    e.preventDefault();
    const [host, slug] = tenant.split('/');
    const errs: typeof errors = {};
    if (!host || !slug) errs.tenant = t('costs.reprice.pickTenant');
    if (!isDay(from)) errs.from = t('costs.range.badDay');
    if (!isDay(to)) errs.to = t('costs.range.badDay');
    else if (isDay(from) && from > to) errs.to = t('costs.range.order');
    setErrors(errs);
    if (Object.keys(errs).length > 0 || !host || !slug) return;
    const input: RepriceInput = { host, tenant: slug, from, to };
    void dryRun(input);
  }

  const dry = reprice?.dry ?? null;
  const shown = reprice?.applied ?? dry;
  return (
    <section
      data-write=""
      className="card cost-reprice"
      data-testid="cost-reprice-panel"
      aria-labelledby={`${id}-title`}
    >
      <h2 id={`${id}-title`} className="cost-card-title">
        {t('costs.reprice.title')}
      </h2>
      <p className="muted small">{t('costs.reprice.about')}</p>
      <form className="cost-form-row" onSubmit={submit} noValidate>
        <FormField
          id={`${id}-tenant`}
          label={t('costs.col.tenant')}
          error={errors.tenant}
          testId="cost-reprice-tenant"
        >
          {(aria) => (
            <select
              {...aria}
              value={tenant}
              data-testid="cost-reprice-tenant"
              onChange={(e) => edit(setTenant)(e.target.value)}
            >
              {!tenant ? <option value="">{t('costs.scope.chooseTenant')}</option> : null}
              {options.map((x) => (
                <option key={`${x.host}/${x.slug}`} value={`${x.host}/${x.slug}`}>
                  {t('costs.scope.tenantOption', { slug: x.slug, host: x.host })}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${id}-from`}
          label={t('costs.range.from')}
          error={errors.from}
          testId="cost-reprice-from"
        >
          {(aria) => (
            <input
              {...aria}
              type="date"
              value={from}
              data-testid="cost-reprice-from"
              onChange={(e) => edit(setFrom)(e.target.value)}
            />
          )}
        </FormField>
        <FormField id={`${id}-to`} label={t('costs.range.to')} error={errors.to} testId="cost-reprice-to">
          {(aria) => (
            <input
              {...aria}
              type="date"
              value={to}
              data-testid="cost-reprice-to"
              onChange={(e) => edit(setTo)(e.target.value)}
            />
          )}
        </FormField>
        <div className="cost-form-buttons">
          <Button
            submit
            busy={Boolean(busy['reprice'])}
            disabled={Boolean(busy['reprice'])}
            testId="cost-reprice-dry"
          >
            {busy['reprice'] ? t('costs.reprice.running') : t('costs.reprice.dryRun')}
          </Button>
        </div>
      </form>
      {reprice?.error ? <ErrorBox error={reprice.error} /> : null}
      {shown ? <RepriceResult r={shown} /> : null}
      {dry && !reprice?.applied ? (
        <div className="form-actions">
          <Button
            tone="danger"
            disabled={dry.changed === 0 || Boolean(busy['repriceApply'])}
            onClick={ask}
            testId="cost-reprice-apply"
          >
            {t('costs.reprice.apply')}
          </Button>
          {dry.changed === 0 ? <span className="muted small">{t('costs.reprice.nothing')}</span> : null}
        </div>
      ) : null}
      {reprice?.confirming && dry ? (
        <ConfirmDialog
          tone="danger"
          title={t('costs.reprice.confirmTitle', { tenant: dry.tenant, host: dry.host })}
          body={<RepriceConfirmBody dry={dry} />}
          confirmLabel={t('costs.reprice.confirm')}
          busyLabel={t('costs.reprice.applying')}
          busy={Boolean(busy['repriceApply'])}
          testId="cost-reprice-confirm"
          onCancel={cancel}
          onConfirm={() => void apply()}
        />
      ) : null}
    </section>
  );
}

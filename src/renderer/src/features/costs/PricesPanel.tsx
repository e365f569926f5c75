/**
 * The price tables in force on the hosts (`cost.prices`): USD per 1M tokens by usage type, each
 * entry from a day (to a day), its source and when it was checked against it ("not checked" when
 * never), tenant overrides marked; and a form that adds an entry (`cost.pricesSet`, a new version).
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { CodeInput, FormField } from '../../kit/FormField';
import { LoadingLine, RefreshButton } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { useTenants } from '../tenants/tenantsStore';
import { almatyToday, formatDay, formatDecimal, priceInForce, sortPrices } from './costs';
import type { PriceEntry } from './costs';
import { priceFromDraft } from './forms';
import type { PriceDraft, PriceDraftErrors } from './forms';
import type { PriceTables } from './costsStore';
import { useCosts } from './costsStore';

/** Hosts whose tables are the same are shown once. */
function groupTables(tables: PriceTables): { hosts: string[]; table: PriceTables[number]['table'] }[] {
  const groups = new Map<string, { hosts: string[]; table: PriceTables[number]['table'] }>();
  for (const t of [...tables].sort((a, b) => a.host.localeCompare(b.host))) {
    const key = JSON.stringify(t.table);
    const g = groups.get(key);
    if (g) g.hosts.push(t.host);
    else groups.set(key, { hosts: [t.host], table: t.table });
  }
  return [...groups.values()];
}

function PriceTable({ entries, today }: { entries: readonly PriceEntry[]; today: string }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const usd = (v: string | undefined): string =>
    v === undefined ? t('common.none') : `$${formatDecimal(v, lng)}`;
  return (
    <table className="table cost-table cost-price-table">
      <TableHead
        columns={[
          t('costs.col.model'),
          t('costs.col.provider'),
          { label: t('costs.prices.input'), className: 'num' },
          { label: t('costs.prices.cached'), className: 'num' },
          { label: t('costs.prices.output'), className: 'num' },
          t('costs.prices.from'),
          t('costs.prices.to'),
          t('costs.prices.source'),
          t('costs.prices.checked'),
        ]}
      />
      <tbody>
        {sortPrices(entries).map((e) => {
          const inForce = priceInForce(e, today);
          return (
            <tr
              key={`${e.provider}/${e.model}/${e.from}/${e.tenant ?? ''}`}
              data-model={e.model}
              data-tenant={e.tenant ?? undefined}
              className={inForce ? undefined : 'cost-price-out'}
            >
              <th scope="row">
                <span className="mono">{e.model}</span>
                {e.tenant ? (
                  <span className="tag tag-info cost-override" data-testid="cost-price-override">
                    {t('costs.prices.override', { tenant: e.tenant })}
                  </span>
                ) : null}
                {!inForce ? (
                  <span className="tag tag-unknown">
                    {e.from > today ? t('costs.prices.notYet') : t('costs.prices.ended')}
                  </span>
                ) : null}
              </th>
              <td>{e.provider}</td>
              <td className="num">{usd(e.usd.input)}</td>
              <td className="num">{usd(e.usd.cachedInput)}</td>
              <td className="num">{usd(e.usd.output)}</td>
              <td className="nowrap">{formatDay(e.from, lng, true)}</td>
              <td className="nowrap">{e.to ? formatDay(e.to, lng, true) : t('common.none')}</td>
              <td className="cost-source" title={e.source}>
                {e.source || t('common.none')}
              </td>
              <td>
                {e.checkedOn ? (
                  formatDay(e.checkedOn, lng, true)
                ) : (
                  <span className="tag tag-unknown" data-testid="cost-price-unchecked">
                    {t('costs.prices.notChecked')}
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function AddPriceForm(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const scope = useCosts((s) => s.scope);
  const addPrice = useCosts((s) => s.addPrice);
  const saving = useCosts((s) => Boolean(s.busy['priceSave']));
  const saveError = useCosts((s) => s.priceSaveError);
  const savedVersion = useCosts((s) => s.priceSaved);
  const tenants = useTenants((s) => s.tenants);
  const [d, setD] = useState<PriceDraft>({
    provider: 'openai',
    model: '',
    input: '',
    cachedInput: '',
    output: '',
    from: almatyToday(),
    to: '',
    source: '',
    checkedOn: '',
    tenant: '',
  });
  const [errors, setErrors] = useState<PriceDraftErrors>({});
  const set = (k: keyof PriceDraft) => (v: string) => setD((x) => ({ ...x, [k]: v }));
  const word = (e: string | undefined): string | undefined =>
    e === 'required' ? t('costs.prices.form.required') : e === 'order' ? t('costs.prices.form.order') : e;
  const slugs = [
    ...new Set(tenants.filter((x) => !scope.host || x.host === scope.host).map((x) => x.slug)),
  ].sort();

  function submit(e: FormEvent): void {
    e.preventDefault();
    const r = priceFromDraft(d, lng);
    if ('errors' in r) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    void addPrice(r.entry).then((ok) => {
      if (ok) setD((x) => ({ ...x, model: '', input: '', cachedInput: '', output: '', to: '', tenant: '' }));
    });
  }

  const text = (
    k: keyof PriceDraft,
    label: string,
    opts: { placeholder?: string; help?: string; wide?: boolean } = {},
  ) => (
    <FormField
      id={`${id}-${k}`}
      label={label}
      error={word(errors[k])}
      help={opts.help}
      testId={`cost-price-${k}`}
      className={opts.wide ? 'field-wide' : undefined}
    >
      {(aria) => (
        <CodeInput
          {...aria}
          value={d[k]}
          placeholder={opts.placeholder}
          data-testid={`cost-price-${k}`}
          onChange={(e) => set(k)(e.target.value)}
        />
      )}
    </FormField>
  );

  return (
    <form
      data-write=""
      className="cost-price-form"
      onSubmit={submit}
      noValidate
      aria-labelledby={`${id}-title`}
    >
      <h3 id={`${id}-title`} className="cost-subhead">
        {t('costs.prices.form.title')}
      </h3>
      <p className="muted small">
        {scope.host ? t('costs.prices.form.onHost', { host: scope.host }) : t('costs.prices.form.onEvery')}
      </p>
      <div className="form-grid">
        {text('provider', t('costs.col.provider'), { placeholder: 'openai' })}
        {text('model', t('costs.col.model'), {
          placeholder: 'gpt-4.1-mini',
          help: t('costs.prices.form.modelHelp'),
        })}
        {text('input', t('costs.prices.input'), { placeholder: '0.40' })}
        {text('cachedInput', t('costs.prices.cached'), { placeholder: '0.10' })}
        {text('output', t('costs.prices.output'), { placeholder: '1.60' })}
        {text('from', t('costs.prices.from'), { placeholder: 'YYYY-MM-DD' })}
        {text('to', t('costs.prices.to'), { placeholder: 'YYYY-MM-DD', help: t('costs.prices.form.toHelp') })}
        {text('checkedOn', t('costs.prices.checked'), {
          placeholder: 'YYYY-MM-DD',
          help: t('costs.prices.form.checkedHelp'),
        })}
        <div className="field">
          <label htmlFor={`${id}-tenant`}>{t('costs.prices.form.tenant')}</label>
          <select
            id={`${id}-tenant`}
            value={d.tenant}
            data-testid="cost-price-tenant"
            onChange={(e) => set('tenant')(e.target.value)}
          >
            <option value="">{t('costs.prices.form.allTenants')}</option>
            {slugs.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        {text('source', t('costs.prices.source'), {
          placeholder: 'https://openai.com/api/pricing/',
          help: t('costs.prices.form.sourceHelp'),
          wide: true,
        })}
      </div>
      {saveError ? <ErrorBox error={saveError} /> : null}
      {savedVersion ? (
        <p className="field-note" role="status" data-testid="cost-price-saved">
          {t('costs.prices.form.saved', { version: savedVersion })}
        </p>
      ) : null}
      <div className="form-actions">
        <Button submit tone="primary" busy={saving} disabled={saving} testId="cost-price-add">
          {saving ? t('costs.prices.form.adding') : t('costs.prices.form.add')}
        </Button>
      </div>
    </form>
  );
}

export function PricesPanel(): ReactElement {
  const { t } = useTranslation();
  const prices = useCosts((s) => s.prices);
  const error = useCosts((s) => s.pricesError);
  const loading = useCosts((s) => Boolean(s.busy['prices']));
  const loadPrices = useCosts((s) => s.loadPrices);
  const today = almatyToday();
  return (
    <section className="card cost-prices" data-testid="cost-prices" aria-labelledby="cost-prices-title">
      <div className="cost-card-head">
        <h2 id="cost-prices-title" className="cost-card-title">
          {t('costs.prices.title')}
        </h2>
        <RefreshButton
          busy={loading}
          onClick={() => void loadPrices()}
          testId="cost-prices-refresh"
          label={t('costs.refresh')}
          busyLabel={t('costs.refreshing')}
        />
      </div>
      <p className="muted small">{t('costs.prices.about')}</p>
      {error ? <ErrorBox error={error} /> : null}
      {!prices && loading ? <LoadingLine text={t('costs.prices.loading')} /> : null}
      {prices && prices.length === 0 ? <p className="muted">{t('costs.prices.noHosts')}</p> : null}
      {prices
        ? groupTables(prices).map((g) => (
            <div key={g.hosts.join(',')} className="cost-price-group" data-hosts={g.hosts.join(',')}>
              <h3 className="cost-subhead">
                {t('costs.prices.tableOf', { hosts: g.hosts.join(', '), version: g.table.version })}
              </h3>
              <PriceTable entries={g.table.entries} today={today} />
            </div>
          ))
        : null}
      <AddPriceForm />
    </section>
  );
}

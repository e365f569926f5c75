/**
 * The USD→KZT rates the hosts hold (`cost.rates`: how many days, the latest, the last ten) and an
 * import (`cost.ratesImport`, on every host) from a CSV pasted or picked: read as it is typed, each
 * refused line said with its number and why, the accepted ones imported.
 */
import { useId, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { LoadingLine, RefreshButton } from '../../kit/States';
import { useLng } from '../../kit/useLocale';
import { ToneTag, useCostFormat } from './CostParts';
import { formatDay, formatDecimal } from './costs';
import { useCosts } from './costsStore';
import { rateLineText } from './forms';
import { MAX_RATES, parseRates } from './rates';

/** Lines shown of a long list of refused ones. */
const SHOWN_ERRORS = 20;

function RatesImport(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const f = useCostFormat();
  const importRates = useCosts((s) => s.importRates);
  const result = useCosts((s) => s.ratesImport);
  const clear = useCosts((s) => s.clearRatesImport);
  const busy = useCosts((s) => Boolean(s.busy['ratesImport']));
  const [text, setText] = useState('');
  const [fileError, setFileError] = useState(false);
  const parsed = useMemo(() => parseRates(text), [text]);
  const days = parsed.rates.map((r) => r.date).sort();
  const first = days[0];
  const last = days[days.length - 1];
  const n = parsed.rates.length;

  return (
    <div className="cost-rates-import" data-write="">
      <h3 className="cost-subhead">{t('costs.rates.importTitle')}</h3>
      <p className="muted small">{t('costs.rates.everyHost')}</p>
      <div className="field">
        <label htmlFor={`${id}-text`}>{t('costs.rates.paste')}</label>
        <textarea
          id={`${id}-text`}
          rows={6}
          value={text}
          spellCheck={false}
          placeholder={'date,rate\n2026-12-01,512.34\n2026-12-02;513,10'}
          aria-describedby={`${id}-help`}
          data-testid="cost-rates-text"
          onChange={(e) => {
            setText(e.target.value);
            clear();
          }}
        />
        <p className="field-help" id={`${id}-help`}>
          {t('costs.rates.format')}
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-file`}>{t('costs.rates.pick')}</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".csv,.txt,text/csv,text/plain"
          data-testid="cost-rates-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            setFileError(false);
            file.text().then(
              (s) => {
                setText(s);
                clear();
              },
              () => setFileError(true),
            );
          }}
        />
        {fileError ? <p className="field-error">{t('costs.rates.fileError')}</p> : null}
      </div>
      {text.trim() ? (
        <div
          className="cost-rates-preview"
          role="status"
          data-testid="cost-rates-preview"
          data-accepted={n}
          data-refused={parsed.errors.length}
        >
          <p>
            {n > 0 && first && last
              ? t('costs.rates.accepted', {
                  n: f.count(n),
                  from: formatDay(first, lng, true),
                  to: formatDay(last, lng, true),
                })
              : t('costs.rates.noneAccepted')}
            {parsed.header ? ` ${t('costs.rates.headerSkipped')}` : ''}
          </p>
          {parsed.tooMany ? (
            <p className="field-error">{t('costs.rates.tooMany', { max: f.count(MAX_RATES) })}</p>
          ) : null}
          {parsed.errors.length > 0 ? (
            <>
              <p className="cost-rates-refused">
                <ToneTag
                  tone="warning"
                  text={t('costs.rates.refused', { n: f.count(parsed.errors.length) })}
                />
              </p>
              <ul className="cost-rates-errors" data-testid="cost-rates-errors">
                {parsed.errors.slice(0, SHOWN_ERRORS).map((e) => (
                  <li key={e.line} data-line={e.line} data-code={e.code}>
                    {rateLineText(e)}
                  </li>
                ))}
                {parsed.errors.length > SHOWN_ERRORS ? (
                  <li className="muted">
                    {t('costs.rates.moreErrors', { n: f.count(parsed.errors.length - SHOWN_ERRORS) })}
                  </li>
                ) : null}
              </ul>
            </>
          ) : null}
        </div>
      ) : null}
      {result?.error ? <ErrorBox error={result.error} /> : null}
      {result?.result ? (
        <ul className="cost-rates-result" role="status" data-testid="cost-rates-imported">
          {result.result.map((r) => (
            <li key={r.host}>
              {t('costs.rates.imported', {
                host: r.host,
                added: f.count(r.added),
                replaced: f.count(r.replaced),
                total: f.count(r.count),
              })}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="form-actions">
        <Button
          tone="primary"
          disabled={n === 0 || parsed.tooMany || busy}
          busy={busy}
          testId="cost-rates-import"
          onClick={() => void importRates(parsed.rates)}
        >
          {busy
            ? t('costs.rates.importing')
            : parsed.errors.length > 0 && n > 0
              ? t('costs.rates.importSome', { n: f.count(n), skipped: f.count(parsed.errors.length) })
              : t('costs.rates.importN', { n: f.count(n) })}
        </Button>
      </div>
    </div>
  );
}

export function RatesPanel(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const rates = useCosts((s) => s.rates);
  const error = useCosts((s) => s.ratesError);
  const loading = useCosts((s) => Boolean(s.busy['rates']));
  const loadRates = useCosts((s) => s.loadRates);
  return (
    <section className="card cost-rates" data-testid="cost-rates" aria-labelledby="cost-rates-title">
      <div className="cost-card-head">
        <h2 id="cost-rates-title" className="cost-card-title">
          {t('costs.rates.title')}
        </h2>
        <RefreshButton
          busy={loading}
          onClick={() => void loadRates()}
          testId="cost-rates-refresh"
          label={t('costs.refresh')}
          busyLabel={t('costs.refreshing')}
        />
      </div>
      <p className="muted small">{t('costs.rates.about')}</p>
      {error ? <ErrorBox error={error} /> : null}
      {!rates && loading ? <LoadingLine text={t('costs.rates.loading')} /> : null}
      {rates ? (
        <ul className="cost-rate-hosts">
          {rates.map((h) => {
            const latest = h.rates[0];
            return (
              <li key={h.host} data-host={h.host} data-count={h.count}>
                <span className="mono">{h.host}</span>{' '}
                {latest
                  ? t('costs.rates.hostLatest', {
                      total: f.count(h.count),
                      rate: formatDecimal(latest.kztPerUsd, lng),
                      date: formatDay(latest.date, lng, true),
                    })
                  : t('costs.rates.hostNone')}
                {h.rates.length > 0 ? (
                  <details className="cost-rate-list">
                    <summary>{t('costs.rates.last', { n: h.rates.length })}</summary>
                    <table className="table cost-table">
                      <tbody>
                        {h.rates.map((r) => (
                          <tr key={r.date}>
                            <th scope="row">{formatDay(r.date, lng, true)}</th>
                            <td className="num">{formatDecimal(r.kztPerUsd, lng)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </details>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      <RatesImport />
    </section>
  );
}

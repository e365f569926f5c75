/**
 * The view by tenant (a row scopes the screen to its tenant), the costliest conversations (a row
 * opens one) and the router (replies by tier, what it saves against the complex model).
 */
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { CostStage, CostView } from '../../../../shared/contract';
import { formatDateTime } from '../../kit/format';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { useRowNavigation } from '../../kit/useRowNavigation';
import { BudgetMeter, InUsdNote, MoneyText, ShareBar, useCostFormat } from './CostParts';
import {
  STAGES,
  chartCurrency,
  formatMoney,
  overTarget,
  shareOf,
  shortId,
  tenantRows,
  tierShares,
} from './costs';
import type { CostScope } from './costs';
import type { ConversationRow } from './costsStore';

type TenantRow = CostView['byTenant'][number];

export function TenantTable({
  view,
  onScope,
}: {
  view: CostView;
  onScope: (scope: CostScope) => void;
}): ReactElement {
  const { t } = useTranslation();
  const f = useCostFormat();
  const rows = tenantRows(view);
  const cur = chartCurrency(rows, f.currency);
  const open = (r: TenantRow | undefined): void => {
    if (r) onScope({ host: r.host, tenant: r.tenant });
  };
  const nav = useRowNavigation(rows.length, (i) => open(rows[i]));
  return (
    <section
      className="card table-card cost-tenants"
      data-testid="cost-tenants"
      aria-labelledby="cost-tenants-title"
    >
      <div className="cost-card-head">
        <h2 id="cost-tenants-title" className="cost-card-title">
          {t('costs.byTenant.title')}
        </h2>
        <p className="muted small">{t('costs.byTenant.hint')}</p>
      </div>
      {rows.length === 0 ? (
        <p className="muted table-empty">{t('costs.byTenant.empty')}</p>
      ) : (
        <table className="table hosts-table cost-table cost-rows">
          <TableHead
            columns={[
              t('costs.col.tenant'),
              t('costs.col.host'),
              { label: t('costs.col.calls'), className: 'num' },
              { label: t('costs.col.spend'), className: 'num' },
              { label: t('costs.col.conversations'), className: 'num' },
              t('costs.col.budget'),
            ]}
          />
          <tbody>
            {rows.map((r, i) => (
              <tr
                key={`${r.host}/${r.tenant}`}
                ref={(el) => {
                  nav.rowRefs.current[i] = el;
                }}
                tabIndex={i === nav.activeIndex ? 0 : -1}
                data-tenant={r.tenant}
                data-host={r.host}
                aria-label={t('costs.byTenant.rowLabel', { tenant: r.tenant, host: r.host })}
                onClick={() => open(r)}
                onFocus={() => nav.setActive(i)}
                onKeyDown={(e) => nav.onKey(e, i)}
              >
                <th scope="row">
                  <span className="mono">{r.tenant}</span>
                </th>
                <td className="mono">{r.host}</td>
                <td className="num">
                  {f.count(r.calls)}
                  {r.unpricedCalls > 0 ? (
                    <span className="cost-unpriced-note small">
                      {t('costs.byTenant.unpriced', { n: f.count(r.unpricedCalls) })}
                    </span>
                  ) : null}
                </td>
                <td className="num">
                  <MoneyText money={r.cost} currency={cur} />
                </td>
                <td className="num">{f.count(r.conversations)}</td>
                <td>
                  {r.budget ? (
                    <BudgetMeter
                      pct={r.budget.pct}
                      amount={r.budget.amount}
                      currency={r.budget.currency}
                      label={t('costs.budget.meterLabel', { tenant: r.tenant })}
                      testId={`cost-tenant-budget-${r.tenant}`}
                    />
                  ) : (
                    <span className="muted small">{t('costs.budget.none')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <InUsdNote shown={cur} />
    </section>
  );
}

export function ConversationsPanel({
  view,
  onOpen,
}: {
  view: CostView;
  onOpen: (row: ConversationRow) => void;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const c = view.conversations;
  const rows = c.top;
  const nav = useRowNavigation(rows.length, (i) => {
    const r = rows[i];
    if (r) onOpen(r);
  });
  const target = formatMoney(c.targetKzt, 'KZT', lng, { whole: true });
  return (
    <section
      className="card table-card cost-conversations"
      data-testid="cost-conversations-panel"
      aria-labelledby="cost-conversations-title"
    >
      <div className="cost-card-head">
        <h2 id="cost-conversations-title" className="cost-card-title">
          {t('costs.conversations.title')}
        </h2>
        <p className="small cost-percentiles">
          {t('costs.conversations.count', { n: f.count(c.count) })} · {t('costs.tile.p50')}{' '}
          {c.p50 ? <MoneyText money={c.p50} /> : t('common.none')} · {t('costs.tile.p95')}{' '}
          {c.p95 ? <MoneyText money={c.p95} /> : t('common.none')} ·{' '}
          {t('costs.conversations.target', { target })}
        </p>
      </div>
      {rows.length === 0 ? (
        <p className="muted table-empty">{t('costs.conversations.empty')}</p>
      ) : (
        <table className="table hosts-table cost-table cost-rows" data-testid="cost-top-conversations">
          <caption className="visually-hidden">{t('costs.conversations.caption')}</caption>
          <TableHead
            columns={[
              t('costs.col.tenant'),
              t('costs.col.conversation'),
              { label: t('costs.col.calls'), className: 'num' },
              { label: t('costs.col.cost'), className: 'num' },
              t('costs.col.first'),
              t('costs.col.last'),
            ]}
          />
          <tbody>
            {rows.map((r, i) => {
              const over = overTarget(r.cost, c.targetKzt);
              return (
                <tr
                  key={`${r.host}/${r.conversationId}`}
                  ref={(el) => {
                    nav.rowRefs.current[i] = el;
                  }}
                  tabIndex={i === nav.activeIndex ? 0 : -1}
                  data-conversation={r.conversationId}
                  aria-label={t('costs.conversations.rowLabel', {
                    id: shortId(r.conversationId),
                    tenant: r.tenant,
                  })}
                  onClick={() => onOpen(r)}
                  onFocus={() => nav.setActive(i)}
                  onKeyDown={(e) => nav.onKey(e, i)}
                >
                  <th scope="row">
                    <span className="mono">{r.tenant}</span>
                    <span className="muted small"> {r.host}</span>
                  </th>
                  <td className="mono" title={r.conversationId}>
                    {shortId(r.conversationId)}
                  </td>
                  <td className="num">{f.count(r.calls)}</td>
                  <td className={`num${over ? ' cost-over-target' : ''}`} data-over={over ?? undefined}>
                    <MoneyText money={r.cost} />
                    {over ? (
                      <span className="visually-hidden"> ({t('costs.conversations.over')})</span>
                    ) : null}
                  </td>
                  <td className="nowrap">{formatDateTime(r.firstAt, lng)}</td>
                  <td className="nowrap">{formatDateTime(r.lastAt, lng)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function RouterPanel({ view }: { view: CostView }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const r = view.router;
  const tiers = tierShares(r.replies);
  const saved = shareOf(r.savingUsd, r.allComplexUsd);
  // The router's tiers are stages of the calls; another name is shown as the core wrote it.
  const tierName = (tier: string): string =>
    tier === 'no-llm'
      ? t('costs.router.noLlm')
      : (STAGES as readonly string[]).includes(tier)
        ? t(`costs.stage.${tier as CostStage}`)
        : tier;
  return (
    <section className="card cost-router" data-testid="cost-router" aria-labelledby="cost-router-title">
      <h2 id="cost-router-title" className="cost-card-title">
        {t('costs.router.title')}
      </h2>
      <h3 className="cost-subhead">{t('costs.router.replies')}</h3>
      {tiers.length === 0 ? (
        <p className="muted small">{t('costs.router.noReplies')}</p>
      ) : (
        <ul className="cost-tiers">
          {tiers.map((x) => (
            <li key={x.tier} data-tier={x.tier}>
              <span className="cost-tier-name">{tierName(x.tier)}</span>
              <ShareBar share={x.share} label={t('costs.router.tierLabel', { tier: tierName(x.tier) })} />
              <span className="small cost-tier-count">
                {f.count(x.count)} · {f.pct(x.share)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3 className="cost-subhead">{t('costs.router.savingTitle')}</h3>
      <p data-testid="cost-router-saving" data-saving={r.savingUsd} data-all={r.allComplexUsd}>
        {saved === null
          ? t('costs.router.savingNone')
          : t('costs.router.saving', {
              saving: formatMoney(r.savingUsd, 'USD', lng),
              all: formatMoney(r.allComplexUsd, 'USD', lng),
              pct: f.pct(saved),
            })}
      </p>
      {saved !== null ? <ShareBar share={saved} label={t('costs.router.savingTitle')} /> : null}
    </section>
  );
}
